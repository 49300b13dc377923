//! Keyless signing's first half, as cosign does it: an OIDC identity token
//! (from `SIGSTORE_ID_TOKEN`, or GitHub Actions' ambient token with the
//! audience `sigstore`), exchanged with Fulcio for a short-lived
//! certificate of an ephemeral key. The second half, the signature and its
//! log entry, is the keyed path's with the certificate as the verifier.
//!
//! The token is a credential: it goes only to Fulcio (and the Actions
//! token request only to the Actions token service), never into output;
//! an answer that repeats it has it masked. Nothing Fulcio answers is
//! trusted: the certificate must be for the ephemeral key, and the bundle
//! made with it is verified against the trusted root before it is written.

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use serde::Deserialize;
use sigstore_verify::crypto::KeyPair;
use sigstore_verify::types::DerCertificate;

use super::keys::{public_key_pem, IssuedCertificate, SigningKey};
use super::SigstoreError;
use crate::net::{SafeUrl, Secret};

/// A token, a token service answer or a certificate chain are a few KiB.
const MAX_ANSWER: u64 = 1 << 20;
/// The most certificates read from Fulcio's chain.
const MAX_CHAIN: usize = 8;

/// The OIDC identity token to sign with: `SIGSTORE_ID_TOKEN` when set, or
/// GitHub Actions' (the workflow needs `permissions: id-token: write`).
/// With `issuer` (`--oidc-issuer`), the token must say it comes from
/// there: a private instance's signature is not made with a token for
/// another (there is no browser flow here that would go to the issuer).
pub fn identity_token(issuer: Option<&str>) -> Result<Secret, SigstoreError> {
    let token = find_token()?;
    if let Some(want) = issuer {
        let got = claims(&token)?
            .get("iss")
            .and_then(|i| i.as_str())
            .map(str::to_string);
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        if !got.as_deref().is_some_and(|g| same(g, want)) {
            return Err(SigstoreError::Token {
                detail: format!(
                    "the OIDC identity token is from {}, not from --oidc-issuer {}",
                    crate::cli::output::clip(got.as_deref().unwrap_or("no issuer (no iss claim)")),
                    crate::cli::output::clip(want)
                ),
            });
        }
    }
    Ok(token)
}

fn find_token() -> Result<Secret, SigstoreError> {
    if let Some(t) = std::env::var_os("SIGSTORE_ID_TOKEN") {
        let t = t.into_string().map_err(|_| SigstoreError::Token {
            detail: "SIGSTORE_ID_TOKEN is not UTF-8".into(),
        })?;
        return Ok(Secret::from(t.trim()));
    }
    let (Ok(url), Ok(bearer)) = (
        std::env::var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        std::env::var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) else {
        return Err(SigstoreError::Token {
            detail: "no OIDC identity token: set SIGSTORE_ID_TOKEN, or run in GitHub Actions \
                     with `permissions: id-token: write` (or sign with --key)"
                .into(),
        });
    };
    let bearer = Secret::from(bearer);
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}audience=sigstore");
    let shown = SafeUrl::from(url.clone()).to_string();
    let fail = |detail: String| SigstoreError::Token {
        detail: format!("GitHub Actions token service {shown}: {detail}"),
    };
    let request = super::service_client()
        .map_err(&fail)?
        .get(&url)
        .header("authorization", format!("bearer {}", bearer.expose()))
        .header("accept", "application/json");
    let (status, body) = super::exchange(request, MAX_ANSWER).map_err(&fail)?;
    if status != 200 {
        return Err(fail(format!("answered {status}")));
    }
    #[derive(Deserialize)]
    struct Answer {
        value: String,
    }
    let a: Answer =
        serde_json::from_slice(&body).map_err(|_| fail("the answer holds no token".into()))?;
    Ok(Secret::from(a.value))
}

/// The claim Fulcio expects the proof of possession over: the token's
/// `email` when it has one, else its `sub` (cosign's `SubjectFromToken`).
/// The token is not verified here (Fulcio does that); its claims only say
/// what to sign.
fn subject_claim(token: &Secret) -> Result<String, SigstoreError> {
    let bad = |why: &str| SigstoreError::Token {
        detail: format!("the OIDC identity token {why}"),
    };
    let claims = claims(token)?;
    claims
        .get("email")
        .and_then(|e| e.as_str())
        .or_else(|| claims.get("sub").and_then(|s| s.as_str()))
        .map(str::to_string)
        .ok_or_else(|| bad("has neither an email nor a sub claim"))
}

/// A JWT's claims, unverified: they only say what to sign and where the
/// token is from; Fulcio verifies the token.
fn claims(token: &Secret) -> Result<serde_json::Value, SigstoreError> {
    let bad = |why: &str| SigstoreError::Token {
        detail: format!("the OIDC identity token {why}"),
    };
    let payload = token
        .expose()
        .split('.')
        .nth(1)
        .ok_or_else(|| bad("is not a JWT"))?;
    let json = B64URL
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("is not a JWT"))?;
    serde_json::from_slice(&json).map_err(|_| bad("has no JSON claims"))
}

/// An ephemeral P-256 key with the certificate Fulcio at `fulcio` issues
/// for it in exchange for `token`.
pub fn keyless_key(fulcio: &SafeUrl, token: &Secret) -> Result<SigningKey, SigstoreError> {
    let url = format!(
        "{}/api/v2/signingCert",
        fulcio.expose().trim_end_matches('/')
    );
    let shown = SafeUrl::from(url.clone()).to_string();
    // Whatever Fulcio says, the token is not repeated in an error.
    let fail = |detail: String| SigstoreError::Fulcio {
        url: shown.clone(),
        detail: detail.replace(token.expose(), "<token>"),
    };
    let pair = KeyPair::generate_ecdsa_p256().map_err(|e| fail(e.to_string()))?;
    let public = pair.public_key_der().map_err(|e| fail(e.to_string()))?;
    let subject = subject_claim(token)?;
    let proof = pair
        .sign(subject.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let request = serde_json::json!({
        "credentials": {"oidcIdentityToken": token.expose()},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": public_key_pem(&public)},
            "proofOfPossession": B64.encode(proof.as_bytes()),
        },
    });
    let request = super::service_client()
        .map_err(&fail)?
        .post(&url)
        .header("content-type", "application/json")
        .header(
            "accept",
            "application/pem-certificate-chain, application/json",
        )
        .body(request.to_string());
    let (status, body) = super::exchange(request, MAX_ANSWER).map_err(&fail)?;
    if status != 200 && status != 201 {
        // Masked before it is clipped, so no part of an echoed token shows.
        let text = String::from_utf8_lossy(&body).replace(token.expose(), "<token>");
        return Err(fail(format!(
            "answered {status}: {}",
            crate::cli::output::clip_bytes(text.as_bytes())
        )));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| fail("the answer is not JSON".into()))?;
    let chain = v
        .pointer("/signedCertificateEmbeddedSct/chain/certificates")
        .and_then(|c| c.as_array())
        .ok_or_else(|| {
            fail(
                "the answer holds no certificate with an embedded SCT \
                 (signedCertificateEmbeddedSct)"
                    .into(),
            )
        })?;
    let pems: Vec<&str> = chain
        .iter()
        .filter_map(|c| c.as_str())
        .take(MAX_CHAIN)
        .collect();
    let (leaf_pem, rest) = pems
        .split_first()
        .ok_or_else(|| fail("the certificate chain is empty".into()))?;
    let leaf =
        pem::parse(leaf_pem.as_bytes()).map_err(|_| fail("the certificate is not PEM".into()))?;
    let leaf = DerCertificate::new(leaf.contents().to_vec());
    // The certificate must be for our key: a Fulcio that answered with
    // another would have us sign under someone else's name.
    let info = sigstore_verify::crypto::parse_certificate_info(&leaf)
        .map_err(|e| fail(format!("the certificate does not parse: {e}")))?;
    if info.public_key != public {
        return Err(fail(
            "the certificate is for another key than the one sent".into(),
        ));
    }
    Ok(SigningKey {
        pair,
        public,
        certificate: Some(IssuedCertificate {
            leaf,
            leaf_pem: leaf_pem.to_string(),
            chain_pem: rest.concat(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> Secret {
        Secret::from(format!("e30.{}.c2ln", B64URL.encode(claims)))
    }

    #[test]
    fn the_proof_is_over_the_email_else_the_subject() {
        let t = jwt(r#"{"sub":"123","email":"a@example.com"}"#);
        assert_eq!(subject_claim(&t).unwrap(), "a@example.com");
        let t = jwt(r#"{"sub":"repo:o/r:ref:refs/heads/main"}"#);
        assert_eq!(subject_claim(&t).unwrap(), "repo:o/r:ref:refs/heads/main");
        assert!(subject_claim(&jwt("{}")).is_err());
        assert!(subject_claim(&Secret::from("not-a-jwt")).is_err());
    }
}
