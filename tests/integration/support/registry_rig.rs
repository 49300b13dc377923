//! Self-test of the registry rig ([`super::registry`]) against the
//! real `docker-registry`: every option, helper, the token server and the
//! fault proxy, so tests built on the rig can trust it.

use std::collections::BTreeMap;
use std::time::Duration;

use super::fault_proxy::{Fault, FaultProxy};
use super::registry::*;
use reqwest::blocking::{Client, RequestBuilder};

const CONFIG_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
const LAYER_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

fn basic_options() -> RegistryOptions {
    RegistryOptions {
        htpasswd: Some((USER.to_string(), PASSWORD.to_string())),
        ..RegistryOptions::default()
    }
}

/// A config blob and a layer blob, different per `name`.
fn chart_blobs(name: &str) -> (Vec<u8>, Vec<u8>) {
    let config = format!(r#"{{"name":"{name}","version":"1.0.0","apiVersion":"v2"}}"#);
    let layer = format!("not really a tarball of {name}").repeat(50);
    (config.into_bytes(), layer.into_bytes())
}

fn manifest_for(config: &[u8], layer: &[u8]) -> Vec<u8> {
    oci_manifest((CONFIG_TYPE, config), &[(LAYER_TYPE, layer)])
}

/// Pushes a chart-shaped artifact through `base` with `auth`; returns
/// (manifest bytes, manifest digest, layer digest).
fn push_chart(
    client: &Client,
    base: &str,
    repo: &str,
    tag: &str,
    auth: impl Fn(RequestBuilder) -> RequestBuilder + Copy,
) -> (Vec<u8>, String, String) {
    let (config, layer) = chart_blobs(repo);
    upload_blob(client, base, repo, &config, auth).unwrap();
    let layer_digest = upload_blob(client, base, repo, &layer, auth).unwrap();
    let manifest = manifest_for(&config, &layer);
    let digest = put_manifest(client, base, repo, tag, OCI_MANIFEST, &manifest, auth).unwrap();
    (manifest, digest, layer_digest)
}

/// Scheme and parameters of a `WWW-Authenticate` challenge.
fn challenge(value: &str) -> (String, BTreeMap<String, String>) {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let params = rest
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect();
    (scheme.to_string(), params)
}

/// Runs curl verbosely: (stdout, the -v trace).
fn curl(args: &[&str]) -> (String, String) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "-v"])
        .args(args)
        .output()
        .expect("curl");
    let trace = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "curl {args:?}: {trace}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), trace)
}

fn www_authenticate(response: &reqwest::blocking::Response) -> String {
    let value = response.headers().get("WWW-Authenticate");
    value
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn plain_registry_stores_reads_and_detects_dangling_blobs() {
    let mut registry = Registry::start(RegistryOptions::default());
    assert!(registry.base_url().starts_with("http://127.0.0.1:"));
    let client = registry.client();
    let base = registry.base_url();
    let (config, layer) = chart_blobs("t/x");

    // Monolithic uploads, spelled out: POST, then PUT <Location>&digest=.
    for blob in [&config, &layer] {
        let started = client
            .post(format!("{base}/v2/t/x/blobs/uploads/"))
            .send()
            .unwrap();
        assert_eq!(started.status().as_u16(), 202);
        let location = started.headers()["Location"].to_str().unwrap().to_string();
        assert!(location.contains('?'), "{location}");
        let url = format!(
            "{}&digest={}",
            resolve_location(&base, &location),
            sha256_digest(blob)
        );
        let put = client.put(url).body(blob.to_vec()).send().unwrap();
        assert_eq!(put.status().as_u16(), 201, "{}", put.text().unwrap());
    }
    let manifest = manifest_for(&config, &layer);
    let put = client
        .put(format!("{base}/v2/t/x/manifests/1.0"))
        .header("Content-Type", OCI_MANIFEST)
        .body(manifest.clone())
        .send()
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
    let digest = sha256_digest(&manifest);
    assert_eq!(put.headers()["Docker-Content-Digest"], digest.as_str());

    assert_eq!(
        registry.manifest("t/x", "1.0"),
        Some((manifest.clone(), digest.clone()))
    );
    assert_eq!(
        registry.manifest("t/x", &digest),
        Some((manifest.clone(), digest.clone()))
    );
    assert_eq!(registry.manifest("t/x", "2.0"), None);
    assert_eq!(registry.manifest("t/none", "1.0"), None);
    assert!(registry.blob_exists("t/x", &sha256_digest(&config)));
    assert!(registry.blob_exists("t/x", &sha256_digest(&layer)));
    assert!(!registry.blob_exists("t/x", &sha256_digest(b"never pushed")));
    assert_eq!(registry.tags("t/x"), ["1.0"]);
    assert!(registry.tags("t/none").is_empty());
    assert_eq!(registry.catalog(), ["t/x"]);
    assert_eq!(registry.dangling(), Vec::<String>::new());

    // The seeding helpers agree with the raw requests.
    let seeded = registry.push_manifest("t/x", "1.1", OCI_MANIFEST, &manifest);
    assert_eq!(seeded, digest);
    assert_eq!(registry.tags("t/x"), ["1.0", "1.1"]);

    // A blob lost from storage makes both tags dangle.
    let layer_digest = sha256_digest(&layer);
    std::fs::remove_file(registry.blob_path(&layer_digest)).unwrap();
    let mut problems = registry.dangling();
    if problems.is_empty() {
        registry.restart(); // in case the registry served it from a cache
        problems = registry.dangling();
    }
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.contains(&layer_digest)),
        "{problems:?}"
    );

    // kill() stops it; restart() brings back the same storage and port.
    let host = registry.host.clone();
    registry.kill();
    assert!(client.get(format!("{base}/v2/")).send().is_err());
    registry.restart();
    assert_eq!(registry.host, host);
    assert_eq!(registry.manifest("t/x", "1.0"), Some((manifest, digest)));
    assert_eq!(registry.dangling().len(), 2);
}

#[test]
fn htpasswd_registry_challenges_and_admits_the_user() {
    let registry = Registry::start(basic_options());
    let client = registry.client();
    let base = registry.base_url();

    let anonymous = client.get(format!("{base}/v2/")).send().unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(challenge(&www_authenticate(&anonymous)).0, "Basic");
    let wrong = client
        .get(format!("{base}/v2/"))
        .basic_auth(USER, Some("nope"))
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let anonymous_push = upload_blob(&client, &base, "t/x", b"data", |r| r);
    assert!(anonymous_push.is_err());

    let auth = |r: RequestBuilder| r.basic_auth(USER, Some(PASSWORD));
    let (manifest, digest, _) = push_chart(&client, &base, "t/x", "1.0", auth);
    assert_eq!(registry.manifest("t/x", "1.0"), Some((manifest, digest)));
    assert_eq!(registry.tags("t/x"), ["1.0"]);
    assert_eq!(registry.catalog(), ["t/x"]);
    assert!(registry.dangling().is_empty());
}

#[test]
fn tls_registry_is_trusted_through_the_throwaway_ca_only() {
    let registry = Registry::start(RegistryOptions {
        tls: true,
        ..RegistryOptions::default()
    });
    let base = registry.base_url();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let pki = registry.pki.as_ref().unwrap();
    for file in [
        &pki.ca_cert,
        &pki.server_cert,
        &pki.server_key,
        &pki.client_cert,
        &pki.client_key,
    ] {
        assert!(file.is_file(), "{}", file.display());
    }
    let key = std::fs::read_to_string(&pki.server_key).unwrap();
    assert!(
        key.starts_with("-----BEGIN PRIVATE KEY-----"),
        "PKCS#8 expected"
    );

    let ok = registry.client().get(format!("{base}/v2/")).send().unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let untrusting = Client::builder().build().unwrap();
    assert!(untrusting.get(format!("{base}/v2/")).send().is_err());
    // The certificate names localhost too.
    let localhost = base.replace("127.0.0.1", "localhost");
    let by_name = registry
        .client()
        .get(format!("{localhost}/v2/"))
        .send()
        .unwrap();
    assert_eq!(by_name.status().as_u16(), 200);

    registry.push_blob("t/x", b"over tls");
    assert!(registry.blob_exists("t/x", &sha256_digest(b"over tls")));
}

#[test]
fn client_cert_registry_requires_the_client_certificate() {
    let registry = Registry::start(RegistryOptions {
        client_certs: true,
        ..RegistryOptions::default()
    });
    let base = registry.base_url();
    assert!(base.starts_with("https://"), "client_certs implies tls");
    let pki = registry.pki.as_ref().unwrap();

    let with_cert = registry.client().get(format!("{base}/v2/")).send().unwrap();
    assert_eq!(with_cert.status().as_u16(), 200);

    let ca = reqwest::Certificate::from_pem(&std::fs::read(&pki.ca_cert).unwrap()).unwrap();
    let without_cert = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .build()
        .unwrap();
    // rustls reports the server's bad_certificate alert as an error.
    let refused = without_cert.get(format!("{base}/v2/")).send();
    assert!(
        refused.is_err(),
        "answered without a client certificate: {refused:?}"
    );

    let (config, layer) = chart_blobs("t/x");
    registry.push_blob("t/x", &config);
    registry.push_blob("t/x", &layer);
    let manifest = manifest_for(&config, &layer);
    let digest = registry.push_manifest("t/x", "1.0", OCI_MANIFEST, &manifest);
    assert_eq!(registry.manifest("t/x", "1.0"), Some((manifest, digest)));
    assert_eq!(registry.catalog(), ["t/x"]);
    assert!(registry.dangling().is_empty());
}

#[test]
fn token_registry_accepts_tokens_from_the_token_server() {
    let registry = Registry::start(RegistryOptions {
        token: true,
        ..RegistryOptions::default()
    });
    let tokens = registry.token.as_ref().unwrap();
    let client = registry.client();
    let base = registry.base_url();

    // The registry's challenge names the token server.
    let anonymous = client
        .get(format!("{base}/v2/t/x/tags/list"))
        .send()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let (scheme, params) = challenge(&www_authenticate(&anonymous));
    assert_eq!(scheme, "Bearer");
    assert_eq!(params["realm"], tokens.realm);
    assert_eq!(params["service"], SERVICE);
    assert_eq!(params["scope"], "repository:t/x:pull");

    // GET with Basic credentials.
    let scope = "repository:t/x:pull,push";
    let query = [
        ("service", SERVICE),
        ("scope", scope),
        ("client_id", "rig-test"),
    ];
    let got = client
        .get(&tokens.realm)
        .query(&query)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .unwrap();
    assert_eq!(got.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_slice(&got.bytes().unwrap()).unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 300);
    let token = body["token"].as_str().unwrap().to_string();
    let bearer = |r: RequestBuilder| r.bearer_auth(&token);
    let (manifest, digest, _) = push_chart(&client, &base, "t/x", "1.0", bearer);
    let read = bearer(client.get(format!("{base}/v2/t/x/manifests/1.0")))
        .header("Accept", OCI_MANIFEST)
        .send()
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(read.bytes().unwrap().as_ref(), manifest.as_slice());

    // POST refresh_token grant.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
        ("service", SERVICE),
        ("scope", "repository:t/y:pull,push"),
        ("client_id", "wharf"),
    ];
    let refreshed = client.post(&tokens.realm).form(&form).send().unwrap();
    assert_eq!(refreshed.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_slice(&refreshed.bytes().unwrap()).unwrap();
    assert_eq!(body["expires_in"], 300);
    let token_y = body["access_token"].as_str().unwrap().to_string();
    let bearer_y = |r: RequestBuilder| r.bearer_auth(&token_y);
    let (manifest_y, digest_y, _) = push_chart(&client, &base, "t/y", "2.0", bearer_y);
    assert_eq!(
        registry.manifest("t/y", "2.0"),
        Some((manifest_y, digest_y))
    );
    assert_eq!(registry.manifest("t/x", "1.0"), Some((manifest, digest)));

    // The registry enforces the granted scope: t/y's token cannot push to t/x.
    assert!(upload_blob(&client, &base, "t/x", b"other", bearer_y).is_err());

    // POST password grant.
    let form = [
        ("grant_type", "password"),
        ("username", USER),
        ("password", PASSWORD),
        ("service", SERVICE),
        ("scope", "repository:t/x:pull"),
    ];
    let by_password = client.post(&tokens.realm).form(&form).send().unwrap();
    assert_eq!(by_password.status().as_u16(), 200);

    // Bad credentials get 401 from the token server.
    let status = |r: reqwest::blocking::Response| r.status().as_u16();
    let token_url = format!(
        "{}?service={SERVICE}&scope=repository%3At%2Fx%3Apull",
        tokens.realm
    );
    assert_eq!(
        status(
            client
                .get(&token_url)
                .basic_auth(USER, Some("wrong"))
                .send()
                .unwrap()
        ),
        401
    );
    assert_eq!(status(client.get(&token_url).send().unwrap()), 401);
    let bad_refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "stale"),
        ("service", SERVICE),
    ];
    assert_eq!(
        status(
            client
                .post(&tokens.realm)
                .form(&bad_refresh)
                .send()
                .unwrap()
        ),
        401
    );
    let bad_password = [
        ("grant_type", "password"),
        ("username", USER),
        ("password", "wrong"),
    ];
    assert_eq!(
        status(
            client
                .post(&tokens.realm)
                .form(&bad_password)
                .send()
                .unwrap()
        ),
        401
    );

    // The requests log tells the flows apart (and has none of the rig's).
    let log = tokens.requests.lock().unwrap().clone();
    assert_eq!(log.len(), 7, "{log:#?}");
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].basic_user.as_deref(), Some(USER));
    assert_eq!(log[0].scopes, [scope]);
    assert_eq!(log[0].client_id.as_deref(), Some("rig-test"));
    assert_eq!(log[1].grant_type.as_deref(), Some("refresh_token"));
    assert_eq!(log[1].client_id.as_deref(), Some("wharf"));
    assert_eq!(log[1].basic_user, None);
    assert_eq!(log[2].grant_type.as_deref(), Some("password"));
    assert_eq!(log[3].scopes, ["repository:t/x:pull"], "percent-decoded");

    let mut catalog = registry.catalog();
    catalog.sort();
    assert_eq!(catalog, ["t/x", "t/y"]);
    assert!(registry.dangling().is_empty());
}

#[test]
fn fault_proxy_injects_failures_and_relays_the_rest() {
    let mut registry = Registry::start(RegistryOptions::default());
    let proxy = FaultProxy::start(&registry.base_url(), |n, _, _| match n {
        0 => Fault::Status(503),
        1 => Fault::Drop,
        _ => Fault::Pass,
    });
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = proxy.url();

    let first = client.get(format!("{base}/v2/")).send().unwrap();
    assert_eq!(first.status().as_u16(), 503);
    assert_eq!(first.headers()["Retry-After"], "0");
    assert!(client.get(format!("{base}/v2/")).send().is_err(), "dropped");
    let third = client.get(format!("{base}/v2/")).send().unwrap();
    assert_eq!(third.status().as_u16(), 200);
    assert!(third
        .headers()
        .contains_key("Docker-Distribution-Api-Version"));

    // An upload through the proxy: the Location names the proxy.
    let started = client
        .post(format!("{base}/v2/t/x/blobs/uploads/"))
        .send()
        .unwrap();
    assert_eq!(started.status().as_u16(), 202);
    let location = started.headers()["Location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{base}/v2/t/x/blobs/uploads/")),
        "{location}"
    );
    let (manifest, digest, layer_digest) = push_chart(&client, &base, "t/x", "1.0", |r| r);
    assert_eq!(
        registry.manifest("t/x", "1.0"),
        Some((manifest.clone(), digest))
    );

    // HEAD keeps its Content-Length; GET relays the body.
    let head = client
        .head(format!("{base}/v2/t/x/blobs/{layer_digest}"))
        .send()
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    let (_, layer) = chart_blobs("t/x");
    assert_eq!(
        head.headers()["Content-Length"],
        layer.len().to_string().as_str()
    );
    let get = client
        .get(format!("{base}/v2/t/x/blobs/{layer_digest}"))
        .send()
        .unwrap();
    assert_eq!(get.bytes().unwrap().as_ref(), layer.as_slice());

    // A chunked request body is forwarded de-chunked.
    let streamed = b"streamed without a length".to_vec();
    let started = client
        .post(format!("{base}/v2/t/x/blobs/uploads/"))
        .send()
        .unwrap();
    let location = started.headers()["Location"].to_str().unwrap().to_string();
    let url = format!("{location}&digest={}", sha256_digest(&streamed));
    let body = reqwest::blocking::Body::new(std::io::Cursor::new(streamed.clone()));
    let put = client.put(url).body(body).send().unwrap();
    assert_eq!(put.status().as_u16(), 201);
    assert!(registry.blob_exists("t/x", &sha256_digest(&streamed)));

    let log = proxy.log.lock().unwrap().clone();
    let first_three: Vec<_> = log[..3]
        .iter()
        .map(|(m, p, s)| (m.as_str(), p.as_str(), *s))
        .collect();
    assert_eq!(
        first_three,
        [
            ("GET", "/v2/", 503),
            ("GET", "/v2/", 0),
            ("GET", "/v2/", 200)
        ]
    );
    assert!(log
        .iter()
        .any(|(m, p, s)| m == "PUT" && p.contains("digest=") && *s == 201));

    // With the registry down, the proxy answers 502.
    registry.kill();
    let down = client.get(format!("{base}/v2/")).send().unwrap();
    assert_eq!(down.status().as_u16(), 502);
}

#[test]
fn fault_proxy_keeps_client_connections_and_honours_expect_continue() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = FaultProxy::start(&registry.base_url(), |_, _, _| Fault::Pass);
    let base = proxy.url();

    let v2 = format!("{base}/v2/");
    let (_, trace) = curl(&["-o", "/dev/null", &v2, &v2]);
    assert!(trace.contains("Re-using existing connection"), "{trace}");

    let data = "sent after 100 Continue";
    let started = Client::new()
        .post(format!("{base}/v2/t/x/blobs/uploads/"))
        .send()
        .unwrap();
    let location = started.headers()["Location"].to_str().unwrap();
    let url = format!("{location}&digest={}", sha256_digest(data.as_bytes()));
    let mut args: Vec<&str> = "-o /dev/null -w %{http_code} -X PUT --expect100-timeout 20"
        .split(' ')
        .collect();
    args.extend(["-H", "Expect: 100-continue"]);
    args.extend(["-H", "Content-Type: application/octet-stream"]);
    args.extend(["--data-binary", data, &url]);
    let (code, trace) = curl(&args);
    assert!(trace.contains("HTTP/1.1 100 Continue"), "{trace}");
    assert_eq!(code, "201", "{trace}");
    assert!(registry.blob_exists("t/x", &sha256_digest(data.as_bytes())));
    assert_eq!(proxy.log.lock().unwrap().len(), 4);
}

#[test]
fn fault_proxy_plans_by_method_and_path() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = FaultProxy::start(&registry.base_url(), |_, method, path| {
        if method == "PUT" && path.contains("/manifests/") {
            Fault::Status(429)
        } else {
            Fault::Pass
        }
    });
    let client = Client::new();
    let base = proxy.url();
    let (config, layer) = chart_blobs("t/x");
    upload_blob(&client, &base, "t/x", &config, |r| r).unwrap();
    upload_blob(&client, &base, "t/x", &layer, |r| r).unwrap();
    let manifest = manifest_for(&config, &layer);
    let refused = put_manifest(&client, &base, "t/x", "1.0", OCI_MANIFEST, &manifest, |r| r);
    assert!(refused.unwrap_err().contains("429"));
    assert_eq!(registry.manifest("t/x", "1.0"), None);
    assert!(registry.blob_exists("t/x", &sha256_digest(&layer)));
}
