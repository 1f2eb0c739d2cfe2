//! `gavel bundle export`: a certified version as an OPA bundle that the
//! reference OPA engine evaluates as `gavel eval` does, whose signature an
//! independent JWT implementation (Python's `cryptography`, i.e. OpenSSL,
//! and OPA's own `io.jwt.verify_*`) accepts and refuses once any file
//! changes; a draft or partly signed version refused unless
//! `--allow-uncertified`, which the manifest then says.

mod certify_support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use certify_support::*;
use serde_json::Value;

const V: &str = "gfr-procurement@1.1.0";

fn checker() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/opa_bundle_check.py")
}

/// The reference OPA engine (scripts/opa_reference_setup.sh), if fetched.
fn opa_reference() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".opa-ref/opa_bindings/__init__.py")
        .exists()
}

/// Key pairs made by Python's `cryptography`: RSA as PKCS#1
/// (`RSA PRIVATE KEY`), P-256 as PKCS#8 (`PRIVATE KEY`) and as SEC1 (`EC
/// PRIVATE KEY`); each with its public key (`NAME.pub`).
fn make_keys(dir: &Path) {
    let script = r#"
import sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import rsa, ec
d = sys.argv[1]
def write(name, key, fmt):
    open(f"{d}/{name}.pem", "wb").write(key.private_bytes(s.Encoding.PEM, fmt, s.NoEncryption()))
    open(f"{d}/{name}.pub", "wb").write(key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
write("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048), s.PrivateFormat.TraditionalOpenSSL)
write("ec", ec.generate_private_key(ec.SECP256R1()), s.PrivateFormat.PKCS8)
write("ec1", ec.generate_private_key(ec.SECP256R1()), s.PrivateFormat.TraditionalOpenSSL)
"#;
    let out = Command::new("python3")
        .args(["-c", script, dir.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "making keys with Python's cryptography: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `opa_bundle_check.py ARGS`: (success, stdout + stderr).
fn check(args: &[&str]) -> (bool, String) {
    let out = Command::new("python3")
        .arg(checker())
        .args(args)
        .output()
        .expect("python3 runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A tarball's files, in order.
fn read_tar(path: &Path) -> Vec<(String, Vec<u8>)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut ar = tar::Archive::new(gz);
    let mut out = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        out.push((name, bytes));
    }
    out
}

fn write_tar(path: &Path, files: &[(String, Vec<u8>)]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut b = tar::Builder::new(gz);
    for (name, bytes) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, bytes.as_slice()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();
}

fn manifest(path: &Path) -> Value {
    let files = read_tar(path);
    let (_, m) = files.iter().find(|(n, _)| n == ".manifest").unwrap();
    serde_json::from_slice(m).unwrap()
}

/// `latest_certified` as `gavel serve` calls it, with the tests' trusted
/// signers.
fn latest_certified(env: &Env) -> Option<String> {
    let store = gavel::store::Store::open_read_only(&env.db).unwrap();
    let mut settings = gavel::certify::Settings::default();
    settings.load_trust(Some(&trust(env)), None).unwrap();
    gavel::bundle::export::latest_certified(&store, &settings, "gfr-procurement")
        .unwrap()
        .map(|v| v.reference().to_string())
}

/// A store with 1.1.0 certified by every role.
fn certified_store() -> Env {
    let env = gfr_store();
    prepare(&env, V);
    certify_all(&env, V);
    env
}

#[test]
fn a_draft_or_partly_signed_version_is_refused_unless_allowed_and_then_marked() {
    let env = gfr_store();
    let out = env.dir.path().join("b.tar.gz");
    let out_s = out.to_str().unwrap();

    assert_eq!(latest_certified(&env), None);

    // No key and no --unsigned: bad usage.
    let (code, _, err) = run(&env, &["bundle", "export", V, "--out", out_s]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--signing-key"), "{err}");

    // A key file that is no key: bad input, the file named.
    let not_a_key = env.dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, "hello\n").unwrap();
    let (code, _, err) = run(
        &env,
        &[
            "bundle",
            "export",
            V,
            "--out",
            out_s,
            "--signing-key",
            not_a_key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not-a-key.pem: not a PEM file"), "{err}");

    // A draft: refused (exit 1), nothing written.
    let (code, _, err) = run(&env, &["bundle", "export", V, "--out", out_s, "--unsigned"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("gfr-procurement@1.1.0 is draft") && err.contains("--allow-uncertified"),
        "{err}"
    );
    assert!(!out.exists());

    // Partly signed: still refused, and says what is missing.
    prepare(&env, V);
    let (code, o, e) = sign_as(&env, V, "legal");
    assert_eq!(code, 0, "{o}{e}");
    let (code, _, err) = run(&env, &["bundle", "export", V, "--out", out_s, "--unsigned"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("partially signed (missing compliance, audit, security)"),
        "{err}"
    );
    assert_eq!(latest_certified(&env), None);

    // Allowed: written, and the manifest says it is not certified.
    let doc = json(
        &env,
        &[
            "bundle",
            "export",
            V,
            "--out",
            out_s,
            "--unsigned",
            "--allow-uncertified",
        ],
    );
    assert_eq!(doc["certification"], "partially_signed");
    let m = manifest(&out);
    let c = &m["metadata"]["gavel"]["certification"];
    assert_eq!(c["certified"], false, "{m}");
    assert_eq!(c["exported_uncertified"], true, "{m}");
    assert!(
        c["warning"].as_str().unwrap().starts_with("NOT CERTIFIED"),
        "{m}"
    );
    assert_eq!(m["metadata"]["gavel"]["signoffs"][0]["role"], "legal");
    // The revision names the version and its content hash.
    let versions = json(&env, &["versions"]);
    let hash = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == "1.1.0")
        .unwrap()["content_hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(m["revision"], format!("{V} {hash}"));
    // Unsigned: no .signatures.json.
    assert!(!read_tar(&out).iter().any(|(n, _)| n == ".signatures.json"));
}

#[test]
fn a_certified_bundle_verifies_independently_and_not_once_any_file_changes() {
    let env = certified_store();
    // 2.0.0, a newer draft, is passed over.
    assert_eq!(latest_certified(&env).as_deref(), Some(V));
    let keys = env.dir.path().join("bundle-keys");
    std::fs::create_dir_all(&keys).unwrap();
    make_keys(&keys);
    for (key, alg) in [("rsa", "RS256"), ("ec", "ES256"), ("ec1", "ES256")] {
        let out = env.dir.path().join(format!("{key}.tar.gz"));
        let pem = keys.join(format!("{key}.pem"));
        let public = keys.join(format!("{key}.pub"));
        let doc = json(
            &env,
            &[
                "bundle",
                "export",
                V,
                "--out",
                out.to_str().unwrap(),
                "--signing-key",
                pem.to_str().unwrap(),
                "--keyid",
                "gavel-prod",
                "--scope",
                "write",
            ],
        );
        assert_eq!(doc["certification"], "certified");
        assert_eq!(doc["signed"]["alg"], alg);
        let m = manifest(&out);
        assert_eq!(m["metadata"]["gavel"]["certification"]["certified"], true);
        assert_eq!(
            m["metadata"]["gavel"]["signoffs"].as_array().unwrap().len(),
            4
        );
        assert_eq!(m["rego_version"], 1);
        // The stored manifest's roots, kept.
        assert_eq!(m["roots"], serde_json::json!(["gfr"]));

        let (ok, said) = check(&[
            "verify",
            out.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
            "--scope",
            "write",
        ]);
        assert!(ok, "{key}: {said}");
        if opa_reference() {
            assert!(said.contains("OPA's io.jwt agrees"), "{said}");
        }
        // The wrong scope, and another key, are refused.
        let (ok, said) = check(&[
            "verify",
            out.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
        ]);
        assert!(!ok && said.contains("scope mismatch"), "{said}");
        let other = keys.join(if key == "rsa" { "ec.pub" } else { "ec1.pub" });
        let other = if key == "ec1" {
            keys.join("ec.pub")
        } else {
            other
        };
        let (ok, said) = check(&[
            "verify",
            out.to_str().unwrap(),
            "--key",
            other.to_str().unwrap(),
            "--scope",
            "write",
        ]);
        assert!(!ok, "{key} verified with another key: {said}");

        // Any file changed by one byte (in JSON, one that changes the
        // value: OPA hashes JSON canonically) fails, naming the file.
        let files = read_tar(&out);
        for i in 0..files.len() {
            if files[i].0 == ".signatures.json" {
                continue;
            }
            let mut changed = files.clone();
            let is_rego = changed[i].0.ends_with(".rego");
            let bytes = &mut changed[i].1;
            let at = if is_rego {
                bytes.len() / 2
            } else {
                let quote = bytes.iter().position(|b| *b == b'"').unwrap();
                quote
                    + 1
                    + bytes[quote + 1..]
                        .iter()
                        .position(u8::is_ascii_alphanumeric)
                        .unwrap()
            };
            bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
            let tampered = env.dir.path().join("tampered.tar.gz");
            write_tar(&tampered, &changed);
            let (ok, said) = check(&[
                "verify",
                tampered.to_str().unwrap(),
                "--key",
                public.to_str().unwrap(),
                "--scope",
                "write",
            ]);
            assert!(!ok, "{key}: {} changed, yet verified: {said}", files[i].0);
            assert!(
                said.contains(&format!("{}: digest mismatch", files[i].0)),
                "{said}"
            );
        }
        // A file added, or one taken away, fails too.
        let mut added = files.clone();
        added.insert(0, ("extra/data.json".into(), b"{}".to_vec()));
        let tampered = env.dir.path().join("tampered.tar.gz");
        write_tar(&tampered, &added);
        let (ok, said) = check(&[
            "verify",
            tampered.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
            "--scope",
            "write",
        ]);
        assert!(
            !ok && said.contains("not included in bundle signature"),
            "{said}"
        );
        let fewer: Vec<_> = files
            .iter()
            .filter(|(n, _)| n != "gfr/config/data.json")
            .cloned()
            .collect();
        write_tar(&tampered, &fewer);
        let (ok, said) = check(&[
            "verify",
            tampered.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
            "--scope",
            "write",
        ]);
        assert!(
            !ok && said.contains("not found in the target bundle"),
            "{said}"
        );
    }
}

#[test]
fn the_digest_is_stable_across_exports_and_changes_with_the_certification() {
    let env = gfr_store();
    let out = env.dir.path().join("b.tar.gz");
    let args = [
        "bundle",
        "export",
        V,
        "--out",
        out.to_str().unwrap(),
        "--unsigned",
        "--allow-uncertified",
    ];
    let a = json_at(&env, T0, &args, 0);
    let b = json_at(&env, "2026-11-21T10:00:00Z", &args, 0);
    assert_eq!(a["digest"], b["digest"]);
    prepare(&env, V);
    let (code, o, e) = sign_as(&env, V, "legal");
    assert_eq!(code, 0, "{o}{e}");
    let c = json_at(&env, T0, &args, 0);
    assert_ne!(a["digest"], c["digest"]);
}

#[test]
fn an_exported_bundle_evaluates_in_opa_as_gavel_eval_does() {
    if !opa_reference() {
        eprintln!(
            "SKIPPED: the reference OPA engine is absent (.opa-ref/): run scripts/opa_reference_setup.sh"
        );
        return;
    }
    let env = certified_store();
    let out = env.dir.path().join("b.tar.gz");
    let (code, o, e) = run(
        &env,
        &[
            "bundle",
            "export",
            V,
            "--out",
            out.to_str().unwrap(),
            "--unsigned",
        ],
    );
    assert_eq!(code, 0, "{o}{e}");
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(
            samples().join("gfr-procurement/1.1.0/cases/procurement_awards.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut outcomes = std::collections::BTreeSet::new();
    for (i, case) in cases.as_array().unwrap().iter().enumerate() {
        let input = env.dir.path().join(format!("in{i}.json"));
        std::fs::write(&input, case["input"].to_string()).unwrap();
        let gavel = json(
            &env,
            &[
                "eval",
                V,
                "gfr/procurement/decision",
                "--input",
                input.to_str().unwrap(),
            ],
        );
        let (ok, said) = check(&[
            "eval",
            out.to_str().unwrap(),
            "--query",
            "data.gfr.procurement.decision",
            "--input",
            input.to_str().unwrap(),
        ]);
        assert!(ok, "{said}");
        let opa: Value = serde_json::from_str(said.trim()).unwrap();
        assert_eq!(
            opa, gavel["result"],
            "case {i} ({}): OPA and gavel eval differ",
            case["name"]
        );
        outcomes.insert(opa["outcome"].as_str().unwrap().to_string());
    }
    // The cases reach more than one outcome: the comparison means something.
    assert!(outcomes.len() > 1, "{outcomes:?}");
}

/// `gavel serve --bundle-signing-key`: OPA's bundle plugin polls
/// `GET /bundles/NAME` and gets the latest certified version, signed as
/// `gavel bundle export` signs it, then `304` while it holds that one;
/// nothing certified is 404; the store is read live (a version certified
/// while the server runs is served on the next poll).
#[test]
fn serve_gives_opas_bundle_plugin_the_latest_certified_version() {
    use std::io::{BufRead, BufReader};
    let env = gfr_store();
    prepare(&env, V);
    let keys = env.dir.path().join("bundle-keys");
    std::fs::create_dir_all(&keys).unwrap();
    make_keys(&keys);
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_gavel"));
    server
        .env_remove("GAVEL_DB")
        .env_remove("GAVEL_SERVE_TOKEN")
        .env("GAVEL_KEY_DIR", env.dir.path().join("keys"))
        .env("GAVEL_CONFIG", env.dir.path().join("config.toml"))
        .env("GAVEL_ALLOWED_SIGNERS", trust(&env))
        .arg("--db")
        .arg(&env.db)
        .args(["serve", "--listen", "127.0.0.1:0", "--no-auth"])
        .arg("--bundle-signing-key")
        .arg(keys.join("rsa.pem"))
        .args(["--bundle-keyid", "gavel-prod"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = server.spawn().expect("gavel serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("listening on "))
        .expect("a listening line");
    assert!(
        listening.contains("GET /bundles/NAME signed"),
        "{listening}"
    );
    let base = listening
        .split("listening on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str, etag: Option<&str>| {
        let mut req = agent.get(format!("{base}{path}"));
        if let Some(e) = etag {
            req = req.header("If-None-Match", e);
        }
        let mut resp = req.call().expect("answered");
        let status = resp.status().as_u16();
        let etag = resp
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_string());
        let body = resp.body_mut().read_to_vec().unwrap_or_default();
        (status, etag, body)
    };

    // Nothing certified yet: 404, and OPA keeps what it has.
    let (status, _, body) = get("/bundles/gfr-procurement", None);
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("no certified version"));

    certify_all(&env, V);
    let (status, etag, body) = get("/bundles/gfr-procurement", None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let etag = etag.expect("an ETag");
    let file = env.dir.path().join("served.tar.gz");
    std::fs::write(&file, &body).unwrap();
    let m = manifest(&file);
    assert!(
        m["revision"]
            .as_str()
            .unwrap()
            .starts_with("gfr-procurement@1.1.0 sha256:"),
        "{m}"
    );
    assert_eq!(m["metadata"]["gavel"]["certification"]["certified"], true);
    let (ok, said) = check(&[
        "verify",
        file.to_str().unwrap(),
        "--key",
        keys.join("rsa.pub").to_str().unwrap(),
    ]);
    assert!(ok, "{said}");

    // OPA polls again with the ETag it holds: 304, no body.
    let (status, again, body) = get("/bundles/gfr-procurement", Some(&etag));
    assert_eq!(status, 304);
    assert_eq!(again.as_deref(), Some(etag.as_str()));
    assert!(body.is_empty());
    // Another ETag (an older bundle): the whole bundle again.
    let (status, _, body) = get("/bundles/gfr-procurement", Some("\"sha256:old\""));
    assert_eq!(status, 200);
    assert!(!body.is_empty());
    // A name with no version at all.
    let (status, _, _) = get("/bundles/nothing-here", None);
    assert_eq!(status, 404);

    let _ = child.kill();
    let _ = child.wait();
}
