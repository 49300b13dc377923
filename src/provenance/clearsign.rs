//! Cleartext signature frames as Helm 4 reads them (go-crypto v1.3.0
//! `openpgp/clearsign.Decode` and `openpgp/armor.Decode`).
//!
//! Sequoia has its own cleartext reader, but it refuses part of what Helm
//! accepts (and the reverse). Verification must accept and refuse exactly what
//! Helm does, so the frame is decoded here with go-crypto's rules: the begin
//! line at the start or after a newline, only `Hash:` headers of printable
//! ASCII, dash-escapes and trailing blanks removed, lines joined with CRLF for
//! the signature (the last line ending excluded) and with LF for the text, and
//! an armored signature whose CRC24 line is ignored.

/// A decoded clearsigned message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The text as signed: lines joined with CRLF, no final line ending.
    pub signed: Vec<u8>,
    /// The text as read: lines joined with LF, no final line ending.
    pub plaintext: Vec<u8>,
    /// Values of the `Hash:` headers (not checked against the signature, as
    /// in Helm).
    pub hashes: Vec<String>,
    /// The signature packets, de-armored.
    pub signature: Vec<u8>,
}

const START: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----";
const END_TEXT: &[u8] = b"-----BEGIN PGP SIGNATURE-----";
const END: &[u8] = b"\n-----END PGP SIGNATURE-----";

/// go-crypto's `getLine`: up to `\n`, a `\r` before it dropped.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        None => (data, &data[data.len()..]),
        Some(i) => {
            let j = i + 1;
            let end = if i > 0 && data[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            (&data[..end], &data[j..])
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e.max(s)]
}

/// `clearsign.Decode`: the first clearsigned message in `data`, or `None`
/// ("signature block not found").
pub fn decode(data: &[u8]) -> Option<Block> {
    let mut rest: &[u8] = if data.starts_with(START) {
        &data[START.len()..]
    } else {
        let mut with_nl = Vec::with_capacity(START.len() + 1);
        with_nl.push(b'\n');
        with_nl.extend_from_slice(START);
        let i = find(data, &with_nl)?;
        &data[i + with_nl.len()..]
    };
    let (suffix, r) = get_line(rest);
    if !suffix.is_empty() {
        return None;
    }
    rest = r;
    let mut hashes = Vec::new();
    loop {
        if rest.is_empty() {
            return None;
        }
        let (line, r) = get_line(rest);
        rest = r;
        if trim_unicode_space(line).is_empty() {
            break;
        }
        if line.iter().any(|&c| !(0x20..=0x7e).contains(&c)) {
            return None;
        }
        let i = line.iter().position(|&c| c == b':')?;
        let key = trim_ascii(&line[..i]);
        if key != b"Hash" {
            return None;
        }
        let val = std::str::from_utf8(&line[i + 1..]).ok()?;
        hashes.extend(val.split(',').map(|v| v.trim().to_string()));
    }
    let mut signed = Vec::new();
    let mut plaintext = Vec::new();
    let mut first = true;
    loop {
        let start = rest;
        let (mut line, r) = get_line(rest);
        rest = r;
        if line.is_empty() && rest.is_empty() {
            return None;
        }
        if line == END_TEXT {
            rest = start;
            break;
        }
        if !first {
            signed.extend_from_slice(b"\r\n");
        }
        first = false;
        if line.starts_with(b"- ") {
            line = &line[2..];
        }
        let keep = line
            .iter()
            .rposition(|&c| c != b' ' && c != b'\t')
            .map_or(0, |i| i + 1);
        line = &line[..keep];
        signed.extend_from_slice(line);
        plaintext.extend_from_slice(line);
        plaintext.push(b'\n');
    }
    plaintext.pop();
    let i = find(rest, END)? + END.len();
    let armored = &rest[..i];
    let signature = dearmor(armored)?;
    Some(Block {
        signed,
        plaintext,
        hashes,
        signature,
    })
}

/// Go's `strings.TrimSpace` on a line (ASCII and Unicode spaces).
fn trim_unicode_space(line: &[u8]) -> &[u8] {
    match std::str::from_utf8(line) {
        Ok(s) => s.trim().as_bytes(),
        Err(_) => trim_ascii(line),
    }
}

/// go-crypto `armor.Decode` of a signature block: the first armor start line,
/// headers up to an empty line, then base64 lines (at most 96 bytes each) up
/// to the end line or a 5-byte `=` checksum line, which is not checked.
pub fn dearmor(armored: &[u8]) -> Option<Vec<u8>> {
    let mut lines = armored
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    // Skip to the first armor header line.
    loop {
        let line = trim_ascii(lines.next()?);
        if line.len() > 15 && line.starts_with(b"-----BEGIN ") && line.ends_with(b"-----") {
            break;
        }
    }
    // Headers.
    loop {
        let line = trim_ascii(lines.next()?);
        if line.is_empty() {
            break;
        }
        if !line.contains(&b':') {
            // go-crypto looks for another block; a signature has only one.
            return None;
        }
    }
    let mut b64 = Vec::new();
    for line in lines {
        if line.starts_with(b"-----END ") {
            break;
        }
        if line.len() == 5 && line[0] == b'=' {
            break;
        }
        if line.len() > 96 {
            return None;
        }
        b64.extend_from_slice(line);
    }
    crate::go::base64::decode_std(&b64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROV: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: demo\n- - x\nlast  \t\n-----BEGIN PGP SIGNATURE-----\n\nwsE5\n=AbCd\n-----END PGP SIGNATURE-----";

    #[test]
    fn decodes_like_go_crypto() {
        let b = decode(PROV).unwrap();
        assert_eq!(b.signed, b"name: demo\r\n- x\r\nlast");
        assert_eq!(b.plaintext, b"name: demo\n- x\nlast");
        assert_eq!(b.hashes, ["SHA512"]);
        assert_eq!(b.signature, vec![0xc2, 0xc1, 0x39]);
    }

    #[test]
    fn crlf_and_prefix_are_accepted() {
        let crlf: Vec<u8> = String::from_utf8_lossy(PROV)
            .replace('\n', "\r\n")
            .into_bytes();
        assert_eq!(decode(&crlf).unwrap().signed, b"name: demo\r\n- x\r\nlast");
        let mut prefixed = b"junk\n".to_vec();
        prefixed.extend_from_slice(PROV);
        assert!(decode(&prefixed).is_some());
        let mut glued = b"junk".to_vec();
        glued.extend_from_slice(PROV);
        assert!(decode(&glued).is_none());
    }

    #[test]
    fn refuses_what_go_crypto_refuses() {
        let s = String::from_utf8_lossy(PROV).into_owned();
        for bad in [
            s.replace("Hash: SHA512", "Comment: x"),
            s.replace("Hash: SHA512", "Hash SHA512"),
            s.replace("-----END PGP SIGNATURE-----", ""),
            s.replace("wsE5", "ws E5"),
            s.replace(
                "-----BEGIN PGP SIGNED MESSAGE-----\n",
                "-----BEGIN PGP SIGNED MESSAGE----- x\n",
            ),
        ] {
            assert!(decode(bad.as_bytes()).is_none(), "{bad}");
        }
    }
}
