"""A local TUF repository laid out like Sigstore's CDN (consistent snapshots:
N.root.json, V.snapshot.json, V.targets.json, targets/<sha256>.<name>, and an
unversioned timestamp.json), for the tests that cannot reach
tuf-repo-cdn.sigstore.dev. Written against python-tuf 7's Metadata API; run
with .peers/sigstore-venv/bin/python.

State in DIR: keys/ (PKCS#8 PEM private keys, never served), repo/ (what is
served), timestamps/ (every timestamp ever written, for `rollback`),
settings.json, and root.json (the initial root: the client's bootstrap).

  init DIR --target NAME=FILE... [--expires-days N]
  publish DIR --target NAME=FILE...
  rotate-root DIR [--timestamp-key]
  expire DIR --role timestamp|snapshot|targets|root
  tamper DIR --target NAME
  rollback DIR
  selftest

Each prints one JSON line on stdout; errors exit 1 with a message on stderr.
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (Metadata, MetaFile, Root, Snapshot, TargetFile,
                              Targets, Timestamp)
from tuf.api.serialization.json import JSONSerializer

ROLES = ("root", "targets", "snapshot", "timestamp")
PRETTY = JSONSerializer(compact=False)


def p(d, *parts):
    return os.path.join(d, *parts)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def put(path, data):
    with open(path, "wb") as f:
        f.write(data)


def expiry(d, past=False):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    if past:
        # A day back, so clock skew between writer and client cannot save it.
        return now - timedelta(days=1)
    days = json.loads(read(p(d, "settings.json")))["expires_days"]
    return now + timedelta(days=days)


def new_key(d, role):
    """A fresh key for role; the one it replaces is archived, not deleted,
    since an old root key must still co-sign the next root."""
    path = p(d, "keys", f"{role}.pem")
    if os.path.exists(path):
        n = len(glob.glob(p(d, "keys", f"{role}.old*.pem"))) + 1
        os.rename(path, p(d, "keys", f"{role}.old{n}.pem"))
    signer = CryptoSigner.generate_ed25519()
    put(path, signer.private_bytes)
    os.chmod(path, 0o600)
    return signer


def signer(d, role):
    return CryptoSigner(load_pem_private_key(read(p(d, "keys", f"{role}.pem")), None))


def version_of(path):
    return int(os.path.basename(path).split(".")[0])


def latest(d, role):
    """The newest version of role ever written. The served timestamp.json is
    not the source, since `rollback` may have put an old one there."""
    where = p(d, "timestamps") if role == "timestamp" else p(d, "repo")
    files = glob.glob(p(where, f"*.{role}.json"))
    if not files:
        raise SystemExit(f"{d}: no {role} metadata (run init first)")
    return Metadata.from_file(max(files, key=version_of))


def write(d, md, *signers):
    md.signatures.clear()
    for s in signers:
        md.sign(s, append=True)
    data = md.to_bytes(PRETTY)
    role, version = md.signed.type, md.signed.version
    names = [p(d, "repo", f"{version}.{role}.json")]
    if role == "root":
        # Clients walk N.root.json; root.json is for humans and other tools.
        names.append(p(d, "repo", "root.json"))
    if role == "timestamp":
        names = [p(d, "repo", "timestamp.json"),
                 p(d, "timestamps", f"{version}.timestamp.json")]
    for name in names:
        put(name, data)
    # Pinning length and hash as well as version, as Sigstore's repo does.
    return MetaFile(version, len(data), {"sha256": hashlib.sha256(data).hexdigest()})


def add_targets(d, targets, pairs):
    for name, path in pairs:
        data = read(path)
        info = targets.signed.targets[name] = TargetFile.from_data(name, data, ["sha256"])
        # Old versions' files stay: a client mid-update may still want them.
        put(p(d, "repo", "targets", f"{info.hashes['sha256']}.{name}"), data)


def bump(md, d, past=False, step=1):
    md.signed.version += step
    md.signed.expires = expiry(d, past)
    return md


def sign_chain(d, targets=None, snapshot=None, timestamp=None, past=None, step=1):
    """Write targets -> snapshot -> timestamp, each pinning the one below;
    a role given as None is a new version of the latest one. `past` names
    the role to write already expired; step 0 keeps init's version 1."""
    snapshot = snapshot or latest(d, "snapshot")
    if targets is not None:
        meta = write(d, bump(targets, d, past == "targets", step), signer(d, "targets"))
        snapshot.signed.meta["targets.json"] = meta
    meta = write(d, bump(snapshot, d, past == "snapshot", step), signer(d, "snapshot"))
    timestamp = timestamp or latest(d, "timestamp")
    timestamp.signed.snapshot_meta = meta
    write(d, bump(timestamp, d, past == "timestamp", step), signer(d, "timestamp"))


def status(d, **extra):
    out = {f"{r}_version": latest(d, r).signed.version for r in ROLES}
    out.update(extra)
    print(json.dumps(out, sort_keys=True))


def pairs(values):
    out = []
    for v in values:
        name, sep, path = v.partition("=")
        if not sep or not name or "/" in name:
            raise SystemExit(f"--target {v!r}: want NAME=FILE, NAME without '/'")
        out.append((name, path))
    return out


def cmd_init(a):
    d = a.dir
    if os.path.exists(p(d, "repo")):
        raise SystemExit(f"{d}: already initialised")
    for sub in ("keys", "repo/targets", "timestamps"):
        os.makedirs(p(d, sub), exist_ok=True)
    put(p(d, "settings.json"), json.dumps({"expires_days": a.expires_days}).encode())
    signers = {r: new_key(d, r) for r in ROLES}
    root = Metadata(Root(expires=expiry(d), consistent_snapshot=True))
    for r in ROLES:
        root.signed.add_key(signers[r].public_key, r)
    write(d, root, signers["root"])
    shutil.copy(p(d, "repo", "1.root.json"), p(d, "root.json"))
    targets = Metadata(Targets())
    add_targets(d, targets, pairs(a.target))
    sign_chain(d, targets, Metadata(Snapshot()), Metadata(Timestamp()), step=0)
    status(d, root=p(d, "root.json"))


def cmd_publish(a):
    targets = latest(a.dir, "targets")
    add_targets(a.dir, targets, pairs(a.target))
    sign_chain(a.dir, targets)
    status(a.dir)


def cmd_rotate_root(a):
    d = a.dir
    root = latest(d, "root")
    old = signer(d, "root")
    new = new_key(d, "root")
    roles = ["root"] + (["timestamp"] if a.timestamp_key else [])
    for role in roles:
        for keyid in list(root.signed.roles[role].keyids):
            root.signed.revoke_key(keyid, role)
        key = new.public_key if role == "root" else new_key(d, role).public_key
        root.signed.add_key(key, role)
    # Signed by both: the old key so version N trusts it, the new one so it
    # meets its own threshold.
    write(d, bump(root, d), old, new)
    if a.timestamp_key:
        write(d, bump(latest(d, "timestamp"), d), signer(d, "timestamp"))
    status(d, rotated=roles)


def cmd_expire(a):
    d, role = a.dir, a.role
    if role in ("root", "timestamp"):  # nothing pins these: just re-sign
        write(d, bump(latest(d, role), d, past=True), signer(d, role))
    else:
        sign_chain(d, latest(d, "targets") if role == "targets" else None, past=role)
    status(d, expired=role)


def cmd_tamper(a):
    info = latest(a.dir, "targets").signed.targets.get(a.target)
    if info is None:
        raise SystemExit(f"no target {a.target!r}")
    path = p(a.dir, "repo", "targets", f"{info.hashes['sha256']}.{a.target}")
    # Same length, one bit different (an empty file gains a byte): only the
    # hash check can catch it.
    data = bytearray(read(path) or b"\0")
    data[-1] ^= 1
    put(path, bytes(data))
    status(a.dir, tampered=path)


def cmd_rollback(a):
    d = a.dir
    served = Metadata.from_file(p(d, "repo", "timestamp.json")).signed.version
    older = [v for v in map(version_of, glob.glob(p(d, "timestamps", "*.timestamp.json")))
             if v < served]
    if not older:
        raise SystemExit(f"no timestamp older than version {served}")
    shutil.copy(p(d, "timestamps", f"{max(older)}.timestamp.json"), p(d, "repo", "timestamp.json"))
    status(d, served_timestamp_version=max(older))


def cmd_selftest(a):
    from tuf.api import exceptions as exc
    from tuf.ngclient import Updater
    tmp = tempfile.mkdtemp(prefix="tuf-selftest-")
    d = p(tmp, "state")
    files = {n: p(tmp, n) for n in ("trusted_root.json", "signing_config.v0.2.json")}
    for name, path in files.items():
        put(path, json.dumps({"name": name, "v": 1}).encode())

    def run(*args):
        r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
        assert r.returncode == 0, f"{args}: {r.stderr.strip()}"
        return json.loads(r.stdout)

    run("init", d, *(f"--target={k}={v}" for k, v in files.items()))
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
         "--directory", p(d, "repo")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        # Port 0 lets the server pick a free port (no probe-then-bind race);
        # it prints "Serving HTTP on 127.0.0.1 port 40123 (...)".
        url = f"http://127.0.0.1:{server.stdout.readline().split()[5]}"
        n = [0]

        def fetch(bootstrap=p(d, "root.json"), cache=None):
            """Refresh as a client would, download every target, and check
            its bytes are the latest published ones."""
            n[0] += 1
            cache = cache or p(tmp, f"client{n[0]}")
            os.makedirs(cache, exist_ok=True)
            u = Updater(cache, url, None, f"{url}/targets", bootstrap=read(bootstrap))
            u.refresh()
            for name, path in files.items():
                got = u.download_target(u.get_targetinfo(name), p(cache, f"{name}.{n[0]}"))
                assert read(got) == read(path), name
            return u

        def refused(error, **kw):
            try:
                fetch(**kw)
            except error:
                return
            raise AssertionError(f"client accepted what it should refuse ({error.__name__})")

        def publish(name):
            return run("publish", d, f"--target={name}={files[name]}")

        fetch()
        old_root = p(tmp, "old-root.json")
        shutil.copy(p(d, "root.json"), old_root)
        put(files["trusted_root.json"], b'{"v": 2}')
        assert publish("trusted_root.json")["targets_version"] == 2
        fetch()
        assert run("rotate-root", d, "--timestamp-key")["root_version"] == 2
        u = fetch(bootstrap=old_root)
        assert u._trusted_set.root.version == 2
        # The served timestamp is signed by the rotated-in timestamp key only.
        first = Metadata.from_file(old_root).signed.roles["timestamp"].keyids
        signed_by = list(Metadata.from_file(p(d, "repo", "timestamp.json")).signatures)
        assert signed_by == u._trusted_set.root.roles["timestamp"].keyids != first
        for role in ("timestamp", "snapshot", "targets"):
            run("expire", d, f"--role={role}")
            refused(exc.ExpiredMetadataError)
            publish("trusted_root.json")  # fresh versions recover
            fetch()
        run("expire", d, "--role=root")
        refused(exc.ExpiredMetadataError, bootstrap=old_root)
        assert run("rotate-root", d)["root_version"] == 4  # a fresh root recovers
        fetch(bootstrap=old_root)
        run("tamper", d, "--target=signing_config.v0.2.json")
        refused(exc.LengthOrHashMismatchError)
        publish("signing_config.v0.2.json")  # rewrites the served file
        seen = p(tmp, "seen")
        fetch(cache=seen)
        run("rollback", d)
        refused(exc.BadVersionNumberError, cache=seen)
    finally:
        server.terminate()
        server.wait()
    shutil.rmtree(tmp)
    print("selftest: ok")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    targets = ("--target", dict(action="append", required=True, metavar="NAME=FILE"))
    for name, *opts in (
            ("init", targets, ("--expires-days", dict(type=int, default=365))),
            ("publish", targets),
            ("rotate-root", ("--timestamp-key", dict(action="store_true"))),
            ("expire", ("--role", dict(required=True, choices=ROLES))),
            ("tamper", ("--target", dict(required=True, metavar="NAME"))),
            ("rollback",), ("selftest",)):
        s = sub.add_parser(name)
        if name != "selftest":
            s.add_argument("dir")
        for flag, kw in opts:
            s.add_argument(flag, **kw)
    a = ap.parse_args()
    try:
        globals()["cmd_" + a.cmd.replace("-", "_")](a)
    except Exception as e:  # one line, for the Rust test's failure message
        raise SystemExit(f"tuf_repo {a.cmd}: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
