//! Go's `encoding/base64` standard decoding, which YAML's `!!binary` values
//! (yaml.v2) and ASCII-armored signatures (go-crypto's armor reader) go
//! through: padding required, line breaks ignored anywhere, trailing bits not
//! checked. The base64 crate checks trailing bits, so it would refuse input
//! Helm accepts. The Go standard library is Copyright (c) 2009 The Go
//! Authors, BSD-3-Clause licence.

/// Go `base64.StdEncoding.DecodeString`: padding is required, line breaks
/// (`\r`, `\n`) are ignored anywhere, trailing bits are not checked.
pub fn decode_std(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut quad = [0u8; 4];
    let mut n = 0;
    let mut pad = 0;
    for &c in s {
        if c == b'\n' || c == b'\r' {
            continue;
        }
        if pad > 0 {
            // Only the rest of the padding may follow the first '='.
            if c != b'=' || n + pad >= 4 {
                return None;
            }
            pad += 1;
            continue;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' if n >= 2 => {
                pad = 1;
                continue;
            }
            _ => return None,
        };
        quad[n] = v;
        n += 1;
        if n == 4 {
            out.push(quad[0] << 2 | quad[1] >> 4);
            out.push(quad[1] << 4 | quad[2] >> 2);
            out.push(quad[2] << 6 | quad[3]);
            n = 0;
        }
    }
    match (n, pad) {
        (0, 0) => {}
        (2, 2) => out.push(quad[0] << 2 | quad[1] >> 4),
        (3, 1) => {
            out.push(quad[0] << 2 | quad[1] >> 4);
            out.push(quad[1] << 4 | quad[2] >> 2);
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_go_std_encoding() {
        assert_eq!(decode_std(b"").as_deref(), Some(&b""[..]));
        assert_eq!(decode_std(b"YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(decode_std(b"YQ=\r\n=").as_deref(), Some(&b"a"[..]));
        assert_eq!(decode_std(b"YWI=").as_deref(), Some(&b"ab"[..]));
        for bad in ["YQ", "YQ=", "Y===", "YQ==YQ==", "a GVs", "===="] {
            assert_eq!(decode_std(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn padding_only_at_the_end() {
        assert_eq!(decode_std(b"YQ=="), Some(b"a".to_vec()));
        assert_eq!(decode_std(b"YWI="), Some(b"ab".to_vec()));
        assert_eq!(decode_std(b"YQ==YQ=="), None);
        assert_eq!(decode_std(b"YQ="), None);
    }
}
