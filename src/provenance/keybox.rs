//! GnuPG keybox files (`pubring.kbx`), the format of GnuPG's
//! `kbx/keybox-blob.c`.
//!
//! A keybox is a run of records ("blobs"), each framed by its own length. A
//! keyring may come from anyone (a GnuPG home copied from elsewhere, a CI
//! secret), so every length and offset is checked against the data before it
//! is used, and a record is never larger than GnuPG's own limit. A broken
//! frame leaves nothing after it that can be trusted to start a record, so
//! the first broken record ends the read with an error naming its offset;
//! a well-framed OpenPGP record whose keyblock does not parse is only skipped.

use thiserror::Error;

use super::hash;
use sequoia_openpgp::types::HashAlgorithm;

/// GnuPG's `IMAGELEN_LIMIT`: it refuses larger records too.
pub const MAX_RECORD: usize = 5 * 1024 * 1024;

/// The smallest record GnuPG reads at all: the length and the type.
const MIN_RECORD: usize = 5;
/// The header record GnuPG writes first in every keybox.
const MIN_HEADER: usize = 32;
/// The smallest OpenPGP record GnuPG takes a keyblock from.
const MIN_OPENPGP: usize = 40;
/// The fixed fields before an OpenPGP record's variable part: length, type,
/// version, flags, keyblock offset and length, key count and key info size.
const OPENPGP_FIXED: usize = 20;
/// The SHA-1 checksum closing an OpenPGP or X.509 record.
const CHECKSUM: usize = 20;

const TYPE_HEADER: u8 = 1;
const TYPE_OPENPGP: u8 = 2;

/// Record flag bit 1: a key gpg fetched only to look at it, which gpg's own
/// searches leave out.
const FLAG_EPHEMERAL: u16 = 2;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("damaged keybox record at offset {offset}: {reason}")]
pub struct Damaged {
    /// Where the record starts in the file.
    pub offset: usize,
    pub reason: String,
}

/// What a keybox holds for the caller: an OpenPGP keyblock to parse, or a
/// record left out and why.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    Keyblock { offset: usize, data: &'a [u8] },
    Skipped { offset: usize, reason: String },
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The OpenPGP keyblocks of a keybox in file order, with the records left
/// out on the way (ephemeral keys, unknown record versions). Empty and
/// X.509 records are passed over silently, as gpg does.
pub fn entries(data: &[u8]) -> Result<Vec<Entry<'_>>, Damaged> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    while offset < data.len() {
        let rest = &data[offset..];
        let damaged = |reason: String| Damaged { offset, reason };
        if rest.len() < MIN_RECORD {
            return Err(damaged(format!(
                "{} trailing bytes are too few for a record header",
                rest.len()
            )));
        }
        let len = be32(rest, 0).unwrap_or(0) as usize;
        let kind = rest[4];
        if len < MIN_RECORD {
            return Err(damaged(format!(
                "record length {len} is below the minimum of {MIN_RECORD}"
            )));
        }
        if len > MAX_RECORD {
            return Err(damaged(format!(
                "record length {len} exceeds the limit of {MAX_RECORD} bytes"
            )));
        }
        if len > rest.len() {
            return Err(damaged(format!(
                "record length {len} runs past the end of the file ({} bytes left)",
                rest.len()
            )));
        }
        let record = &rest[..len];
        if offset == 0
            && (kind != TYPE_HEADER || len < MIN_HEADER || record.get(8..12) != Some(b"KBXf"))
        {
            return Err(damaged(format!(
                "the first record (type {kind}, {len} bytes) is not a keybox header"
            )));
        }
        // Empty records, X.509 certificates, header records and record types
        // of a later GnuPG: gpg passes over those too.
        if kind == TYPE_OPENPGP {
            out.push(openpgp(record, offset)?);
        }
        offset += len;
    }
    Ok(out)
}

/// The keyblock of one OpenPGP record (`record` holds exactly its length).
fn openpgp(record: &[u8], offset: usize) -> Result<Entry<'_>, Damaged> {
    let len = record.len();
    let damaged = |reason: String| Damaged { offset, reason };
    if len < MIN_OPENPGP {
        return Err(damaged(format!(
            "OpenPGP record of {len} bytes is shorter than the minimum of {MIN_OPENPGP}"
        )));
    }
    // The length check above covers every fixed field read here.
    let version = record[5];
    let flags = be16(record, 6).unwrap_or(0);
    let start = be32(record, 8).unwrap_or(0) as usize;
    let size = be32(record, 12).unwrap_or(0) as usize;
    let body_end = len - CHECKSUM;
    let end = start.checked_add(size);
    if start < OPENPGP_FIXED || end.is_none_or(|e| e > body_end) {
        return Err(damaged(format!(
            "keyblock at {start}+{size} lies outside the record's {} data bytes",
            body_end
        )));
    }
    let end = end.unwrap_or(body_end);
    check_sum(record, end).map_err(damaged)?;
    if !matches!(version, 1 | 2) {
        return Ok(Entry::Skipped {
            offset,
            reason: format!(
                "keybox record at offset {offset}: unknown OpenPGP record version {version}"
            ),
        });
    }
    if flags & FLAG_EPHEMERAL != 0 {
        return Ok(Entry::Skipped {
            offset,
            reason: format!("keybox record at offset {offset}: an ephemeral key, which gpg does not count as part of the keyring"),
        });
    }
    Ok(Entry::Keyblock {
        offset,
        data: &record[start..end],
    })
}

/// Checks the record's trailing checksum. GnuPG writes the SHA-1 of all that
/// precedes it (its dump tool hashes up to the end of the keyblock, which is
/// the same for what GnuPG writes, and reads space between the two as not
/// hashed); GnuPG before 2.1 wrote an MD5 into the last 16 bytes of 64 zero
/// bytes. GnuPG itself never checks it, so a checksum never filled in (all
/// zeros) is accepted; one that is there must match, as a damaged file is
/// the likely cause of a mismatch.
fn check_sum(record: &[u8], keyblock_end: usize) -> Result<(), String> {
    let len = record.len();
    let stored = &record[len - CHECKSUM..];
    if stored.iter().all(|&b| b == 0) {
        return Ok(());
    }
    let sha1 = |upto: usize| hash(HashAlgorithm::SHA1, &[&record[..upto]]);
    if sha1(len - CHECKSUM).as_deref() == Some(stored)
        || (keyblock_end < len - CHECKSUM && sha1(keyblock_end).as_deref() == Some(stored))
    {
        return Ok(());
    }
    if stored[..4] == [0; 4]
        && hash(HashAlgorithm::MD5, &[&record[..len - 16]]).as_deref() == Some(&stored[4..])
    {
        return Ok(());
    }
    Err("checksum mismatch".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE_EMPTY: u8 = 0;
    const TYPE_X509: u8 = 3;

    fn fixture() -> Vec<u8> {
        std::fs::read(crate::test_support::fixture("prov/keys/pubring.kbx")).unwrap()
    }

    fn keyblocks(data: &[u8]) -> Result<usize, Damaged> {
        Ok(entries(data)?
            .iter()
            .filter(|e| matches!(e, Entry::Keyblock { .. }))
            .count())
    }

    /// The offsets of the fixture's records.
    fn record_starts(data: &[u8]) -> Vec<usize> {
        let mut starts = Vec::new();
        let mut at = 0;
        while at < data.len() {
            starts.push(at);
            at += be32(data, at).unwrap() as usize;
        }
        starts
    }

    /// Rewrites a record's checksum after a deliberate change to it.
    fn reseal(data: &mut [u8], at: usize) {
        let len = be32(data, at).unwrap() as usize;
        let sum = hash(HashAlgorithm::SHA1, &[&data[at..at + len - 20]]).unwrap();
        data[at + len - 20..at + len].copy_from_slice(&sum);
    }

    #[test]
    fn reads_the_six_keyblocks_of_a_gnupg_keybox() {
        let data = fixture();
        assert_eq!(keyblocks(&data), Ok(6));
        assert_eq!(record_starts(&data).len(), 7);
    }

    #[test]
    fn appended_zeros_are_one_error_at_their_offset() {
        let mut data = fixture();
        let end = data.len();
        data.extend(std::iter::repeat_n(0u8, 4096));
        let err = entries(&data).unwrap_err();
        assert_eq!(err.offset, end);
        assert!(err.reason.contains("below the minimum"), "{err}");
    }

    #[test]
    fn truncation_anywhere_never_panics_and_names_the_cut_record() {
        let data = fixture();
        let starts = record_starts(&data);
        for cut in 0..data.len() {
            let r = entries(&data[..cut]);
            if starts.contains(&cut) {
                // Cut between records: a shorter, intact keybox (or nothing).
                assert!(r.is_ok(), "cut at {cut}: {r:?}");
            } else {
                let err = r.unwrap_err();
                let record = *starts.iter().rev().find(|&&s| s < cut).unwrap();
                assert_eq!(err.offset, record, "cut at {cut}");
            }
        }
    }

    #[test]
    fn keyblock_past_the_record_end_is_damage() {
        let mut data = fixture();
        let second = record_starts(&data)[1];
        data[second + 12..second + 16].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        reseal(&mut data, second);
        let err = entries(&data).unwrap_err();
        assert_eq!(err.offset, second);
        assert!(err.reason.contains("outside the record"), "{err}");
        // An offset that overflows when the length is added.
        let mut data = fixture();
        data[second + 8..second + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        reseal(&mut data, second);
        assert_eq!(entries(&data).unwrap_err().offset, second);
    }

    #[test]
    fn record_lengths_past_the_end_or_the_limit_are_damage() {
        let mut data = fixture();
        let third = record_starts(&data)[2];
        let past = (data.len() - third + 1) as u32;
        data[third..third + 4].copy_from_slice(&past.to_be_bytes());
        let err = entries(&data).unwrap_err();
        assert_eq!(err.offset, third);
        assert!(err.reason.contains("past the end"), "{err}");
        data[third..third + 4].copy_from_slice(&(MAX_RECORD as u32 + 1).to_be_bytes());
        assert!(entries(&data).unwrap_err().reason.contains("limit"));
    }

    #[test]
    fn checksums() {
        let data = fixture();
        let second = record_starts(&data)[1];
        let len = be32(&data, second).unwrap() as usize;
        // A flipped bit in the keyblock.
        let mut bad = data.clone();
        bad[second + 100] ^= 1;
        let err = entries(&bad).unwrap_err();
        assert_eq!(
            (err.offset, err.reason.as_str()),
            (second, "checksum mismatch")
        );
        // A checksum never filled in.
        let mut zero = data.clone();
        zero[second + len - 20..second + len].fill(0);
        assert_eq!(keyblocks(&zero), Ok(6));
        // GnuPG 2.0's MD5 in the last 16 bytes.
        let mut md5 = data.clone();
        md5[second + len - 20..second + len - 16].fill(0);
        let sum = hash(HashAlgorithm::MD5, &[&md5[second..second + len - 16]]).unwrap();
        md5[second + len - 16..second + len].copy_from_slice(&sum);
        assert_eq!(keyblocks(&md5), Ok(6));
    }

    #[test]
    fn ephemeral_empty_and_x509_records_are_left_out() {
        let mut data = fixture();
        let starts = record_starts(&data);
        data[starts[1] + 7] |= FLAG_EPHEMERAL as u8;
        reseal(&mut data, starts[1]);
        data[starts[2] + 4] = TYPE_EMPTY;
        data[starts[3] + 4] = TYPE_X509;
        let e = entries(&data).unwrap();
        assert_eq!(keyblocks(&data), Ok(3));
        assert!(e
            .iter()
            .any(|e| matches!(e, Entry::Skipped { offset, .. } if *offset == starts[1])));
    }

    #[test]
    fn a_first_record_that_is_no_header_is_damage() {
        let mut data = fixture();
        data[4] = TYPE_OPENPGP;
        assert_eq!(entries(&data).unwrap_err().offset, 0);
    }
}
