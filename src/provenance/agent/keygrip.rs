//! Keygrips: gpg-agent files secret keys under libgcrypt's hash of the
//! public key, and `SIGKEY` names the key to sign with by it, so the signer
//! must compute the grip of an OpenPGP key exactly as libgcrypt does. For
//! ECC that hash covers the curve's domain parameters in libgcrypt's own
//! spelling, hence the tables here; the tests check the result against the
//! keygrips gpg prints.

use openpgp::crypto::mpi;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::Key;
use openpgp::types::{Curve, HashAlgorithm};
use sequoia_openpgp as openpgp;

use super::super::hash;
use super::AgentError;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Domain parameters as libgcrypt hashes them into an ECC keygrip: p, a, b,
/// the base point (uncompressed, `04 || x || y`) and n, in hex.
pub(super) struct Domain {
    pub(super) bits: u32,
    p: &'static str,
    a: &'static str,
    b: &'static str,
    g: &'static str,
    n: &'static str,
}

const NIST_P256: Domain = Domain {
    bits: 256,
    p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    a: "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
    b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
    g: "04\
        6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
        4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
    n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
};

const NIST_P384: Domain = Domain {
    bits: 384,
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe\
        ffffffff0000000000000000ffffffff",
    a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe\
        ffffffff0000000000000000fffffffc",
    b: "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a\
        c656398d8a2ed19d2a85c8edd3ec2aef",
    g: "04\
        aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38\
        5502f25dbf55296c3a545e3872760ab7\
        3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c0\
        0a60b1ce1d7e819d7a431d7c90ea0e5f",
    n: "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf\
        581a0db248b0a77aecec196accc52973",
};

const NIST_P521: Domain = Domain {
    bits: 521,
    p: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    a: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
        fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc",
    // b has a leading zero byte; libgcrypt hashes numbers without them.
    b: "51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef1\
        09e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
    // The coordinates keep their full 66 bytes inside the point.
    g: "04\
        00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d\
        3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66\
        011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e\
        662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
    n: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
        fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
};

/// libgcrypt writes Ed25519's a (-1) and d as negative numbers and hashes
/// their magnitudes, so these are 1 and p - d, not the field elements.
pub(super) const ED25519: Domain = Domain {
    bits: 255,
    p: "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed",
    a: "01",
    b: "2dfc9311d490018c7338bf8688861767ff8ff5b2bebe27548a14b235eca6874a",
    g: "04\
        216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a\
        6666666666666666666666666666666666666666666666666666666666666658",
    n: "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed",
};

pub(super) fn domain(curve: &Curve) -> Option<&'static Domain> {
    match curve {
        Curve::NistP256 => Some(&NIST_P256),
        Curve::NistP384 => Some(&NIST_P384),
        Curve::NistP521 => Some(&NIST_P521),
        _ => None,
    }
}

/// The keygrip by which gpg-agent knows a key: libgcrypt's SHA-1 of the
/// public key, over RSA's modulus in its signed form (a leading zero when
/// the top bit is set), or for ECC over `(1:p<len>:<bytes>)` for each of p,
/// a, b, g, n and the public point (for EdDSA the 32-byte compressed one).
pub(super) fn keygrip(key: &Key<PublicParts, UnspecifiedRole>) -> Result<[u8; 20], AgentError> {
    let unsupported = || AgentError::Unsupported(describe_algo(key));
    let digest = match key.mpis() {
        mpi::PublicKey::RSA { n, .. } => {
            let n = n.value();
            let zero: &[u8] = if n.first().is_some_and(|b| b & 0x80 != 0) {
                &[0]
            } else {
                &[]
            };
            hash(HashAlgorithm::SHA1, &[zero, n])
        }
        mpi::PublicKey::ECDSA { curve, q } => {
            let d = domain(curve).ok_or_else(unsupported)?;
            ecc_grip(d, q.value())
        }
        mpi::PublicKey::EdDSA {
            curve: Curve::Ed25519,
            q,
        } => {
            let q = q.value();
            let q = match q {
                [0x40, rest @ ..] if rest.len() == 32 => rest,
                _ if q.len() == 32 => q,
                _ => return Err(unsupported()),
            };
            ecc_grip(&ED25519, q)
        }
        _ => return Err(unsupported()),
    };
    digest
        .and_then(|d| <[u8; 20]>::try_from(d.as_slice()).ok())
        .ok_or_else(|| {
            AgentError::Unsupported(format!(
                "{} (the crypto backend lacks the SHA-1 of its keygrip)",
                describe_algo(key)
            ))
        })
}

fn ecc_grip(d: &Domain, q: &[u8]) -> Option<Vec<u8>> {
    let values = [d.p, d.a, d.b, d.g, d.n].map(unhex);
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for (name, value) in "pabgnq"
        .chars()
        .zip(values.iter().map(Vec::as_slice).chain([q]))
    {
        parts.push(format!("(1:{name}{}:", value.len()).into_bytes());
        parts.push(value.to_vec());
        parts.push(b")".to_vec());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    hash(HashAlgorithm::SHA1, &refs)
}

fn describe_algo(key: &Key<PublicParts, UnspecifiedRole>) -> String {
    match key.mpis() {
        mpi::PublicKey::ECDSA { curve, .. } | mpi::PublicKey::EdDSA { curve, .. } => {
            format!("{} on {curve}", key.pk_algo())
        }
        _ => key.pk_algo().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::hex_upper;
    use super::super::tests::cert;
    use super::*;

    /// Expected keygrips, as GnuPG 2.2.40 (libgcrypt 1.10.1) prints them:
    /// `gpg --with-keygrip --with-colons --import-options show-only
    /// --import KEY.pub.gpg`, the `grp` line after each `fpr` line.
    #[test]
    fn keygrips_match_gnupg() {
        for (file, fingerprint, grip) in [
            (
                "rsa.pub.gpg",
                "938D25173643C1D935E3D9B5F16D692B5491590B",
                "357632794727FAB75BB9A0D9BBA7643EA8C5BD69",
            ),
            (
                "ecdsa.pub.gpg",
                "1F882E4F36FEECE3B132D35CCAFD42F230DCC119",
                "FCF3FACBB7F02ACACBF4AE4C4C59ECF929CAAB2F",
            ),
            (
                "ed25519.pub.gpg",
                "628781AF57955C3B85BADABED8A67297ED082F83",
                "EC101A5BE9A9F90EE58BB2C24AD692908DD437A0",
            ),
            (
                "edsub.pub.gpg",
                "1970DFE7CDDC7DA3B5096F6AB4A501331924D819",
                "53D864FFD4A7C43E2F3AD181A4FFFC725A4693DF",
            ),
            (
                "edsub.pub.gpg",
                "C8E81C5812D9C01D39B2AE485E6CB5632CEEA31C",
                "3280836C16696516FD875354CDF067DD06ED86B5",
            ),
            (
                "default.pub.gpg",
                "A8B5093246FB09D9D3E4B6BE5B87E8CAA1E1D8E7",
                "4E603E6D94CF77BBE81CEB502903DA242ACEA5CE",
            ),
            (
                "default.pub.gpg",
                "ADD21FA48CEAF7A4B7EA599E5BF0DA033B0136C8",
                "995DCFE9FAE84B17E7B1C37A3BE463D30680BE8B",
            ),
            (
                "rsapw.pub.gpg",
                "45585922C07372B30CD480067CCF44FD445A794D",
                "9FD5CFC1EF326E83C806DE489A23EB8E93A9EA8F",
            ),
        ] {
            let c = cert(file);
            let key = c
                .keys()
                .find(|k| k.key().fingerprint().to_hex() == fingerprint)
                .unwrap();
            let got = hex_upper(&keygrip(key.key().role_as_unspecified()).unwrap());
            assert_eq!(got, grip, "{file} {fingerprint}");
        }
    }

    /// P-384 and P-521 keys made with `gpg --quick-gen-key test
    /// nistp384|nistp521 sign`, and their keygrips as gpg printed them.
    #[test]
    fn keygrips_of_the_larger_nist_curves() {
        for (point, curve, grip) in NIST_POINTS {
            let key: Key<PublicParts, UnspecifiedRole> = Key::from(
                openpgp::packet::key::Key4::new(
                    std::time::SystemTime::UNIX_EPOCH,
                    openpgp::types::PublicKeyAlgorithm::ECDSA,
                    mpi::PublicKey::ECDSA {
                        curve: curve.clone(),
                        q: mpi::MPI::new(&unhex(point)),
                    },
                )
                .unwrap(),
            );
            assert_eq!(hex_upper(&keygrip(&key).unwrap()), *grip, "{curve}");
        }
    }

    const NIST_POINTS: &[(&str, Curve, &str)] = &[
        (
            "0445C9E85A3D3A2DA78506E4DAAE41DB4F55E413444DDFD2EA81A216D6F17BAF7E\
             275C4F348E8AC594E034998FCEF920100A70FCE0FC1EEF98826BDC3F1DD445C9FE\
             EE88D090E145436EF877EA4C601D1C4295CBAEF0DB70D788A9E2DC16D26680",
            Curve::NistP384,
            "22B97E25B7A823E717640AC43738500D68385806",
        ),
        (
            "0400A986B588F6F9F49D2FFFD7F717C7E0A7A570F3F2184FB4A01FA87E69BDF990\
             25388432BBD1554FEA1E339985200CBD4845F0B3B40F251316B54324D8B026AF3F\
             33002658EDBBF28E699DD684C7F46D06F7D40CBB6DA70EFBB628B13E89C4276B69\
             1EC9DBF7AD75F35F7BB72DB62956B283E926588399B169F79FE852805E1F0515ED4F",
            Curve::NistP521,
            "E3E2F3EF1A2270EC90F82988026EDF05848AE4F2",
        ),
    ];

    #[test]
    fn other_key_types_are_a_clear_error() {
        let key: Key<PublicParts, UnspecifiedRole> = Key::from(
            openpgp::packet::key::Key4::new(
                std::time::SystemTime::UNIX_EPOCH,
                openpgp::types::PublicKeyAlgorithm::ECDSA,
                mpi::PublicKey::ECDSA {
                    curve: Curve::BrainpoolP256,
                    q: mpi::MPI::new(&[4; 65]),
                },
            )
            .unwrap(),
        );
        let err = keygrip(&key).unwrap_err().to_string();
        assert!(
            err.starts_with("unsupported key type for gpg-agent: ECDSA on brainpoolP256r1"),
            "{err}"
        );
    }
}
