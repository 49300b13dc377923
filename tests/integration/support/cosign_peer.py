"""An independent reader and writer of cosign's signature storage, for the
test rig: written from cosign's specs (SIGNATURE_SPEC.md, BUNDLE_SPEC.md),
the distribution spec's referrers fallback and RFC 6962, with nothing but
the standard library and `cryptography`. It checks what `helm prov sign`
stores in a registry, and stores signatures as cosign does for `helm prov
verify` to read.

  verify BASE REPO DIGEST PUBKEY [TRUSTED_ROOT]
      Prints {"legacy": N, "bundles": N}: the signatures of each form that
      verify with PUBKEY (and, with TRUSTED_ROOT, whose log promise and
      inclusion proof verify against its log key). Exits 1 when one that
      claims to be by PUBKEY's key does not verify.
  sign BASE REPO TAG PRIVKEY DOCKER_REFERENCE [PREDICATE_TYPE [FORMS]]
      Signs the manifest TAG names with the PKCS#8 P-256 key PRIVKEY, in both
      forms (FORMS "bundle": the bundle only), without a log entry, keeping
      other signers' entries; PREDICATE_TYPE (default cosign's "signed")
      makes the bundle an attestation of that type instead.
"""

import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
IN_TOTO = "application/vnd.in-toto+json"


def request(method, url, body=None, content_type=None, accept=None):
    r = urllib.request.Request(url, data=body, method=method)
    if content_type:
        r.add_header("Content-Type", content_type)
    if accept:
        r.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read(4 << 20)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read(1 << 16)


def get_json(url, accept):
    status, _, body = request("GET", url, accept=accept)
    if status == 404:
        return None, None
    assert status == 200, f"GET {url}: {status} {body[:200]!r}"
    return json.loads(body), body


def blob(base, repo, digest):
    status, _, body = request("GET", f"{base}/v2/{repo}/blobs/{digest}")
    assert status == 200, f"blob {digest}: {status}"
    assert "sha256:" + hashlib.sha256(body).hexdigest() == digest, "blob digest"
    return body


def verify_ecdsa(key, sig, data):
    try:
        key.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def log_key(root_path):
    root = json.load(open(root_path))
    raw = base64.b64decode(root["tlogs"][0]["publicKey"]["rawBytes"])
    return serialization.load_der_public_key(raw)


def check_set(lkey, set_b64, body_b64, integrated, log_id_hex, index):
    """Rekor's signed entry timestamp: ECDSA over RFC 8785 JSON."""
    payload = json.dumps(
        {"body": body_b64, "integratedTime": int(integrated),
         "logID": log_id_hex, "logIndex": int(index)},
        sort_keys=True, separators=(",", ":")).encode()
    assert verify_ecdsa(lkey, base64.b64decode(set_b64), payload), "SET does not verify"


def leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def check_proof(index, size, leaf_hash, proof, root):
    """RFC 9162 section 2.1.3.2: the root from a leaf and its audit path."""
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise AssertionError("proof too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    assert sn == 0 and r == root, "inclusion proof does not lead to the root"


def verify(base, repo, digest, pub_path, root_path=None):
    key = serialization.load_pem_public_key(open(pub_path, "rb").read())
    lkey = log_key(root_path) if root_path else None
    hexd = digest.split(":", 1)[1]
    counts = {"legacy": 0, "bundles": 0}
    sig_manifest, _ = get_json(f"{base}/v2/{repo}/manifests/sha256-{hexd}.sig", OCI_MANIFEST)
    for layer in (sig_manifest or {}).get("layers", []):
        if layer.get("mediaType") != SIMPLE:
            continue
        payload = blob(base, repo, layer["digest"])
        ann = layer.get("annotations", {})
        sig = base64.b64decode(ann["dev.cosignproject.cosign/signature"])
        if not verify_ecdsa(key, sig, payload):
            continue  # another signer's
        p = json.loads(payload)
        assert p["critical"]["type"] == "cosign container image signature"
        assert p["critical"]["image"]["docker-manifest-digest"] == digest, "another digest"
        if lkey is not None:
            b = json.loads(ann["dev.sigstore.cosign/bundle"])
            pl = b["Payload"]
            check_set(lkey, b["SignedEntryTimestamp"], pl["body"], pl["integratedTime"],
                      pl["logID"], pl["logIndex"])
            entry = json.loads(base64.b64decode(pl["body"]))
            assert entry["kind"] == "hashedrekord"
            assert entry["spec"]["data"]["hash"]["value"] == hashlib.sha256(payload).hexdigest()
            assert base64.b64decode(entry["spec"]["signature"]["content"]) == sig
        counts["legacy"] += 1
    status, headers, body = request("GET", f"{base}/v2/{repo}/referrers/{digest}", accept=OCI_INDEX)
    if status == 200 and headers.get("Content-Type", "").startswith(OCI_INDEX):
        index = json.loads(body)
    else:
        index, _ = get_json(f"{base}/v2/{repo}/manifests/sha256-{hexd}", OCI_INDEX)
    for entry in (index or {}).get("manifests", []):
        if entry.get("artifactType") != BUNDLE:
            continue
        m, raw = get_json(f"{base}/v2/{repo}/manifests/{entry['digest']}", OCI_MANIFEST)
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == entry["digest"]
        assert m["subject"]["digest"] == digest, "referrer of another manifest"
        assert m["artifactType"] == BUNDLE and m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
        bundle = json.loads(blob(base, repo, m["layers"][0]["digest"]))
        assert bundle["mediaType"] == BUNDLE
        env = bundle["dsseEnvelope"]
        assert env["payloadType"] == IN_TOTO
        payload = base64.b64decode(env["payload"])
        pae = b"DSSEv1 %d %s %d %s" % (len(IN_TOTO), IN_TOTO.encode(), len(payload), payload)
        sig = base64.b64decode(env["signatures"][0]["sig"])
        if not verify_ecdsa(key, sig, pae):
            continue
        st = json.loads(payload)
        assert st["predicateType"] == "https://sigstore.dev/cosign/sign/v1"
        assert any(s["digest"].get("sha256") == hexd for s in st["subject"]), "another digest"
        if lkey is not None:
            (t,) = bundle["verificationMaterial"]["tlogEntries"]
            log_id = base64.b64decode(t["logId"]["keyId"]).hex()
            check_set(lkey, t["inclusionPromise"]["signedEntryTimestamp"], t["canonicalizedBody"],
                      t["integratedTime"], log_id, t["logIndex"])
            body = base64.b64decode(t["canonicalizedBody"])
            e = json.loads(body)
            assert e["kind"] == "dsse" and t["kindVersion"]["kind"] == "dsse"
            assert e["spec"]["payloadHash"]["value"] == hashlib.sha256(payload).hexdigest()
            assert base64.b64decode(e["spec"]["signatures"][0]["signature"]) == sig
            pr = t["inclusionProof"]
            check_proof(int(pr["logIndex"]), int(pr["treeSize"]), leaf(body),
                        [base64.b64decode(h) for h in pr["hashes"]], base64.b64decode(pr["rootHash"]))
        counts["bundles"] += 1
    print(json.dumps(counts))


def put_blob(base, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, _ = request("POST", f"{base}/v2/{repo}/blobs/uploads/")
    assert status == 202, status
    loc = headers["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    status, _, body = request("PUT", f"{loc}{sep}digest={digest}", data, "application/octet-stream")
    assert status == 201, (status, body)
    return {"digest": digest, "size": len(data)}


def put_manifest(base, repo, ref, doc, media_type):
    data = json.dumps(doc, separators=(",", ":")).encode()
    status, headers, body = request("PUT", f"{base}/v2/{repo}/manifests/{ref}", data, media_type)
    assert status == 201, (status, body)
    return "sha256:" + hashlib.sha256(data).hexdigest(), len(data), headers


def sign(base, repo, tag, key_path, docker_reference,
         predicate="https://sigstore.dev/cosign/sign/v1", forms="both"):
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
    pub_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    status, headers, raw = request("GET", f"{base}/v2/{repo}/manifests/{tag}", accept=OCI_MANIFEST)
    assert status == 200, status
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    hexd = digest.split(":", 1)[1]
    if forms == "both":
        sign_legacy(base, repo, key, digest, hexd, docker_reference)
    sign_bundle(base, repo, key, pub_der, digest, hexd, len(raw), predicate)
    print(digest)


def sign_legacy(base, repo, key, digest, hexd, docker_reference):
    # Legacy: a simple-signing layer added to the .sig manifest.
    payload = json.dumps({"critical": {"identity": {"docker-reference": docker_reference},
                                       "image": {"docker-manifest-digest": digest},
                                       "type": "cosign container image signature"},
                          "optional": None}, separators=(",", ":")).encode()
    sig = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    layer = dict(mediaType=SIMPLE, **put_blob(base, repo, payload),
                 annotations={"dev.cosignproject.cosign/signature": base64.b64encode(sig).decode()})
    old, _ = get_json(f"{base}/v2/{repo}/manifests/sha256-{hexd}.sig", OCI_MANIFEST)
    layers = (old or {}).get("layers", []) + [layer]
    config = json.dumps({"architecture": "", "os": "", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode()
    cfg = dict(mediaType="application/vnd.oci.image.config.v1+json", **put_blob(base, repo, config))
    put_manifest(base, repo, f"sha256-{hexd}.sig",
                 {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cfg, "layers": layers}, OCI_MANIFEST)


def sign_bundle(base, repo, key, pub_der, digest, hexd, size, predicate):
    # v3: a DSSE bundle as a referrer, listed in the sha256-<hex> tag index.
    statement = json.dumps({"_type": "https://in-toto.io/Statement/v1",
                            "subject": [{"digest": {"sha256": hexd}}],
                            "predicateType": predicate,
                            "predicate": {}}).encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(IN_TOTO), IN_TOTO.encode(), len(statement), statement)
    bundle = {"mediaType": BUNDLE,
              "verificationMaterial": {"publicKey": {"hint": base64.b64encode(hashlib.sha256(pub_der).digest()).decode()},
                                       "tlogEntries": []},
              "dsseEnvelope": {"payload": base64.b64encode(statement).decode(), "payloadType": IN_TOTO,
                               "signatures": [{"sig": base64.b64encode(key.sign(pae, ec.ECDSA(hashes.SHA256()))).decode()}]}}
    empty = dict(mediaType="application/vnd.oci.empty.v1+json", **put_blob(base, repo, b"{}"))
    bl = dict(mediaType=BUNDLE, **put_blob(base, repo, json.dumps(bundle).encode()))
    annotations = {"dev.sigstore.bundle.content": "dsse-envelope",
                   "dev.sigstore.bundle.predicateType": predicate}
    ref_manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": BUNDLE,
                    "config": empty, "layers": [bl],
                    "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": size},
                    "annotations": annotations}
    data = json.dumps(ref_manifest, separators=(",", ":")).encode()
    rdigest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, _, headers = put_manifest(base, repo, rdigest, ref_manifest, OCI_MANIFEST)
    if "OCI-Subject" not in headers:
        index, _ = get_json(f"{base}/v2/{repo}/manifests/sha256-{hexd}", OCI_INDEX)
        index = index or {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        index["manifests"].append({"mediaType": OCI_MANIFEST, "digest": rdigest, "size": len(data),
                                   "artifactType": BUNDLE, "annotations": annotations})
        put_manifest(base, repo, f"sha256-{hexd}", index, OCI_INDEX)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"verify": verify, "sign": sign}[cmd](*args)
