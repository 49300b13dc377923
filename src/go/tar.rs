//! Go's `archive/tar` reader (`Reader.Next` and `Reader.Read`), as far as
//! Helm's chart loader sees it.
//!
//! What Helm accepts is what this reader accepts, so its rules are ported
//! rather than taken from a general tar library: a header's checksum may be
//! the signed or the unsigned sum; numbers are octal or base-256; PAX records
//! and GNU long names replace the name; a GNU long name, a long link name or
//! a PAX header larger than 1 MiB fails the archive (`maxSpecialFileSize`,
//! where a general library would buffer it whole); and the archive may end
//! without its two zero blocks, even inside the padding after the last
//! member's data, while EOF inside a header or inside data is an error.
//! Names are bytes, as Go strings are.
//!
//! Sparse files (GNU type `S`, or PAX `GNU.sparse.*` records) are refused:
//! Go expands them, but no chart tool writes them and their holes would only
//! be another way to expand a small archive.

use std::fmt;
use std::io::{self, Read};

/// Go's `maxSpecialFileSize`: the largest GNU long name, long link name or
/// PAX header data.
pub const MAX_SPECIAL_FILE_SIZE: u64 = 1 << 20;

const BLOCK: usize = 512;

/// PAX records (key, value) in the order first seen, a later record of the
/// same key replacing the value.
type Records = Vec<(Vec<u8>, Vec<u8>)>;

/// The parts of Go's `tar.Header` that decide how a chart loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: Vec<u8>,
    pub typeflag: u8,
    pub mode: i64,
    pub size: i64,
}

pub const TYPE_REG: u8 = b'0';
pub const TYPE_DIR: u8 = b'5';
pub const TYPE_X_HEADER: u8 = b'x';
pub const TYPE_X_GLOBAL_HEADER: u8 = b'g';
const TYPE_REG_A: u8 = 0;
const TYPE_GNU_LONG_NAME: u8 = b'L';
const TYPE_GNU_LONG_LINK: u8 = b'K';
const TYPE_GNU_SPARSE: u8 = b'S';

impl Header {
    /// Go's `hdr.FileInfo().IsDir()`.
    pub fn is_dir(&self) -> bool {
        // FileMode(h.Mode) keeps the low 32 bits; the type bits must be
        // exactly c_ISDIR.
        let m = (self.mode as u32) & !0o7777;
        m == 0o40000 || self.typeflag == TYPE_DIR
    }
}

/// Why an archive cannot be read.
#[derive(Debug)]
pub enum Error {
    /// `tar.ErrHeader`: a bad checksum, number or PAX record.
    Header,
    /// `tar.ErrFieldTooLong`: a special header over [`MAX_SPECIAL_FILE_SIZE`].
    FieldTooLong { typeflag: u8, size: i64 },
    /// `io.ErrUnexpectedEOF`: the stream ends inside a header or data.
    Truncated,
    /// A sparse file (see the module docs).
    Sparse,
    /// The stream below failed.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Header => f.write_str("invalid tar header"),
            Error::FieldTooLong { typeflag, size } => {
                let what = match *typeflag {
                    TYPE_GNU_LONG_NAME => "GNU long name",
                    TYPE_GNU_LONG_LINK => "GNU long link name",
                    TYPE_X_GLOBAL_HEADER => "PAX global header",
                    _ => "PAX header",
                };
                write!(
                    f,
                    "tar header field too long: {what} of {size} bytes (at most {MAX_SPECIAL_FILE_SIZE})"
                )
            }
            Error::Truncated => f.write_str("truncated archive (unexpected EOF)"),
            Error::Sparse => f.write_str("sparse files are not supported"),
            Error::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::Truncated
        } else {
            Error::Io(e)
        }
    }
}

/// `tar.Reader`: [`Reader::next`] moves to the next member, whose data is
/// then read through [`Read`].
pub struct Reader<R> {
    r: R,
    /// Unread data bytes of the current member.
    remaining: u64,
    /// Padding after the current member's data.
    pad: u64,
    /// A failed `next` fails every later one (Go's sticky `tr.err`).
    failed: bool,
}

impl<R: Read> Reader<R> {
    pub fn new(r: R) -> Self {
        Reader {
            r,
            remaining: 0,
            pad: 0,
            failed: false,
        }
    }

    /// The next member's header, or `None` at the end of the archive.
    pub fn next(&mut self) -> Result<Option<Header>, Error> {
        if self.failed {
            return Err(Error::Header);
        }
        let r = self.next_inner();
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    fn next_inner(&mut self) -> Result<Option<Header>, Error> {
        let mut pax: Records = Vec::new();
        let mut long_name: Vec<u8> = Vec::new();
        loop {
            // Discard the rest of the data (EOF there is truncation) and the
            // padding (EOF there ends the archive).
            let rest = self.remaining;
            self.remaining = 0;
            if io::copy(&mut (&mut self.r).take(rest), &mut io::sink())? < rest {
                return Err(Error::Truncated);
            }
            let pad = self.pad;
            self.pad = 0;
            if io::copy(&mut (&mut self.r).take(pad), &mut io::sink())? < pad {
                return Ok(None);
            }
            let Some(mut hdr) = self.read_header()? else {
                return Ok(None);
            };
            self.set_data(&hdr)?;
            match hdr.typeflag {
                TYPE_X_HEADER | TYPE_X_GLOBAL_HEADER => {
                    let data = self.read_special(&hdr)?;
                    pax = parse_pax(&data)?;
                    if hdr.typeflag == TYPE_X_GLOBAL_HEADER {
                        merge_pax(&mut hdr, &pax)?;
                        return Ok(Some(Header {
                            name: hdr.name,
                            typeflag: hdr.typeflag,
                            mode: 0,
                            size: 0,
                        }));
                    }
                }
                TYPE_GNU_LONG_NAME | TYPE_GNU_LONG_LINK => {
                    let data = self.read_special(&hdr)?;
                    if hdr.typeflag == TYPE_GNU_LONG_NAME {
                        long_name = c_string(&data).to_vec();
                    }
                }
                _ => {
                    merge_pax(&mut hdr, &pax)?;
                    if !long_name.is_empty() {
                        hdr.name = long_name;
                    }
                    if hdr.typeflag == TYPE_REG_A {
                        hdr.typeflag = if hdr.name.ends_with(b"/") {
                            TYPE_DIR
                        } else {
                            TYPE_REG
                        };
                    }
                    // PAX records may have changed the size.
                    self.set_data(&hdr)?;
                    if hdr.typeflag == TYPE_GNU_SPARSE || is_pax_sparse(&pax) {
                        return Err(Error::Sparse);
                    }
                    return Ok(Some(hdr));
                }
            }
        }
    }

    /// Go's `handleRegularFile`.
    fn set_data(&mut self, hdr: &Header) -> Result<(), Error> {
        let nb = if is_header_only(hdr.typeflag) {
            0
        } else {
            hdr.size
        };
        let nb = u64::try_from(nb).map_err(|_| Error::Header)?;
        self.remaining = nb;
        self.pad = nb.wrapping_neg() & (BLOCK as u64 - 1);
        Ok(())
    }

    /// Go's `readSpecialFile`: the data of a special header, refused past
    /// [`MAX_SPECIAL_FILE_SIZE`] without reading further.
    fn read_special(&mut self, hdr: &Header) -> Result<Vec<u8>, Error> {
        let mut buf = Vec::new();
        self.take(MAX_SPECIAL_FILE_SIZE + 1).read_to_end(&mut buf)?;
        if buf.len() as u64 > MAX_SPECIAL_FILE_SIZE {
            return Err(Error::FieldTooLong {
                typeflag: hdr.typeflag,
                size: hdr.size,
            });
        }
        Ok(buf)
    }

    /// Go's `readHeader`: `None` at the end of the archive (EOF before a
    /// header, or two zero blocks, or one zero block then EOF).
    fn read_header(&mut self) -> Result<Option<Header>, Error> {
        let mut blk = [0u8; BLOCK];
        if !self.read_block(&mut blk)? {
            return Ok(None);
        }
        if blk.iter().all(|b| *b == 0) {
            if !self.read_block(&mut blk)? {
                return Ok(None);
            }
            if blk.iter().all(|b| *b == 0) {
                return Ok(None);
            }
            return Err(Error::Header);
        }
        parse_header(&blk).map(Some)
    }

    /// `io.ReadFull` of one block: `false` at EOF before any byte,
    /// truncation after some.
    fn read_block(&mut self, blk: &mut [u8; BLOCK]) -> Result<bool, Error> {
        let mut n = 0;
        while n < BLOCK {
            match self.r.read(&mut blk[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        match n {
            0 => Ok(false),
            BLOCK => Ok(true),
            _ => Err(Error::Truncated),
        }
    }
}

/// The current member's data (Go's `regFileReader`): EOF of the stream
/// before the member's size is [`io::ErrorKind::UnexpectedEof`].
impl<R: Read> Read for Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated archive (unexpected EOF)",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Go's `isHeaderOnlyType`.
fn is_header_only(flag: u8) -> bool {
    matches!(flag, b'1' | b'2' | b'3' | b'4' | b'5' | b'6')
}

/// Go's `parseString`: up to the first NUL.
fn c_string(b: &[u8]) -> &[u8] {
    match b.iter().position(|c| *c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Go's `parser`: the first numeric error is kept.
#[derive(Default)]
struct Parser {
    bad: bool,
}

impl Parser {
    /// Go's `parseNumeric`: base-256 when the high bit is set, else octal.
    fn numeric(&mut self, b: &[u8]) -> i64 {
        if b.first().is_some_and(|c| c & 0x80 != 0) {
            let inv: u8 = if b[0] & 0x40 != 0 { 0xff } else { 0 };
            let mut x: u64 = 0;
            for (i, c) in b.iter().enumerate() {
                let mut c = c ^ inv;
                if i == 0 {
                    c &= 0x7f;
                }
                if x >> 56 > 0 {
                    self.bad = true;
                    return 0;
                }
                x = x << 8 | u64::from(c);
            }
            if x >> 63 > 0 {
                self.bad = true;
                return 0;
            }
            return if inv == 0xff { !(x as i64) } else { x as i64 };
        }
        self.octal(b)
    }

    /// Go's `parseOctal`: spaces and NULs trimmed, then `ParseUint(s, 8, 64)`.
    fn octal(&mut self, b: &[u8]) -> i64 {
        let trim = |c: &u8| *c == b' ' || *c == 0;
        let start = b.iter().position(|c| !trim(c)).unwrap_or(b.len());
        let end = b.iter().rposition(|c| !trim(c)).map_or(start, |i| i + 1);
        let b = &b[start..end];
        if b.is_empty() {
            return 0;
        }
        let s = c_string(b);
        let mut x: u64 = 0;
        if s.is_empty() {
            self.bad = true;
            return 0;
        }
        for c in s {
            let d = match c {
                b'0'..=b'7' => u64::from(c - b'0'),
                _ => {
                    self.bad = true;
                    return 0;
                }
            };
            match x.checked_mul(8).and_then(|v| v.checked_add(d)) {
                Some(v) => x = v,
                None => {
                    self.bad = true;
                    return u64::MAX as i64;
                }
            }
        }
        x as i64
    }
}

#[derive(PartialEq, Eq)]
enum Format {
    V7,
    Ustar,
    Star,
    Gnu,
}

/// Go's `block.getFormat`: `None` when the checksum matches neither sum.
fn format(b: &[u8; BLOCK]) -> Option<Format> {
    let mut p = Parser::default();
    let value = p.octal(&b[148..156]);
    let (mut unsigned, mut signed) = (0i64, 0i64);
    for (i, c) in b.iter().enumerate() {
        let c = if (148..156).contains(&i) { b' ' } else { *c };
        unsigned += i64::from(c);
        signed += i64::from(c as i8);
    }
    if p.bad || (value != unsigned && value != signed) {
        return None;
    }
    let magic = &b[257..263];
    let version = &b[263..265];
    let trailer = &b[508..512];
    Some(if magic == b"ustar\0" && trailer == b"tar\0" {
        Format::Star
    } else if magic == b"ustar\0" {
        Format::Ustar
    } else if magic == b"ustar " && version == b" \0" {
        Format::Gnu
    } else {
        Format::V7
    })
}

/// Go's `readHeader` after the end-of-archive check.
fn parse_header(b: &[u8; BLOCK]) -> Result<Header, Error> {
    let format = format(b).ok_or(Error::Header)?;
    let mut p = Parser::default();
    let mut hdr = Header {
        typeflag: b[156],
        name: c_string(&b[0..100]).to_vec(),
        size: p.numeric(&b[124..136]),
        mode: p.numeric(&b[100..108]),
    };
    p.numeric(&b[108..116]); // uid
    p.numeric(&b[116..124]); // gid
    p.numeric(&b[136..148]); // mtime
    if format != Format::V7 {
        p.numeric(&b[329..337]); // devmajor
        p.numeric(&b[337..345]); // devminor
        let mut prefix: &[u8] = &[];
        match format {
            Format::Ustar => prefix = c_string(&b[345..500]),
            Format::Star => {
                prefix = c_string(&b[345..476]);
                p.numeric(&b[476..488]); // atime
                p.numeric(&b[488..500]); // ctime
            }
            _ => {
                // Pre-Go 1.8 writers put a USTAR prefix where GNU keeps
                // atime and ctime; Go reads it back when those do not parse.
                let mut p2 = Parser::default();
                for field in [&b[345..357], &b[357..369]] {
                    if field[0] != 0 {
                        p2.numeric(field);
                    }
                }
                if p2.bad {
                    let s = c_string(&b[345..500]);
                    if s.is_ascii() {
                        prefix = s;
                    }
                }
            }
        }
        if !prefix.is_empty() {
            let mut name = prefix.to_vec();
            name.push(b'/');
            name.extend_from_slice(&hdr.name);
            hdr.name = name;
        }
    }
    if p.bad {
        return Err(Error::Header);
    }
    Ok(hdr)
}

/// Go's `parsePAX`: the records in order; GNU sparse 0.0 offsets and sizes
/// become one `GNU.sparse.map` record.
fn parse_pax(data: &[u8]) -> Result<Records, Error> {
    let mut rest = data;
    let mut records: Records = Vec::new();
    let mut sparse_map: Vec<&[u8]> = Vec::new();
    while !rest.is_empty() {
        let (k, v, r) = parse_pax_record(rest).ok_or(Error::Header)?;
        rest = r;
        if k == b"GNU.sparse.offset" || k == b"GNU.sparse.numbytes" {
            let want: &[u8] = if sparse_map.len().is_multiple_of(2) {
                b"GNU.sparse.offset"
            } else {
                b"GNU.sparse.numbytes"
            };
            if k != want || v.contains(&b',') {
                return Err(Error::Header);
            }
            sparse_map.push(v);
        } else {
            set_record(&mut records, k, v);
        }
    }
    if !sparse_map.is_empty() {
        let map = sparse_map.join(&b","[..]);
        set_record(&mut records, b"GNU.sparse.map", &map);
    }
    Ok(records)
}

fn set_record(records: &mut Records, k: &[u8], v: &[u8]) {
    match records.iter_mut().find(|(key, _)| key == k) {
        Some((_, val)) => *val = v.to_vec(),
        None => records.push((k.to_vec(), v.to_vec())),
    }
}

fn record<'a>(records: &'a Records, k: &[u8]) -> Option<&'a [u8]> {
    records
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_slice())
}

/// Go's `parsePAXRecord`: `"%d %s=%s\n"`; the key, the value and the rest.
fn parse_pax_record(s: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let sp = s.iter().position(|c| *c == b' ')?;
    let (n_str, rest) = (&s[..sp], &s[sp + 1..]);
    let n = parse_int(n_str)?;
    if n < 5 || n > s.len() as i64 {
        return None;
    }
    let n = usize::try_from(n - (n_str.len() as i64 + 1)).ok()?;
    if n == 0 {
        return None;
    }
    let (rec, nl, rem) = (&rest[..n - 1], &rest[n - 1..n], &rest[n..]);
    if nl != b"\n" {
        return None;
    }
    let eq = rec.iter().position(|c| *c == b'=')?;
    let (k, v) = (&rec[..eq], &rec[eq + 1..]);
    // Go's validPAXRecord.
    if k.is_empty() || k.contains(&b'=') {
        return None;
    }
    let nul_free = match k {
        b"path" | b"linkpath" | b"uname" | b"gname" => !v.contains(&0),
        _ => !k.contains(&0),
    };
    nul_free.then_some((k, v, rem))
}

/// Go's `mergePAX`, for the fields a chart's loading depends on and the
/// ones whose parse errors refuse the archive.
fn merge_pax(hdr: &mut Header, records: &Records) -> Result<(), Error> {
    for (k, v) in records {
        if v.is_empty() {
            continue;
        }
        match k.as_slice() {
            b"path" => hdr.name = v.clone(),
            b"size" => hdr.size = parse_int(v).ok_or(Error::Header)?,
            b"uid" | b"gid" => {
                parse_int(v).ok_or(Error::Header)?;
            }
            b"atime" | b"mtime" | b"ctime" if !valid_pax_time(v) => return Err(Error::Header),
            _ => {}
        }
    }
    Ok(())
}

/// Go's `readGNUSparsePAXHeaders` deciding that a member is sparse.
fn is_pax_sparse(records: &Records) -> bool {
    let major = record(records, b"GNU.sparse.major").unwrap_or_default();
    let minor = record(records, b"GNU.sparse.minor").unwrap_or_default();
    match (major, minor) {
        (b"0", b"0" | b"1") | (b"1", b"0") => true,
        (b"", b"") => record(records, b"GNU.sparse.map").is_some_and(|m| !m.is_empty()),
        _ => false,
    }
}

/// Go's `parsePAXTime` succeeding: seconds as `ParseInt`, then optional
/// `.` and digits.
fn valid_pax_time(v: &[u8]) -> bool {
    let (secs, frac) = match v.iter().position(|c| *c == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &[][..]),
    };
    parse_int(secs).is_some() && frac.iter().all(u8::is_ascii_digit)
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut x: i128 = 0;
    for d in digits {
        x = x * 10 + i128::from(d - b'0');
        if x > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let x = if neg { -x } else { x };
    i64::try_from(x).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &[u8], size: usize, flag: u8) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name);
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = flag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    fn member(name: &[u8], data: &[u8], flag: u8) -> Vec<u8> {
        let mut m = header(name, data.len(), flag).to_vec();
        m.extend_from_slice(data);
        m.resize(m.len().div_ceil(BLOCK) * BLOCK, 0);
        m
    }

    type Member = (Vec<u8>, u8, Vec<u8>);

    /// Every member: (name, type, data), or the error that stopped reading.
    fn read_all(raw: &[u8]) -> Result<Vec<Member>, Error> {
        let mut r = Reader::new(raw);
        let mut out = Vec::new();
        while let Some(h) = r.next()? {
            let mut data = Vec::new();
            r.read_to_end(&mut data)?;
            out.push((h.name, h.typeflag, data));
        }
        Ok(out)
    }

    #[test]
    fn reads_members_names_as_bytes() {
        let raw = [
            member(b"a/\xff", b"one", b'0'),
            member(b"a/dir/", b"", 0),
            vec![0; 1024],
        ]
        .concat();
        let got = read_all(&raw).unwrap();
        assert_eq!(got[0], (b"a/\xff".to_vec(), b'0', b"one".to_vec()));
        assert_eq!((got[1].0.as_slice(), got[1].1), (&b"a/dir/"[..], TYPE_DIR));
    }

    #[test]
    fn long_names_and_pax_paths_replace_the_name() {
        let long = vec![b'n'; 300];
        let pax = b"13 path=a/pp\n";
        let raw = [
            member(b"././@LongLink", &long, b'L'),
            member(b"short", b"x", b'0'),
            member(b"PaxHeader", pax, b'x'),
            member(b"other", b"y", b'0'),
            member(b"g", b"13 path=a/gg\n", b'g'),
        ]
        .concat();
        let got = read_all(&raw).unwrap();
        assert_eq!(got[0].0, long);
        assert_eq!(got[1].0, b"a/pp");
        assert_eq!((got[2].0.as_slice(), got[2].1), (&b"a/gg"[..], b'g'));
    }

    #[test]
    fn special_headers_over_one_mib_are_refused_after_reading_one_mib() {
        for flag in [b'L', b'K', b'x', b'g'] {
            let size = 250 << 20;
            let mut raw = header(b"././@LongLink", size, flag).to_vec();
            raw.resize(raw.len() + (MAX_SPECIAL_FILE_SIZE as usize) + 1, b'a');
            // The stream stops here: reading any further would be EOF.
            let err = read_all(&raw).unwrap_err();
            assert!(
                matches!(err, Error::FieldTooLong { .. }),
                "{}: {err}",
                flag as char
            );
        }
        // Exactly 1 MiB is allowed.
        let name = vec![b'n'; MAX_SPECIAL_FILE_SIZE as usize];
        let raw = [
            member(b"././@LongLink", &name, b'L'),
            member(b"x", b"", b'0'),
        ]
        .concat();
        assert_eq!(read_all(&raw).unwrap()[0].0, name);
    }

    #[test]
    fn ends_where_go_ends() {
        let m = member(b"a/b", b"data", b'0');
        let ok = |raw: &[u8]| read_all(raw).map(|v| v.len());
        assert_eq!(ok(&m[..BLOCK + 4]).unwrap(), 1, "no padding");
        assert_eq!(ok(&m[..BLOCK + 100]).unwrap(), 1, "padding cut");
        assert_eq!(ok(&m).unwrap(), 1, "no trailer");
        assert_eq!(
            ok(&[&m[..], &[0; 512]].concat()).unwrap(),
            1,
            "one zero block"
        );
        assert_eq!(ok(&[]).unwrap(), 0);
        for (what, raw) in [
            ("data cut", m[..BLOCK + 2].to_vec()),
            ("header cut", m[..100].to_vec()),
            ("second zero block cut", [&m[..], &[0; 700]].concat()),
        ] {
            assert!(matches!(read_all(&raw), Err(Error::Truncated)), "{what}");
        }
        let zero_then_header = [&m[..], &[0; 512], &m[..]].concat();
        assert!(matches!(read_all(&zero_then_header), Err(Error::Header)));
    }

    #[test]
    fn bad_checksums_numbers_and_records_are_header_errors() {
        let mut bad_sum = member(b"a/b", b"x", b'0');
        bad_sum[0] = b'c';
        assert!(matches!(read_all(&bad_sum), Err(Error::Header)));
        let mut h = header(b"a/b", 1, b'0');
        h[124..136].copy_from_slice(b"0000000009\0\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert!(matches!(read_all(&h), Err(Error::Header)));
        for rec in [
            &b"4 a=\n"[..],
            b"99 path=x\n",
            b"11 path=x\0\n",
            b"10 size=x\n",
            b"5 =x\n",
        ] {
            let raw = [member(b"P", rec, b'x'), member(b"a/b", b"", b'0')].concat();
            assert!(matches!(read_all(&raw), Err(Error::Header)), "{rec:?}");
        }
    }

    #[test]
    fn pax_size_and_base256_sizes_apply() {
        let raw = [
            member(b"P", b"10 size=3\n", b'x'),
            header(b"a/b", 0, b'0').to_vec(),
            b"abc".to_vec(),
        ]
        .concat();
        assert_eq!(read_all(&raw).unwrap()[0].2, b"abc");
        let mut p = Parser::default();
        let mut b256 = [0u8; 12];
        b256[0] = 0x80;
        b256[11] = 7;
        assert_eq!(p.numeric(&b256), 7);
        assert!(!p.bad);
    }

    #[test]
    fn sparse_members_are_refused() {
        let raw = member(b"a/b", b"", b'S');
        assert!(matches!(read_all(&raw), Err(Error::Sparse)));
        let raw = [
            member(
                b"P",
                b"22 GNU.sparse.major=1\n22 GNU.sparse.minor=0\n",
                b'x',
            ),
            member(b"a/b", b"", b'0'),
        ]
        .concat();
        assert!(matches!(read_all(&raw), Err(Error::Sparse)));
    }

    #[test]
    fn directories_follow_file_info() {
        let h = |mode: i64, typeflag: u8| Header {
            name: b"x".to_vec(),
            typeflag,
            mode,
            size: 0,
        };
        assert!(h(0o40755, b'0').is_dir());
        assert!(h(0o644, TYPE_DIR).is_dir());
        assert!(!h(0o100644, b'0').is_dir());
        assert!(!h(0o140755, b'0').is_dir());
    }
}
