//! Differential test: hundreds of mutations of real provenance files get the
//! same verdict from `helm prov verify` as from Helm 4.1.4, wherever Helm
//! 3.17.3 and Helm 4.1.4 agree with each other.

use std::fs;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::support::*;
use wharf::provenance;

/// xorshift64*: a fixed seed keeps the mutations the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn region(prov: &[u8], from: &[u8], to: &[u8]) -> (usize, usize) {
    let find = |n: &[u8]| prov.windows(n.len()).position(|w| w == n);
    let a = find(from).map_or(0, |i| i + from.len());
    let b = find(to).unwrap_or(prov.len()).max(a + 1);
    (a, b)
}

/// One mutant of `prov`, with a name saying what was done.
fn mutate(prov: &[u8], rng: &mut Rng, k: usize) -> (String, Vec<u8>) {
    let mut m = prov.to_vec();
    let lines: Vec<&[u8]> = prov.split(|&b| b == b'\n').collect();
    match k % 7 {
        0 | 1 => {
            // A flipped bit in the signed text.
            let (a, b) = region(prov, b"\n\n", b"-----BEGIN PGP SIGNATURE-----");
            let i = a + rng.below(b - a);
            let bit = 1u8 << rng.below(8);
            m[i] ^= bit;
            (format!("body byte {i} ^ {bit}"), m)
        }
        2 | 3 => {
            // A flipped bit in the armored signature.
            let (a, b) = region(
                prov,
                b"-----BEGIN PGP SIGNATURE-----",
                b"-----END PGP SIGNATURE-----",
            );
            let i = a + rng.below(b - a);
            let bit = 1u8 << rng.below(7);
            m[i] ^= bit;
            (format!("signature byte {i} ^ {bit}"), m)
        }
        4 => {
            // Anywhere, including headers and armor lines.
            let i = rng.below(m.len());
            let bit = 1u8 << rng.below(8);
            m[i] ^= bit;
            (format!("byte {i} ^ {bit}"), m)
        }
        5 => {
            let n = rng.below(m.len());
            m.truncate(n);
            (format!("truncated at {n}"), m)
        }
        _ => {
            let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
            let mut l = lines.clone();
            l.swap(i, j);
            (format!("lines {i} and {j} swapped"), l.join(&b'\n'))
        }
    }
}

#[test]
fn mutations_get_helm_4s_verdict_where_helm_3_agrees() {
    let home = HelmHome::new();
    let prov_dir = fixtures().join("prov");
    let samples = [
        ("helm3.17.3-rsa", "rsa.pub.gpg"),
        ("helm4.1.4-rsa", "rsa.pub.gpg"),
        ("helm4.1.4-ecdsa", "ecdsa.pub.gpg"),
        ("gpg2.2-clearsign-rsa-sha512", "rsa.pub.gpg"),
    ];
    let mut cases: Vec<(String, PathBuf, PathBuf, Vec<u8>)> = Vec::new();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for (dir, ring) in samples {
        let prov = fs::read(prov_dir.join(dir).join("demo-0.1.0.tgz.prov")).unwrap();
        for k in 0..90 {
            let (what, m) = mutate(&prov, &mut rng, k);
            if m != prov {
                cases.push((
                    format!("{dir}: {what}"),
                    prov_dir.join(dir).join("demo-0.1.0.tgz"),
                    prov_dir.join("keys").join(ring),
                    m,
                ));
            }
        }
    }
    assert!(cases.len() >= 300, "only {} mutants", cases.len());
    let work = tempfile::tempdir().unwrap();
    let results = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((what, tgz, ring, prov)) = cases.get(i) else {
                    break;
                };
                let d = work.path().join(i.to_string());
                fs::create_dir_all(&d).unwrap();
                let chart = d.join("demo-0.1.0.tgz");
                fs::copy(tgz, &chart).unwrap();
                fs::write(d.join("demo-0.1.0.tgz.prov"), prov).unwrap();
                let helm_ok = |h: Helm| {
                    home.helm(
                        h,
                        &[
                            "verify",
                            chart.to_str().unwrap(),
                            "--keyring",
                            ring.to_str().unwrap(),
                        ],
                    )
                    .status
                    .success()
                };
                let (h3, h4) = (helm_ok(Helm::V3), helm_ok(Helm::V4));
                let certs = provenance::load_keyring(ring).unwrap();
                let ours = provenance::verify(
                    &fs::read(&chart).unwrap(),
                    prov,
                    "demo-0.1.0.tgz",
                    &certs,
                    provenance::Policy::default(),
                )
                .is_ok();
                results.lock().unwrap().push((what.clone(), h3, h4, ours));
            });
        }
    });
    let results = results.into_inner().unwrap();
    let agreed: Vec<_> = results.iter().filter(|r| r.1 == r.2).collect();
    let differ: Vec<String> = agreed
        .iter()
        .filter(|r| r.2 != r.3)
        .map(|r| format!("{} (Helm: {}, ours: {})", r.0, r.2, r.3))
        .collect();
    assert!(
        agreed.len() >= 250,
        "Helm 3 and 4 agree on only {} mutants",
        agreed.len()
    );
    assert!(
        agreed.iter().any(|r| r.2) && agreed.iter().any(|r| !r.2),
        "mutants should include both verdicts"
    );
    assert!(
        differ.is_empty(),
        "{} of {} verdicts differ from Helm 4:\n{}",
        differ.len(),
        agreed.len(),
        differ.join("\n")
    );
}
