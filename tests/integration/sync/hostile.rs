//! A store written by an attacker: listings whose continuation tokens go
//! round in a cycle, answers that never end, XML that is not XML, object
//! names that climb out of the folder. Each is one clear error line, in
//! bounded time and memory, with nothing written outside the folder.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use super::*;
use crate::support::http::{read_request, Acceptor, Response};

/// An S3 endpoint that answers every request with `answer(method, target)`.
fn fake_s3(answer: impl Fn(&str, &str) -> Response + Send + Sync + 'static) -> (String, Acceptor) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let acceptor = Acceptor::start(l, move |stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut w = stream;
        while let Ok(Some(req)) = read_request(&mut reader, &mut w) {
            let r = answer(&req.method, &req.target);
            if w.write_all(&r.serialize(&req.method, false)).is_err() {
                return;
            }
        }
    });
    (url, acceptor)
}

fn xml(body: String) -> Response {
    let mut r = Response::status_only(200);
    r.headers
        .push(("Content-Type".into(), "application/xml".into()));
    r.body = body.into_bytes();
    r
}

fn run_against(endpoint: &str, args: &[&str]) -> (bool, String, Duration) {
    let home = HelmHome::new();
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-sync"));
    for k in CLOUD_VARS {
        c.env_remove(k);
    }
    c.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "k")
        .env("AWS_SECRET_ACCESS_KEY", "s")
        .env("AWS_REGION", "us-east-1");
    let started = Instant::now();
    let out = c.args(args).output().unwrap();
    (out.status.success(), output_text(&out), started.elapsed())
}

const INDEX: &str = "apiVersion: v1\nentries: {}\ngenerated: \"2024-01-01T00:00:00Z\"\n";

#[test]
fn hostile_listings_and_names_are_refused_in_bounded_time() {
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("dest");

    // Continuation tokens that go round: A, B, A, ...
    let (url, _s) = fake_s3(|method, target| {
        if method == "GET" && target.contains("list-type=2") {
            let next = if target.contains("continuation-token=A") {
                "B"
            } else {
                "A"
            };
            xml(format!("<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>{next}</NextContinuationToken></ListBucketResult>"))
        } else if target.ends_with("/index.yaml") {
            let mut r = Response::status_only(200);
            r.body = INDEX.as_bytes().to_vec();
            r
        } else {
            Response::status_only(404)
        }
    });
    let (ok_, text, took) = run_against(&url, &["s3://b", dest.to_str().unwrap()]);
    assert!(!ok_, "{text}");
    assert!(text.contains("does not end"), "{text}");
    assert!(took < Duration::from_secs(30), "{took:?}");

    // A listing that is not XML.
    let (url, _s) = fake_s3(|_, target| {
        if target.contains("list-type=2") {
            xml("<ListBucketResult><Contents><Key>a".into())
        } else {
            Response::status_only(404)
        }
    });
    let (ok_, text, _) = run_against(&url, &["s3://b", dest.to_str().unwrap()]);
    assert!(!ok_ && text.contains("not valid XML"), "{text}");
    assert_eq!(text.trim().lines().count(), 1, "{text}");

    // Object names that climb out of the folder, or are absolute.
    for evil in ["../escaped.tgz", "a/../../escaped.tgz", "/etc/escaped"] {
        let name = evil.to_string();
        let (url, _s) = fake_s3(move |_, target| {
            if target.contains("list-type=2") {
                xml(format!(
                    "<ListBucketResult><Contents><Key>index.yaml</Key><Size>{}</Size><ETag>\"x\"</ETag></Contents><Contents><Key>{name}</Key><Size>3</Size></Contents></ListBucketResult>",
                    INDEX.len()
                ))
            } else if target.ends_with("/index.yaml") {
                let mut r = Response::status_only(200);
                r.body = INDEX.as_bytes().to_vec();
                r
            } else {
                let mut r = Response::status_only(200);
                r.body = b"pwn".to_vec();
                r
            }
        });
        let (ok_, text, _) = run_against(&url, &["s3://b", dest.to_str().unwrap()]);
        assert!(!ok_, "{evil}: {text}");
        assert!(text.contains("not a safe file name"), "{evil}: {text}");
        assert!(!work.path().join("escaped.tgz").exists(), "{evil}");
        assert!(!dest.join("index.yaml").exists(), "{evil}: index written");
    }

    // An index that never ends: capped, not read into memory for ever.
    let (url, _s) = fake_s3(|_, target| {
        if target.ends_with("/index.yaml") {
            let mut r = Response::status_only(200);
            r.body = vec![b'#'; 300 << 20];
            r
        } else {
            xml("<ListBucketResult></ListBucketResult>".into())
        }
    });
    let (ok_, text, _) = run_against(&url, &["s3://b", dest.to_str().unwrap()]);
    assert!(!ok_ && text.contains("larger than 256 MiB"), "{text}");

    // A 403 is one line naming the store's own words, and is not retried.
    let (url, _s) = fake_s3(|_, _| {
        let mut r = Response::status_only(403);
        r.body = b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>".to_vec();
        r
    });
    let (ok_, text, took) = run_against(&url, &["s3://b", dest.to_str().unwrap()]);
    assert!(
        !ok_ && text.contains("403") && text.contains("AccessDenied"),
        "{text}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}
