//! Chart archives built in the tests, byte by byte, so that hostile ones
//! (odd paths, lying sizes) are as easy to make as valid ones.

use std::io::Write;
use std::path::Path;

/// A ustar header for a regular file `path` (written verbatim, so hostile
/// names are possible) of `size` bytes.
pub fn tar_header(path: &str, size: usize) -> [u8; 512] {
    let mut h = [0u8; 512];
    assert!(path.len() <= 100, "path too long for a ustar name");
    h[..path.len()].copy_from_slice(path.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// Builds a .tgz from (path, content) pairs, as regular files.
pub fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = Vec::new();
    for (path, data) in files {
        tar.extend_from_slice(&tar_header(path, data.len()));
        tar.extend_from_slice(data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
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
