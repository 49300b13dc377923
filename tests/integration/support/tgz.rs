//! Chart archives built in the tests, byte by byte, so that hostile ones
//! (odd paths, lying sizes) are as easy to make as valid ones.

use std::io::Write;
use std::path::Path;

/// A ustar header for a regular file `path` (written verbatim, so hostile
/// names are possible) of `size` bytes.
pub fn tar_header(path: &str, size: usize) -> [u8; 512] {
    tar_header_typed(path.as_bytes(), size, b'0')
}

/// A ustar header of any type flag (`L` GNU long name, `x` PAX, ...) whose
/// name is any bytes, UTF-8 or not.
pub fn tar_header_typed(path: &[u8], size: usize, typeflag: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    assert!(path.len() <= 100, "path too long for a ustar name");
    h[..path.len()].copy_from_slice(path);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// A tar member: header, data and padding to the next 512-byte block.
pub fn tar_member(path: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = tar_header_typed(path, data.len(), b'0').to_vec();
    m.extend_from_slice(data);
    m.resize(m.len().div_ceil(512) * 512, 0);
    m
}

/// A PAX record `"%d %s=%s\n"`.
pub fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut n = body + 1;
    while n != body + n.to_string().len() {
        n = body + n.to_string().len();
    }
    let mut r = format!("{n} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    assert_eq!(r.len(), n);
    r
}

/// Gzips a raw tar stream as it is (no end-of-archive blocks added).
pub fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(raw).unwrap();
    gz.finish().unwrap()
}

/// A gzip stream of `head`, then `mib` MiB of `fill`, then `tail`. Built
/// from concatenated gzip members (which gzip readers, Go's included, read
/// as one stream), the 1 MiB member compressed once, so an archive that
/// expands to hundreds of MiB is made in milliseconds.
pub fn gzip_expanding(head: &[u8], fill: u8, mib: usize, tail: &[u8]) -> Vec<u8> {
    let mut out = gzip(head);
    let chunk = gzip(&vec![fill; 1 << 20]);
    for _ in 0..mib {
        out.extend_from_slice(&chunk);
    }
    out.extend_from_slice(&gzip(tail));
    out
}

/// Builds a .tgz from (path, content) pairs, as regular files.
pub fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let raw: Vec<(&[u8], &[u8])> = files.iter().map(|(p, d)| (p.as_bytes(), *d)).collect();
    tgz_bytes(&raw)
}

/// [`tgz`] with names that are any bytes.
pub fn tgz_bytes(files: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut tar = Vec::new();
    for (path, data) in files {
        tar.extend_from_slice(&tar_member(path, data));
    }
    tar.resize(tar.len() + 1024, 0);
    gzip(&tar)
}

/// A minimal valid chart archive with the given Chart.yaml text.
pub fn chart_tgz(dir_name: &str, chart_yaml: &str) -> Vec<u8> {
    let cy = format!("{dir_name}/Chart.yaml");
    let vy = format!("{dir_name}/values.yaml");
    let tp = format!("{dir_name}/templates/cm.yaml");
    tgz(&[
        (&cy, chart_yaml.as_bytes()),
        (&vy, b"replicas: 1\n"),
        (&tp, b"apiVersion: v1\nkind: ConfigMap\n"),
    ])
}

/// Writes `chart_tgz` to `dir/file`.
pub fn write_chart(dir: &Path, file: &str, chart_yaml: &str) {
    let p = dir.join(file);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let name = file.rsplit('/').next().unwrap().trim_end_matches(".tgz");
    std::fs::write(p, chart_tgz(name, chart_yaml)).unwrap();
}
