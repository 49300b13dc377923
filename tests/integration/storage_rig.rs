//! Self-test of the storage rig ([`crate::support::storage`]) against the
//! real emulators: starting, the inspection helpers, the environment and
//! the request log, kill and restart, so tests built on the rig can trust
//! it.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::process::Command;

use crate::support::http::find_header;
use crate::support::ok;
use crate::support::storage::{peer_bin, Emulator, Kind, ALL};

const BUCKET: &str = "charts";
const INDEX_CACHE: &str = "no-cache, max-age=0, no-transform";

/// Every byte value, so that nothing on the way treats the data as text.
fn binary() -> Vec<u8> {
    (0..=255u8).cycle().take(3000).collect()
}

fn refused(endpoint: &str) -> bool {
    let addr = endpoint.trim_start_matches("http://");
    TcpStream::connect(addr).is_err()
}

fn put_get_list_headers_delete(kind: Kind) {
    let emulator = Emulator::start(kind);
    assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
    emulator.create_bucket(BUCKET);
    assert_eq!(
        emulator.list(BUCKET),
        vec![],
        "{kind}: a new bucket is empty"
    );

    let index = b"apiVersion: v1\nentries: {}\n".to_vec();
    let chart = binary();
    let headers = [
        ("Content-Type", "text/yaml"),
        ("Cache-Control", INDEX_CACHE),
    ];
    emulator.put_with(BUCKET, "index.yaml", &index, &headers);
    emulator.put(BUCKET, "stable/a b-1.0.0.tgz", &chart);
    emulator.put(BUCKET, "stable/a b-1.0.0.tgz.prov", b"signed");

    let listed = vec![
        ("index.yaml".to_string(), index.len() as u64),
        ("stable/a b-1.0.0.tgz".to_string(), 3000),
        ("stable/a b-1.0.0.tgz.prov".to_string(), 6),
    ];
    assert_eq!(emulator.list(BUCKET), listed, "{kind}");
    assert_eq!(
        emulator.get(BUCKET, "stable/a b-1.0.0.tgz"),
        Some(chart.clone()),
        "{kind}"
    );
    assert_eq!(emulator.get(BUCKET, "stable/missing.tgz"), None, "{kind}");

    let got = emulator.headers(BUCKET, "index.yaml");
    assert_eq!(
        find_header(&got, "content-type"),
        Some("text/yaml"),
        "{kind}: {got:?}"
    );
    assert_eq!(
        find_header(&got, "cache-control"),
        Some(INDEX_CACHE),
        "{kind}: {got:?}"
    );
    assert!(
        got.iter().all(|(k, _)| *k == k.to_ascii_lowercase()),
        "{got:?}"
    );
    let plain = emulator.headers(BUCKET, "stable/a b-1.0.0.tgz");
    assert_eq!(
        find_header(&plain, "cache-control"),
        None,
        "{kind}: {plain:?}"
    );
    assert_eq!(
        find_header(&plain, "content-length"),
        Some("3000"),
        "{kind}: {plain:?}"
    );
    assert_eq!(
        emulator.headers(BUCKET, "stable/missing.tgz"),
        vec![],
        "{kind}"
    );

    // A put replaces, and another tool's plain put drops the old headers.
    emulator.put(BUCKET, "index.yaml", b"replaced");
    assert_eq!(
        emulator.get(BUCKET, "index.yaml").as_deref(),
        Some(&b"replaced"[..])
    );
    let replaced = emulator.headers(BUCKET, "index.yaml");
    assert_ne!(
        find_header(&replaced, "content-type"),
        Some("text/yaml"),
        "{kind}"
    );

    let snapshot: BTreeMap<String, Vec<u8>> = [
        ("index.yaml", b"replaced".to_vec()),
        ("stable/a b-1.0.0.tgz", chart),
        ("stable/a b-1.0.0.tgz.prov", b"signed".to_vec()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(emulator.snapshot(BUCKET), snapshot, "{kind}");

    emulator.delete(BUCKET, "stable/a b-1.0.0.tgz.prov");
    emulator.delete(BUCKET, "stable/a b-1.0.0.tgz.prov"); // already gone: fine
    assert_eq!(
        emulator.get(BUCKET, "stable/a b-1.0.0.tgz.prov"),
        None,
        "{kind}"
    );
    let names: Vec<String> = emulator.list(BUCKET).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["index.yaml", "stable/a b-1.0.0.tgz"], "{kind}");

    // Buckets are separate.
    emulator.create_bucket("other-bucket");
    assert_eq!(emulator.list("other-bucket"), vec![], "{kind}");

    let endpoint = emulator.endpoint();
    drop(emulator);
    assert!(refused(&endpoint), "{kind}: still answering after drop");
}

#[test]
fn gcs_put_get_list_headers_delete() {
    put_get_list_headers_delete(Kind::Gcs);
}

#[test]
fn s3_put_get_list_headers_delete() {
    put_get_list_headers_delete(Kind::S3);
}

#[test]
fn azure_put_get_list_headers_delete() {
    put_get_list_headers_delete(Kind::Azure);
}

#[test]
fn urls_name_bucket_and_prefix() {
    let gcs = Emulator::start(Kind::Gcs);
    assert_eq!(gcs.url("charts", "/stable/"), "gs://charts/stable");
    assert_eq!(gcs.url("charts", "a/b"), "gs://charts/a/b");
    assert_eq!(gcs.url("charts", ""), "gs://charts");
    assert_ne!(gcs.proxied_endpoint(), gcs.endpoint());
    assert!(gcs.proxied_endpoint().starts_with("http://127.0.0.1:"));
    for kind in ALL {
        let scheme = match kind {
            Kind::Gcs => "gs",
            Kind::S3 => "s3",
            Kind::Azure => "azblob",
        };
        assert_eq!(kind.scheme(), scheme);
    }
}

/// A script for the venv's Python that uploads the file `argv[1]` as
/// `via-proxy.tgz` and lists `charts`, with the SDK configured by the
/// environment alone (S3: `AWS_ENDPOINT_URL` and keys; Azure:
/// `AZURE_STORAGE_CONNECTION_STRING`).
fn sdk_script(kind: Kind) -> &'static str {
    match kind {
        Kind::S3 => {
            "import sys, boto3\n\
             s3 = boto3.client('s3')\n\
             s3.put_object(Bucket='charts', Key='via-proxy.tgz', Body=open(sys.argv[1], 'rb').read())\n\
             r = s3.list_objects_v2(Bucket='charts')\n\
             print(sorted(o['Key'] for o in r.get('Contents', [])))"
        }
        Kind::Azure => {
            "import os, sys\n\
             from azure.storage.blob import BlobServiceClient\n\
             s = BlobServiceClient.from_connection_string(os.environ['AZURE_STORAGE_CONNECTION_STRING'])\n\
             c = s.get_container_client('charts')\n\
             c.upload_blob('via-proxy.tgz', open(sys.argv[1], 'rb').read(), overwrite=True)\n\
             print(sorted(b.name for b in c.list_blobs()))"
        }
        Kind::Gcs => unreachable!("no GCS SDK in the venv"),
    }
}

/// Runs [`sdk_script`] with `env` only (no cloud settings of the caller).
fn run_sdk(kind: Kind, env: Vec<(String, String)>, upload: &std::path::Path) -> String {
    let mut c = Command::new(peer_bin("storage-python"));
    c.arg("-c").arg(sdk_script(kind)).arg(upload);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("AZURE_") || k.ends_with("_PROXY") {
            c.env_remove(k);
        }
    }
    c.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .envs(env);
    ok(c).trim().to_string()
}

/// The same upload and listing with plain HTTP against the GCS JSON API at
/// `STORAGE_EMULATOR_HOST`.
fn gcs_upload_and_list(env: Vec<(String, String)>, data: &[u8]) -> String {
    let host = &env[0].1;
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let upload =
        format!("{host}/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name=via-proxy.tgz");
    let response = client.post(upload).body(data.to_vec()).send().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let url = format!("{host}/storage/v1/b/{BUCKET}/o");
    let body = client.get(url).send().unwrap().bytes().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut names: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    format!("{names:?}").replace('"', "'")
}

/// The SDKs find the emulator from `env()` / `proxied_env()` alone; the
/// proxy relays their uploads and logs what they asked, and the rig's own
/// requests are not logged.
fn sdk_through_proxy(kind: Kind) {
    let emulator = Emulator::start(kind);
    let ep = emulator.endpoint();
    let expected: Vec<(&str, String)> = match kind {
        Kind::Gcs => vec![("STORAGE_EMULATOR_HOST", ep.clone())],
        Kind::S3 => vec![
            ("AWS_ENDPOINT_URL", ep.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
        ],
        Kind::Azure => vec![(
            "AZURE_STORAGE_CONNECTION_STRING",
            format!(
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
                 AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\
                 BlobEndpoint={ep}/devstoreaccount1;"
            ),
        )],
    };
    let expected: Vec<(String, String)> =
        expected.into_iter().map(|(k, v)| (k.into(), v)).collect();
    assert_eq!(emulator.env(), expected, "{kind}");
    let proxied = expected
        .iter()
        .map(|(k, v)| (k.clone(), v.replace(&ep, &emulator.proxied_endpoint())));
    assert_eq!(
        emulator.proxied_env(),
        proxied.collect::<Vec<_>>(),
        "{kind}"
    );

    emulator.create_bucket(BUCKET);
    emulator.put(BUCKET, "index.yaml", b"x");
    assert_eq!(
        emulator.requests(),
        vec![],
        "{kind}: the rig's own requests are not counted"
    );

    // Large enough for clients to send `Expect: 100-continue`.
    let data = [binary(), vec![7u8; 1_500_000]].concat();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &data).unwrap();
    let run = |env| match kind {
        Kind::Gcs => gcs_upload_and_list(env, &data),
        _ => run_sdk(kind, env, file.path()),
    };
    let listing = run(emulator.proxied_env());
    assert_eq!(listing, "['index.yaml', 'via-proxy.tgz']", "{kind}");
    assert_eq!(
        emulator.get(BUCKET, "via-proxy.tgz"),
        Some(data.clone()),
        "{kind}"
    );

    let requests = emulator.requests();
    let count = |method: &str, path: &str| {
        let prefix = format!("/{path}");
        let matching = requests.iter().filter(|(m, target, status)| {
            m == method && target.starts_with(&prefix) && (200..300).contains(status)
        });
        matching.count()
    };
    let (list, upload) = request_paths(kind);
    assert_eq!(count("GET", list), 1, "{kind}: one listing in {requests:?}");
    assert_eq!(
        count(upload.0, upload.1),
        1,
        "{kind}: one upload in {requests:?}"
    );
    emulator.clear_requests();
    assert_eq!(emulator.requests(), vec![]);

    // The unproxied environment bypasses the proxy.
    assert_eq!(run(emulator.env()), listing, "{kind}");
    assert_eq!(emulator.requests(), vec![], "{kind}");
}

/// How requests of [`sdk_script`] start (after the `/`): the listing of
/// `charts` (S3 `GET /charts?list-type=2`, Azure `GET
/// /devstoreaccount1/charts?restype=container&comp=list`, GCS `GET
/// /storage/v1/b/charts/o`) and the upload's method and path.
fn request_paths(kind: Kind) -> (&'static str, (&'static str, &'static str)) {
    match kind {
        Kind::Gcs => (
            "storage/v1/b/charts/o",
            ("POST", "upload/storage/v1/b/charts/o?uploadType=media"),
        ),
        Kind::S3 => ("charts?", ("PUT", "charts/via-proxy.tgz")),
        Kind::Azure => (
            "devstoreaccount1/charts?",
            ("PUT", "devstoreaccount1/charts/via-proxy.tgz"),
        ),
    }
}

#[test]
fn gcs_client_through_proxy_is_counted() {
    sdk_through_proxy(Kind::Gcs);
}

#[test]
fn s3_sdk_through_proxy_is_counted() {
    sdk_through_proxy(Kind::S3);
}

#[test]
fn azure_sdk_through_proxy_is_counted() {
    sdk_through_proxy(Kind::Azure);
}

/// Objects (and the bucket) survive a stop, or with GCS a crash, of a
/// persistent emulator, which comes back on the same port.
fn persistent_restart(kind: Kind, crash: bool) {
    let storage = tempfile::tempdir().unwrap();
    let mut emulator = Emulator::start_persistent(kind, storage.path());
    emulator.create_bucket(BUCKET);
    emulator.put(BUCKET, "index.yaml", b"kept");
    emulator.put(BUCKET, "c-0.1.0.tgz", &binary());
    let (port, endpoint, proxy) = (
        emulator.port(),
        emulator.endpoint(),
        emulator.proxied_endpoint(),
    );
    assert!(emulator.is_running());

    if crash {
        emulator.kill();
    } else {
        emulator.stop();
    }
    assert!(!emulator.is_running());
    assert!(refused(&endpoint), "{kind}: still answering when down");

    emulator.restart();
    assert!(emulator.is_running());
    assert_eq!(
        (emulator.port(), emulator.proxied_endpoint()),
        (port, proxy)
    );
    assert_eq!(
        emulator.get(BUCKET, "index.yaml").as_deref(),
        Some(&b"kept"[..]),
        "{kind}"
    );
    assert_eq!(
        emulator.get(BUCKET, "c-0.1.0.tgz"),
        Some(binary()),
        "{kind}"
    );
    emulator.put(BUCKET, "after.txt", b"1");
    assert_eq!(emulator.list(BUCKET).len(), 3, "{kind}");

    // Restarting a running emulator works too.
    emulator.stop();
    emulator.restart();
    assert_eq!(emulator.list(BUCKET).len(), 3, "{kind}");
}

#[test]
fn gcs_persistent_survives_kill_and_restart() {
    persistent_restart(Kind::Gcs, true);
}

#[test]
fn azure_persistent_survives_stop_and_restart() {
    persistent_restart(Kind::Azure, false);
}

#[test]
fn gcs_in_memory_restart_starts_empty() {
    let mut emulator = Emulator::start(Kind::Gcs);
    emulator.create_bucket(BUCKET);
    emulator.put(BUCKET, "index.yaml", b"gone");
    emulator.restart();
    // The bucket is gone with its objects: creating it again works.
    emulator.create_bucket(BUCKET);
    assert_eq!(emulator.list(BUCKET), vec![]);
}

#[test]
fn creating_an_existing_bucket_fails() {
    let emulator = Emulator::start(Kind::Gcs);
    emulator.create_bucket(BUCKET);
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        emulator.create_bucket(BUCKET)
    }));
    let message = again.expect_err("second create_bucket");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("409"), "{message}");
}

#[test]
fn missing_peers_and_s3_persistence_fail_with_instructions() {
    let missing = std::panic::catch_unwind(|| peer_bin("no-such-emulator"));
    let message = missing.expect_err("a missing peer must fail the test");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("run scripts/provision-peers.sh"),
        "{message}"
    );

    let dir = tempfile::tempdir().unwrap();
    let s3 = std::panic::catch_unwind(|| Emulator::start_persistent(Kind::S3, dir.path()));
    assert!(
        s3.is_err(),
        "moto cannot persist: start_persistent(S3) must fail"
    );
}
