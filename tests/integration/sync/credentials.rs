//! Credentials found as each cloud's own tools find them, each source
//! tried against the emulators: AWS keys from a named profile of the shared
//! files, and web identity through moto's STS; a Google service account
//! (a signed JWT), gcloud's application-default file and the metadata
//! server, each through a token service here that checks what it receives;
//! Azure SAS tokens and account keys, which Azurite checks. Where the
//! emulator ignores credentials (moto, fake-gcs-server), the proxy in
//! front records which credentials signed each request.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;

use super::*;
use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::http::{read_request, Acceptor, Response};

/// A published one-chart repository to list through the proxy.
fn repo(home: &HelmHome, dir: &Path) {
    helm_repo(home, dir, &[("a", "1.0.0")], "https://x/charts");
}

/// `helm sync -n DIR URL` through a recording proxy, with `vars` instead
/// of the emulator's own credentials; returns the Authorization values.
fn dry_run_via_proxy(
    home: &HelmHome,
    emu: &Emulator,
    dir: &Path,
    keep: &[&str],
    vars: &[(&str, String)],
) -> (std::process::Output, Vec<String>) {
    let proxy = FaultProxy::start(&emu.endpoint(), |_, _, _| Fault::Pass);
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-sync"));
    for k in CLOUD_VARS {
        c.env_remove(k);
    }
    for (k, v) in emu.env_at(&proxy.url()) {
        if keep.contains(&k.as_str()) {
            c.env(k, v);
        }
    }
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c
        .args(["-n", dir.to_str().unwrap(), &emu.url("charts", "")])
        .output()
        .unwrap();
    let creds = proxy.credentials.lock().unwrap().clone();
    (out, creds)
}

#[test]
fn s3_keys_come_from_a_named_profile_and_from_web_identity() {
    let emu = Emulator::start(Kind::S3);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    repo(&home, &work.path().join("r"));
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n[ci]\naws_access_key_id = AKIAPROFILECI\naws_secret_access_key = s3cr3t-profile\n",
    )
    .unwrap();
    std::fs::write(aws.join("config"), "[profile ci]\nregion = eu-west-3\n").unwrap();
    let (out, creds) = dry_run_via_proxy(
        &home,
        &emu,
        &work.path().join("r"),
        &["AWS_ENDPOINT_URL"],
        &[("AWS_PROFILE", "ci".into())],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(!creds.is_empty());
    for c in &creds {
        assert!(
            c.contains("Credential=AKIAPROFILECI/") && c.contains("/eu-west-3/s3/aws4_request"),
            "{c}"
        );
    }
    assert!(!output_text(&out).contains("s3cr3t-profile"));

    // A profile that is not there is one clear line.
    let (out, _) = dry_run_via_proxy(
        &home,
        &emu,
        &work.path().join("r"),
        &["AWS_ENDPOINT_URL"],
        &[("AWS_PROFILE", "nope".into())],
    );
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("\"nope\""),
        "{}",
        output_text(&out)
    );

    // Web identity, as on EKS: the token goes to STS (moto's, at the same
    // endpoint), and the keys STS gives sign the S3 requests.
    let token = work.path().join("token");
    std::fs::write(&token, "eyJ.web-identity.token").unwrap();
    let (out, creds) = dry_run_via_proxy(
        &home,
        &emu,
        &work.path().join("r"),
        &["AWS_ENDPOINT_URL", "AWS_REGION"],
        &[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".into()),
            ("AWS_CONFIG_FILE", "/nonexistent".into()),
        ],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(!creds.is_empty());
    for c in &creds {
        assert!(c.starts_with("AWS4-HMAC-SHA256 Credential="), "{c}");
        assert!(
            !c.contains("AKIADEFAULT") && !c.contains("AKIAPROFILECI"),
            "{c}"
        );
    }
}

/// What the Google token service here saw.
#[derive(Default)]
struct Seen {
    grants: Vec<String>,
    metadata_flavor: Vec<String>,
}

/// A token service: `POST /token` for the JWT-bearer and refresh-token
/// grants (checking the assertion's RS256 signature with `public`), and the
/// metadata server's token path. Answers `ya29.` + the grant's kind.
fn token_service(public: Option<rsa::RsaPublicKey>) -> (String, Arc<Mutex<Seen>>, Acceptor) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = seen.clone();
    let acceptor = Acceptor::start(l, move |stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut w = stream;
        let Ok(Some(req)) = read_request(&mut reader, &mut w) else {
            return;
        };
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let form: std::collections::HashMap<String, String> = body
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        let answer = |status: u16, token: &str| {
            let mut r = Response::status_only(status);
            r.body = format!("{{\"access_token\":\"{token}\",\"expires_in\":3599}}").into_bytes();
            r.headers
                .push(("Content-Type".into(), "application/json".into()));
            r
        };
        let r = if req
            .target
            .starts_with("/computeMetadata/v1/instance/service-accounts/default/token")
        {
            s.lock()
                .unwrap()
                .metadata_flavor
                .push(req.header("metadata-flavor").unwrap_or("").to_string());
            if req.header("metadata-flavor") == Some("Google") {
                answer(200, "ya29.metadata")
            } else {
                Response::status_only(403)
            }
        } else if req.method == "POST" && req.target == "/token" {
            let grant = form.get("grant_type").cloned().unwrap_or_default();
            s.lock().unwrap().grants.push(grant.clone());
            match grant.as_str() {
                "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
                    let ok = public
                        .as_ref()
                        .is_some_and(|k| jwt_ok(form.get("assertion").map_or("", |a| a), k));
                    if ok {
                        answer(200, "ya29.service-account")
                    } else {
                        Response::status_only(401)
                    }
                }
                "refresh_token"
                    if form.get("refresh_token").map(String::as_str) == Some("1//refresh")
                        && form.get("client_secret").map(String::as_str) == Some("user-secret") =>
                {
                    answer(200, "ya29.user")
                }
                _ => Response::status_only(400),
            }
        } else {
            Response::status_only(404)
        };
        let _ = w.write_all(&r.serialize(&req.method, true));
    });
    (addr, seen, acceptor)
}

/// `application/x-www-form-urlencoded` value decoding.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() + 1 && i + 3 <= b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An RS256 JWT for the storage scope, signed by the key `k` verifies.
fn jwt_ok(assertion: &str, k: &rsa::RsaPublicKey) -> bool {
    use rsa::signature::Verifier;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return false;
    }
    let (Ok(claims), Ok(sig)) = (b64.decode(parts[1]), b64.decode(parts[2])) else {
        return false;
    };
    let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap_or_default();
    let scope_ok = claims["scope"]
        .as_str()
        .is_some_and(|s| s.contains("devstorage"));
    let iss_ok = claims["iss"] == "ci@project.iam.gserviceaccount.com";
    let Ok(sig) = rsa::pkcs1v15::Signature::try_from(sig.as_slice()) else {
        return false;
    };
    let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(k.clone());
    scope_ok
        && iss_ok
        && vk
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .is_ok()
}

#[test]
fn gcs_tokens_come_from_a_service_account_the_gcloud_file_and_the_metadata_server() {
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
    let emu = Emulator::start(Kind::Gcs);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    repo(&home, &work.path().join("r"));
    let dir = work.path().join("r");

    // A throwaway RSA key made by openssl, as a service account key file
    // holds it (PKCS#8 PEM).
    let pem_path = work.path().join("key.pem");
    ok({
        let mut c = Command::new(tool("openssl"));
        c.args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem_path);
        c
    });
    let key =
        rsa::RsaPrivateKey::from_pkcs8_pem(&std::fs::read_to_string(&pem_path).unwrap()).unwrap();
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let (addr, seen, _service) = token_service(Some(key.to_public_key()));
    let sa = work.path().join("sa.json");
    std::fs::write(
        &sa,
        serde_json::json!({
            "type": "service_account",
            "client_email": "ci@project.iam.gserviceaccount.com",
            "private_key": pem,
            "token_uri": format!("http://{addr}/token"),
        })
        .to_string(),
    )
    .unwrap();
    let (out, creds) = dry_run_via_proxy(
        &home,
        &emu,
        &dir,
        &["STORAGE_EMULATOR_HOST"],
        &[("GOOGLE_APPLICATION_CREDENTIALS", sa.display().to_string())],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(!creds.is_empty());
    assert!(
        creds.iter().all(|c| c == "Bearer ya29.service-account"),
        "{creds:?}"
    );
    assert!(!output_text(&out).contains("PRIVATE KEY"));

    // A key the token service does not know: the refusal is one line.
    let other = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024);
    if let Ok(other) = other {
        let bad = work.path().join("bad.json");
        std::fs::write(
            &bad,
            serde_json::json!({
                "type": "service_account",
                "client_email": "ci@project.iam.gserviceaccount.com",
                "private_key": other.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
                "token_uri": format!("http://{addr}/token"),
            })
            .to_string(),
        )
        .unwrap();
        let (out, _) = dry_run_via_proxy(
            &home,
            &emu,
            &dir,
            &["STORAGE_EMULATOR_HOST"],
            &[("GOOGLE_APPLICATION_CREDENTIALS", bad.display().to_string())],
        );
        assert!(!out.status.success());
        assert!(output_text(&out).contains("401"), "{}", output_text(&out));
    }

    // gcloud's application-default file (authorized_user).
    let gcloud = work.path().join("gcloud");
    std::fs::create_dir_all(&gcloud).unwrap();
    std::fs::write(
        gcloud.join("application_default_credentials.json"),
        serde_json::json!({
            "type": "authorized_user",
            "client_id": "id.apps.googleusercontent.com",
            "client_secret": "user-secret",
            "refresh_token": "1//refresh",
            "token_uri": format!("http://{addr}/token"),
        })
        .to_string(),
    )
    .unwrap();
    let (out, creds) = dry_run_via_proxy(
        &home,
        &emu,
        &dir,
        &["STORAGE_EMULATOR_HOST"],
        &[("CLOUDSDK_CONFIG", gcloud.display().to_string())],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        creds.iter().all(|c| c == "Bearer ya29.user") && !creds.is_empty(),
        "{creds:?}"
    );
    assert!(!output_text(&out).contains("user-secret"));

    // The metadata server (GCE_METADATA_HOST), asked with its header.
    let (out, creds) = dry_run_via_proxy(
        &home,
        &emu,
        &dir,
        &["STORAGE_EMULATOR_HOST"],
        &[("GCE_METADATA_HOST", addr.clone())],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        creds.iter().all(|c| c == "Bearer ya29.metadata") && !creds.is_empty(),
        "{creds:?}"
    );
    let s = seen.lock().unwrap();
    assert_eq!(s.metadata_flavor, ["Google"]);
    assert!(s
        .grants
        .contains(&"urn:ietf:params:oauth:grant-type:jwt-bearer".to_string()));
    assert!(s.grants.contains(&"refresh_token".to_string()));
    drop(s);

    // An explicit token.
    let (out, creds) = dry_run_via_proxy(
        &home,
        &emu,
        &dir,
        &["STORAGE_EMULATOR_HOST"],
        &[("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.explicit".into())],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        creds.iter().all(|c| c == "Bearer ya29.explicit") && !creds.is_empty(),
        "{creds:?}"
    );
}

#[test]
fn azure_takes_sas_tokens_and_account_keys_and_refuses_a_wrong_key() {
    use crate::support::storage::{AZURE_ACCOUNT, AZURE_KEY};
    let emu = Emulator::start(Kind::Azure);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    repo(&home, &dir);
    let endpoint = format!("{}/{AZURE_ACCOUNT}", emu.endpoint());
    let url = emu.url("charts", "");
    let run = |vars: &[(&str, String)], args: &[&str]| {
        let mut c = home.command(env!("CARGO_BIN_EXE_helm-sync"));
        for k in CLOUD_VARS {
            c.env_remove(k);
        }
        for (k, v) in vars {
            c.env(k, v);
        }
        c.args(args).output().unwrap()
    };
    // Account name and key, with the endpoint named.
    let out = run(
        &[
            ("AZURE_STORAGE_ACCOUNT", AZURE_ACCOUNT.into()),
            ("AZURE_STORAGE_KEY", AZURE_KEY.into()),
            ("AZURE_STORAGE_BLOB_ENDPOINT", endpoint.clone()),
        ],
        &[dir.to_str().unwrap(), &url],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(objects(&emu, "").len(), 2);

    // A wrong key: Azurite refuses the signature, once, in one line.
    let wrong = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
    let out = run(
        &[
            ("AZURE_STORAGE_ACCOUNT", AZURE_ACCOUNT.into()),
            ("AZURE_STORAGE_KEY", wrong.clone()),
            ("AZURE_STORAGE_BLOB_ENDPOINT", endpoint.clone()),
        ],
        &["-n", dir.to_str().unwrap(), &url],
    );
    assert!(!out.status.success());
    let text = output_text(&out);
    assert!(text.contains("403"), "{text}");
    assert!(!text.contains(&wrong), "{text}");

    // A SAS token made with the account key, in a connection string.
    let sas = emu.account_sas();
    let out = run(
        &[(
            "AZURE_STORAGE_CONNECTION_STRING",
            format!("BlobEndpoint={endpoint};SharedAccessSignature={sas}"),
        )],
        &["-n", dir.to_str().unwrap(), &url],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("2 unchanged"),
        "{}",
        output_text(&out)
    );
    assert!(!output_text(&out).contains("sig="), "{}", output_text(&out));
}
