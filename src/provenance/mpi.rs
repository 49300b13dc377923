//! Normalising the MPIs of signature packets.
//!
//! golang.org/x/crypto, which Helm 3 signs with, writes an RSA signature's
//! MPI with a bit count of `8 * len(bytes)`, which overstates it whenever the
//! top bit is 0 (about half of all signatures). GnuPG and Go accept that;
//! Sequoia refuses the packet. The bit count is not covered by the signature
//! (only the hashed subpackets and the data are), so rewriting every MPI to its
//! minimal form leaves the signature valid and lets Sequoia check it.

/// Rewrites every v3/v4 signature packet in `packets` with minimal MPIs.
/// Other packets are kept as they are. Bytes after the last complete packet
/// are dropped: go-crypto stops reading once it has checked a signature, so
/// Helm ignores trailing bytes, which Sequoia would refuse.
pub fn normalize(packets: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(packets.len());
    for p in split(packets) {
        match (p.tag, normalize_signature(p.body)) {
            (2, Some(fixed)) => {
                write_header(&mut out, 2, fixed.len());
                out.extend_from_slice(&fixed);
            }
            _ => out.extend_from_slice(p.whole),
        }
    }
    out
}

/// One complete packet of a packet sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    pub tag: u8,
    /// Header and body.
    pub whole: &'a [u8],
    pub body: &'a [u8],
}

/// The complete packets at the start of `packets`, in order, up to the
/// first partial or indeterminate length or truncated body. One pass, no
/// copies.
pub fn split(packets: &[u8]) -> impl Iterator<Item = Packet<'_>> {
    let mut rest = packets;
    std::iter::from_fn(move || {
        let (tag, header_len, body_len) = header(rest)?;
        let end = header_len.checked_add(body_len)?;
        let whole = rest.get(..end)?;
        rest = &rest[end..];
        Some(Packet {
            tag,
            whole,
            body: &whole[header_len..],
        })
    })
}

/// (tag, header length, body length) of the packet at the start of `b`;
/// `None` for partial or indeterminate lengths.
fn header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let ctb = *b.first()?;
    if ctb & 0x80 == 0 {
        return None;
    }
    if ctb & 0x40 != 0 {
        let tag = ctb & 0x3f;
        let o1 = *b.get(1)? as usize;
        match o1 {
            0..=191 => Some((tag, 2, o1)),
            192..=223 => {
                let o2 = *b.get(2)? as usize;
                Some((tag, 3, ((o1 - 192) << 8) + o2 + 192))
            }
            255 => {
                let l = b.get(2..6)?;
                Some((
                    tag,
                    6,
                    u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize,
                ))
            }
            _ => None,
        }
    } else {
        let tag = (ctb >> 2) & 0x0f;
        match ctb & 3 {
            0 => Some((tag, 2, *b.get(1)? as usize)),
            1 => {
                let l = b.get(1..3)?;
                Some((tag, 3, u16::from_be_bytes([l[0], l[1]]) as usize))
            }
            2 => {
                let l = b.get(1..5)?;
                Some((
                    tag,
                    5,
                    u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize,
                ))
            }
            _ => None,
        }
    }
}

fn write_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(0xc0 | tag);
    if len < 192 {
        out.push(len as u8);
    } else if len < 8384 {
        let l = len - 192;
        out.push((l >> 8) as u8 + 192);
        out.push(l as u8);
    } else {
        out.push(255);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// The signature body with minimal MPIs, or `None` if nothing changes or the
/// body is not a v3/v4 signature.
fn normalize_signature(body: &[u8]) -> Option<Vec<u8>> {
    let mpis_at = match *body.first()? {
        3 => 19,
        4 => {
            let hashed = u16::from_be_bytes([*body.get(4)?, *body.get(5)?]) as usize;
            let u = 6 + hashed;
            let unhashed = u16::from_be_bytes([*body.get(u)?, *body.get(u + 1)?]) as usize;
            u + 2 + unhashed + 2
        }
        _ => return None,
    };
    let mut out = body.get(..mpis_at)?.to_vec();
    let mut rest = body.get(mpis_at..)?;
    let mut changed = false;
    while !rest.is_empty() {
        let bits = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize;
        let len = bits.div_ceil(8);
        let value = rest.get(2..2 + len)?;
        let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
        let v = &value[start..];
        let real = match v.first() {
            None => 0,
            Some(&top) => (v.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        };
        changed |= real != bits || start > 0;
        out.extend_from_slice(&(real as u16).to_be_bytes());
        out.extend_from_slice(v);
        rest = &rest[2 + len..];
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overstated_bit_count_is_fixed() {
        // A v4 signature with no subpackets and one MPI declaring 16 bits for
        // the value 0x00ff... written as two bytes 0x7f 0xff.
        let body = [4u8, 0x01, 1, 10, 0, 0, 0, 0, 0xab, 0xcd, 0, 16, 0x7f, 0xff];
        let mut packet = vec![0xc2, body.len() as u8];
        packet.extend_from_slice(&body);
        let fixed = normalize(&packet);
        assert_eq!(&fixed[2..12], &body[..10]);
        assert_eq!(&fixed[12..14], &[0, 15]);
        assert_eq!(&fixed[14..], &[0x7f, 0xff]);
    }

    #[test]
    fn canonical_and_foreign_packets_are_untouched() {
        let body = [4u8, 0x01, 1, 10, 0, 0, 0, 0, 0xab, 0xcd, 0, 16, 0xff, 0xff];
        let mut packet = vec![0xc2, body.len() as u8];
        packet.extend_from_slice(&body);
        assert_eq!(normalize(&packet), packet);
        let mut trailing = packet.clone();
        trailing.push(0x42);
        assert_eq!(normalize(&trailing), packet);
    }
}
