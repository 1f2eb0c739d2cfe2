#!/usr/bin/env python3
"""Check an OPA bundle tarball the way OPA reads it, with nothing of Gavel's.

  opa_bundle_check.py verify BUNDLE.tar.gz --key PUBLIC.pem [--scope S]
      .signatures.json: exactly one JWT, its signature checked with the
      public key (RS256 or ES256, by Python's `cryptography`, i.e. OpenSSL),
      its scope compared, and every file of the tarball hashed as OPA's
      verifier hashes it (bundle/verify.go, bundle/hash.go: data.json,
      data.yaml and .manifest canonicalised, everything else as bytes) and
      matched to the JWT's list, which must name no other file. The manifest's
      roots are checked as OPA checks them (no overlap; every package and
      data path under a root). Exit 0 when it verifies, 1 with the reason.
      With the reference OPA engine (.opa-ref/, see opa_reference_setup.sh)
      the JWT is also verified by OPA's own io.jwt.verify_* builtins.
  opa_bundle_check.py eval BUNDLE.tar.gz --query data.pkg.rule --input FILE
      Loads the bundle's modules and data into the reference OPA engine and
      prints the query's value as JSON (`{"undefined": true}` when
      undefined).
"""

import argparse
import base64
import hashlib
import io
import json
import os
import re
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".opa-ref"))


class Num(str):
    """A JSON number kept as its text, as Go's json.Number keeps it."""


def load_json(data: bytes):
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return json.loads(data.decode("utf-8"), parse_int=Num, parse_float=Num)


def go_string(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif o < 0x20 or ch in "\u2028\u2029":
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def walk(v, h):
    if isinstance(v, dict):
        h.update(b"{")
        for i, k in enumerate(sorted(v, key=lambda k: k.encode("utf-8"))):
            if i:
                h.update(b",")
            h.update(go_string(k).encode("utf-8"))
            h.update(b":")
            walk(v[k], h)
        h.update(b"}")
    elif isinstance(v, list):
        h.update(b"[")
        for i, e in enumerate(v):
            if i:
                h.update(b",")
            walk(e, h)
        h.update(b"]")
    elif isinstance(v, Num):
        h.update(str.__str__(v).encode())
    elif isinstance(v, str):
        h.update(go_string(v).encode("utf-8"))
    elif v is True:
        h.update(b"true")
    elif v is False:
        h.update(b"false")
    elif v is None:
        h.update(b"null")
    else:
        raise ValueError(f"unexpected value {v!r}")


def structured(name: str) -> bool:
    return os.path.basename(name) in ("data.json", "data.yaml", ".manifest", "signatures.json")


def file_hash(name: str, data: bytes) -> str:
    h = hashlib.sha256()
    if structured(name):
        if name.endswith(".yaml"):
            raise SystemExit(f"{name}: YAML data is not checked by this script")
        walk(load_json(data), h)
    else:
        h.update(data)
    return h.hexdigest()


def read_tar(path):
    files = {}
    with tarfile.open(path, "r:gz") as t:
        for m in t.getmembers():
            if not m.isfile():
                continue
            name = m.name.lstrip("/")
            files[name] = t.extractfile(m).read()
    return files


def b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def verify_signature(token: str, key_pem: bytes):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    head, payload, sig = token.split(".")
    header = json.loads(b64url(head))
    key = serialization.load_pem_public_key(key_pem)
    signing_input = f"{head}.{payload}".encode()
    raw = b64url(sig)
    try:
        if header.get("alg") == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif header.get("alg") == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            if len(raw) != 64:
                fail(f"ES256 signature of {len(raw)} bytes, not 64")
            r = int.from_bytes(raw[:32], "big")
            s = int.from_bytes(raw[32:], "big")
            key.verify(utils.encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            fail(f"alg {header.get('alg')} does not fit the key")
    except InvalidSignature:
        fail("the JWT's signature does not verify with the key")
    return header, json.loads(b64url(payload))


def opa_verify(token: str, alg: str, key_pem: bytes):
    """OPA's own JWT verification, when the reference engine is there."""
    try:
        from opa_bindings import OpaEngine
    except ImportError:
        return None
    fn = {"RS256": "io.jwt.verify_rs256", "ES256": "io.jwt.verify_es256"}[alg]
    with OpaEngine() as e:
        rs = e.eval_query(f"x := {fn}(input.t, input.k)", {"t": token, "k": key_pem.decode()})
    return bool(rs and rs[0].get("x"))


def roots_ok(files, manifest):
    roots = [r.strip("/") for r in manifest.get("roots", [""])]

    def contains(root, path):
        return root == "" or path == root or path.startswith(root + "/")

    for i, a in enumerate(roots):
        for b in roots[i + 1:]:
            if contains(a, b) or contains(b, a):
                fail(f"manifest has overlapped roots: {a!r} and {b!r}")
    for name, data in files.items():
        if name.endswith(".rego"):
            m = re.search(r"^package\s+([^\s#]+)", data.decode(), re.M)
            pkg = m.group(1).replace(".", "/")
            if not any(contains(r, pkg) for r in roots):
                fail(f"manifest roots {roots} do not permit package {pkg} in {name}")
        elif os.path.basename(name) == "data.json":
            d = os.path.dirname(name)
            value = load_json(data)
            paths = [d] if d else [k for k in value] if isinstance(value, dict) else [""]
            for p in paths:
                if not any(contains(r, p) for r in roots):
                    fail(f"manifest roots {roots} do not permit data at {p}")


def verify(args):
    files = read_tar(args.bundle)
    sigs = files.pop(".signatures.json", None)
    if sigs is None:
        fail("no .signatures.json")
    tokens = json.loads(sigs)["signatures"]
    if len(tokens) != 1:
        fail(f"{len(tokens)} JWTs (OPA expects exactly one)")
    key_pem = open(args.key, "rb").read()
    header, payload = verify_signature(tokens[0], key_pem)
    if payload.get("scope", "") != (args.scope or ""):
        fail(f"scope mismatch: {payload.get('scope')!r}")
    if not header.get("kid") and not payload.get("keyid"):
        fail("no key id")
    listed = {f["name"]: f for f in payload["files"]}
    for name, data in files.items():
        f = listed.pop(name, None)
        if f is None:
            fail(f"file {name} not included in bundle signature")
        if f.get("algorithm") != "SHA-256":
            fail(f"{name}: algorithm {f.get('algorithm')}")
        got = file_hash(name, data)
        if got != f["hash"]:
            fail(f"{name}: digest mismatch (want: {f['hash']}, got: {got})")
    if listed:
        fail(f"file(s) {sorted(listed)} specified in bundle signatures but not found in the target bundle")
    roots_ok(files, load_json(files[".manifest"]))
    by_opa = opa_verify(tokens[0], header["alg"], key_pem)
    if by_opa is False:
        fail("OPA's io.jwt verification refuses the JWT")
    print(
        f"OK: {len(files)} files, {header['alg']}, kid {header.get('kid')}"
        + ("; OPA's io.jwt agrees" if by_opa else "; reference OPA engine absent")
    )


def evaluate(args):
    try:
        from opa_bindings import OpaEngine, OpaUndefinedError
    except ImportError:
        sys.exit("reference OPA engine missing: run scripts/opa_reference_setup.sh")
    files = read_tar(args.bundle)
    inp = json.load(open(args.input))
    with OpaEngine() as e:
        for name, data in sorted(files.items()):
            if name.endswith(".rego"):
                e.add_policy(name, data.decode())
            elif os.path.basename(name) == "data.json":
                d = os.path.dirname(name)
                e.add_data(json.loads(data), d.replace("/", "."))
        path = args.query.removeprefix("data.")
        try:
            value = e.eval_document(path, inp)
        except OpaUndefinedError:
            value = {"undefined": True}
    print(json.dumps(value, sort_keys=True))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify")
    v.add_argument("bundle")
    v.add_argument("--key", required=True)
    v.add_argument("--scope")
    ev = sub.add_parser("eval")
    ev.add_argument("bundle")
    ev.add_argument("--query", required=True)
    ev.add_argument("--input", required=True)
    args = ap.parse_args()
    if args.cmd == "verify":
        verify(args)
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
