//! `gavel certify`: refused until the evidence holds, signed with Ed25519,
//! certified only when every required role signed, never inherited, and
//! `--verify` catches a tampered signature or a changed file.

mod certify_support;

use certify_support::*;

#[test]
fn refused_until_replays_agree_then_accepted_on_the_suite_run_at_signing() {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    let sign = ["certify", v, "--role", "legal", "--signer", "A. Rao"];

    // No replay: refused, exit 1, and nothing recorded (not even a test run).
    let doc = json_at(&env, T0, &sign, 1);
    assert_eq!(doc["result"], "refused");
    let reasons = doc["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{doc}");
    assert!(
        reasons[0]
            .as_str()
            .unwrap()
            .contains("none was replayed under it"),
        "{doc}"
    );
    let versions = json(&env, &["versions"]);
    assert_eq!(versions[0]["certification"]["status"], "draft");
    assert!(json(&env, &["test", v, "--format", "json"]).is_object());

    // A replay under its own version: accepted. The suite runs at the moment
    // of signing (run #2, after the one above) and the sign-off binds it.
    let (code, _, _) = run(&env, &["replay", "--all", "--version", v]);
    assert_eq!(code, 0);
    let (code, out, err) = run(&env, &sign);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("signed off gfr-procurement@1.0.0 as legal: sign-off #1 by A. Rao at 2026-11-20T09:00:00.000Z (set by GAVEL_NOW, not the clock)"),
        "{out}"
    );
    assert!(
        out.contains("test run      #2 (run now): 56 tests, 56 passed"),
        "{out}"
    );
    assert!(
        out.contains("150 of 150 decisions replayed under it"),
        "{out}"
    );
    assert!(
        out.contains("status: ◐ partially signed (missing compliance, audit, security)"),
        "{out}"
    );
}

#[test]
fn failing_tests_low_coverage_and_diverged_replays_are_refused() {
    let env = Env::new();
    let policy = "package p\n\n# METADATA\n# entrypoint: true\n# custom:\n#   citation: Demo Act s.1\ndecision := {\"outcome\": \"BLOCK\"} if input.n > 10\n\ndecision := {\"outcome\": \"APPROVE\"} if input.n <= 10\n\n# METADATA\n# custom:\n#   citation: Demo Act s.2\nunused if {\n\tinput.x == 1\n\tinput.y == 2\n\tinput.z == 3\n}\n";
    let failing = "package p_test\n\nimport data.p\n\ntest_block if p.decision.outcome == \"BLOCK\" with input as {\"n\": 11}\n\ntest_wrong if p.decision.outcome == \"BLOCK\" with input as {\"n\": 1}\n";
    let passing = "package p_test\n\nimport data.p\n\ntest_block if p.decision.outcome == \"BLOCK\" with input as {\"n\": 11}\n\ntest_approve if p.decision.outcome == \"APPROVE\" with input as {\"n\": 1}\n";
    let b1 = env.bundle("p/1.0.0", &[("p.rego", policy), ("p_test.rego", failing)]);
    let b2 = env.bundle("p/1.0.1", &[("p.rego", policy), ("p_test.rego", passing)]);
    let b3 = env.bundle(
        "p/1.0.2",
        &[
            ("p.rego", policy),
            ("p_test.rego", passing),
            (
                ".manifest",
                r#"{"metadata": {"certification": {"coverage_threshold": 30, "roles": ["legal"]}}}"#,
            ),
        ],
    );
    for b in [&b1, &b2, &b3] {
        let (code, _, err) = run(&env, &["import", b.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
    // A failing test.
    let (code, _, _) = run(&env, &["test", "p@1.0.0", "--coverage"]);
    assert_eq!(code, 1);
    let (code, out, _) = run(
        &env,
        &["certify", "p@1.0.0", "--role", "legal", "--signer", "x"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has 1 failing and 0 erroring tests"), "{out}");
    // Passing, but the unused rule leaves coverage under 90 %.
    let (code, _, _) = run(&env, &["test", "p@1.0.1", "--coverage"]);
    assert_eq!(code, 0);
    let (code, out, _) = run(
        &env,
        &["certify", "p@1.0.1", "--role", "legal", "--signer", "x"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("under the 90% threshold (from Gavel's defaults)"),
        "{out}"
    );
    // The bundle's manifest sets its own threshold and roles: accepted, and
    // one role certifies it.
    let (code, _, _) = run(&env, &["test", "p@1.0.2", "--coverage"]);
    assert_eq!(code, 0);
    let (code, out, err) = run(
        &env,
        &["certify", "p@1.0.2", "--role", "legal", "--signer", "x"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("status: ✓ certified"), "{out}");
    let (code, _, err) = run(
        &env,
        &["certify", "p@1.0.2", "--role", "audit", "--signer", "x"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("required roles (from .manifest metadata.certification): legal"),
        "{err}"
    );

    // Decisions whose recorded results the version does not give: DIVERGED.
    let log = env.dir.path().join("log.jsonl");
    std::fs::write(
        &log,
        r#"{"decision_id":"d1","path":"p/decision","input":{"n":1},"result":{"outcome":"BLOCK"},"timestamp":"2026-11-20T10:00:00Z","bundles":{"p":{"revision":"1.0.1"}}}"#,
    )
    .unwrap();
    let (code, _, err) = run(&env, &["decisions", "import", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let config = env.dir.path().join("config.toml");
    std::fs::write(&config, "[certification]\ncoverage_threshold = 10\n").unwrap();
    let (code, _, _) = run(&env, &["replay", "--all", "--version", "p@1.0.1"]);
    assert_eq!(code, 1);
    let (code, out, _) = run(
        &env,
        &["certify", "p@1.0.1", "--role", "legal", "--signer", "x"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has 1 DIVERGED"), "{out}");
    assert!(
        !out.contains("under the"),
        "the config's threshold applies: {out}"
    );
    assert!(out.contains("(threshold 10%)"), "{out}");
}

#[test]
fn certified_only_with_every_role_and_never_inherited() {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    for (i, role) in ROLES.iter().enumerate() {
        let status = &json(&env, &["versions"])[0]["certification"];
        assert_eq!(
            status["status"],
            if i == 0 { "draft" } else { "partially_signed" },
            "{status}"
        );
        assert_eq!(status["missing_roles"].as_array().unwrap().len(), 4 - i);
        let (code, out, err) = run(
            &env,
            &[
                "certify",
                v,
                "--role",
                role,
                "--signer",
                &format!("{role} officer"),
                "--key",
                &role_key(&env, role),
                "--statement",
                "fit to enforce",
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
        let (_, text, _) = run(&env, &["versions"]);
        let line = text.lines().nth(1).unwrap();
        if i < 3 {
            assert!(line.contains("◐ missing"), "{text}");
            assert!(!line.contains(role), "{role} signed: {text}");
        } else {
            assert!(line.contains("✓ certified"), "{text}");
        }
    }
    let versions = json(&env, &["versions"]);
    assert_eq!(versions[0]["certification"]["status"], "certified");
    // A later version never inherits it.
    assert_eq!(versions[1]["version"], "1.1.0");
    assert_eq!(versions[1]["certification"]["status"], "draft");
    // Nor does an identical copy stored under another version.
    let copy = env.dir.path().join("copy/1.0.1");
    copy_dir(&samples().join("gfr-procurement/1.0.0"), &copy);
    let (code, _, err) = run(
        &env,
        &[
            "import",
            copy.to_str().unwrap(),
            "--name",
            "gfr-procurement",
            "--version",
            "1.0.1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let versions = json(&env, &["versions"]);
    let copy = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["version"] == "1.0.1")
        .unwrap();
    assert_eq!(copy["content_hash"], versions[0]["content_hash"]);
    assert_eq!(copy["certification"]["status"], "draft");

    // A role signs once; an unknown role and an empty signer are bad input.
    let (code, _, err) = run(
        &env,
        &["certify", v, "--role", "legal", "--signer", "someone else"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("legal already signed off (sign-off #1"),
        "{err}"
    );
    let (code, _, err) = run(&env, &["certify", v, "--role", "ceo", "--signer", "x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("role 'ceo' is not one that signs off"),
        "{err}"
    );
    let (code, _, err) = run(&env, &["certify", v, "--role", "legal", "--signer", " "]);
    assert_eq!(code, 2);
    assert!(err.contains("--signer may not be empty"), "{err}");

    // Sign-offs are immutable in the store itself.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let e = conn
        .execute("UPDATE signoffs SET signer = 'mallory'", [])
        .unwrap_err();
    assert!(e.to_string().contains("sign-offs are immutable"), "{e}");
    assert!(conn.execute("DELETE FROM signoffs", []).is_err());
}

#[test]
fn roles_come_from_the_config_file() {
    let env = gfr_store();
    std::fs::write(
        env.dir.path().join("config.toml"),
        "[certification]\nroles = [\"legal\"]\n[certification.bundles.gfr-procurement]\nroles = [\"legal\", \"compliance\"]\n",
    )
    .unwrap();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    for role in ["legal", "compliance"] {
        let (code, _, err) = sign_as(&env, v, role);
        assert_eq!(code, 0, "{err}");
    }
    let report = json(&env, &["certify", "--verify", v]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["certification"]["required_roles"],
        serde_json::json!(["legal", "compliance"])
    );
    std::fs::write(
        env.dir.path().join("config.toml"),
        "[certification]\nroles = \"legal\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&env, &["versions"]);
    assert_eq!(code, 2);
    assert!(err.contains("config.toml"), "{err}");
}

#[test]
fn signatures_verify_and_tampering_or_a_changed_file_fails_verify() {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    // Not certified yet: --verify fails and says why.
    let (code, out, _) = run(&env, &["certify", "--verify", v]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("sign-offs  none"), "{out}");
    assert!(out.contains("verify FAILED: not signed by legal"), "{out}");
    certify_all(&env, v);
    let (code, out, err) = run(&env, &["certify", "--verify", v]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("files      ✓ every stored file hashes"),
        "{out}"
    );
    assert_eq!(out.matches(" valid\n").count(), 4, "{out}");
    assert!(out.contains("verify OK"), "{out}");

    // Keys are OpenSSH private keys, private, with the public key beside.
    let key = env.dir.path().join("keys/legal.key");
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(
        text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"),
        "{text}"
    );
    let public = std::fs::read_to_string(env.dir.path().join("keys/legal.pub")).unwrap();
    assert!(public.starts_with("ssh-ed25519 AAAA"), "{public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let report = json(&env, &["certify", "--verify", v]);
    let signoffs = report["certification"]["signoffs"].as_array().unwrap();
    let keys: std::collections::BTreeSet<&str> = signoffs
        .iter()
        .map(|s| s["public_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 4, "one key per role");
    // The payload binds what the issue names.
    let payload: serde_json::Value =
        serde_json::from_str(signoffs[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        payload["content_hash"],
        report["certification"]["content_hash"]
    );
    assert_eq!(payload["role"], "legal");
    assert_eq!(payload["signer"], "legal officer");
    assert_eq!(payload["signed_at"], "2026-11-20T09:00:00.000Z");
    assert_eq!(payload["clock"], "GAVEL_NOW");
    assert_eq!(payload["key"], signoffs[0]["public_key"]);
    assert_eq!(payload["requirements"]["separation_of_duties"], true);
    assert_eq!(payload["test_run"]["id"], signoffs[0]["test_run_id"]);
    assert_eq!(payload["test_run"]["pass"], 56);
    assert_eq!(payload["replay"]["deterministic"], 150);
    assert_eq!(payload["version"], v);

    // A tampered signature.
    sql(
        &env,
        "DROP TRIGGER signoffs_no_update;
         UPDATE signoffs SET signature = substr(signature, 1, 200) || (CASE substr(signature, 201, 1) WHEN 'A' THEN 'B' ELSE 'A' END) || substr(signature, 202)
         WHERE role = 'audit';",
    );
    let (code, out, _) = run(&env, &["certify", "--verify", v]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("✗ #3 audit") && out.contains("INVALID: the s"),
        "{out}"
    );
    assert!(
        out.contains("status: ◐ partially signed (missing audit); 1 invalid sign-off"),
        "{out}"
    );
    let (_, text, _) = run(&env, &["versions"]);
    assert!(text.contains("◐ missing audit (1 invalid)"), "{text}");
    // `gavel verify` checks every sign-off too.
    let (code, out, _) = run(&env, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "sign-off INVALID: gfr-procurement@1.0.0: sign-off #3 (audit, audit officer): the s"
        ),
        "{out}"
    );

    // A payload edited to say something else fails too (the signature no
    // longer covers it), and so does a column that no longer matches it.
    sql(
        &env,
        "UPDATE signoffs SET payload = replace(payload, 'security officer', 'mallory') WHERE role = 'security';
         UPDATE signoffs SET signer = 'mallory' WHERE role = 'compliance';",
    );
    let report = json_at(&env, T0, &["certify", "--verify", v], 1);
    let bad: Vec<&str> = report["certification"]["signoffs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["valid"] == false)
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(bad, ["compliance", "audit", "security"], "{report}");
    let problems = report["certification"]["signoffs"][1]["problems"].to_string();
    assert!(
        problems
            .contains("the stored signer 'mallory' differs from the signed 'compliance officer'"),
        "{problems}"
    );

    // A changed file, in a fresh store certified whole.
    let env = gfr_store();
    prepare(&env, v);
    certify_all(&env, v);
    assert_eq!(run(&env, &["certify", "--verify", v]).0, 0);
    sql(
        &env,
        "DROP TRIGGER blobs_no_update;
         UPDATE blobs SET text = replace(text, '250000', '2500000')
         WHERE sha256 IN (SELECT f.sha256 FROM files f JOIN versions v ON v.id = f.version_id
                          WHERE f.path = 'gfr/procurement/params.rego' AND v.version = '1.0.0');",
    );
    let (code, out, _) = run(&env, &["certify", "--verify", v]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("files      ✗ CHANGED: gfr-procurement@1.0.0: gfr/procurement/params.rego: its text no longer matches its hash"),
        "{out}"
    );
    assert!(out.contains("verify FAILED: the files changed"), "{out}");
    // And a new sign-off on an altered version is refused.
    std::fs::write(
        env.dir.path().join("config.toml"),
        "[certification]\nroles = [\"legal\", \"ciso\"]\n",
    )
    .unwrap();
    let (code, out, _) = sign_as(&env, v, "ciso");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the stored version is altered"), "{out}");
}

#[test]
fn key_file_option_and_a_readable_key_is_refused() {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    let key = env.dir.path().join("elsewhere/my.key");
    // A named key that does not exist is an error, never a new key.
    let (code, _, err) = run(
        &env,
        &[
            "certify",
            v,
            "--role",
            "legal",
            "--signer",
            "x",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such key file"), "{err}");
    assert!(!key.exists());
    let (code, out, err) = run(&env, &["keys", "new", "--out", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("SHA256:"), "{out}");
    // A key the allowed_signers file does not list is refused, with the
    // line that would trust it.
    let (code, out, _) = run(
        &env,
        &[
            "certify",
            v,
            "--role",
            "legal",
            "--signer",
            "x",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("untrusted signer: the key SHA256:") && out.contains("is not listed in"),
        "{out}"
    );
    assert!(
        out.contains("x namespaces=\"gavel-signoff\" ssh-ed25519 "),
        "{out}"
    );
    let (code, out, err) = run(
        &env,
        &[
            "keys",
            "trust",
            "x",
            "--roles",
            "legal,audit",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&env, &["keys", "new", "--out", key.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    let (code, out, err) = run(
        &env,
        &[
            "certify",
            v,
            "--role",
            "legal",
            "--signer",
            "x",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (code, _, err) = run(
            &env,
            &[
                "certify",
                v,
                "--role",
                "audit",
                "--signer",
                "x",
                "--key",
                key.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 2);
        assert!(err.contains("chmod 600"), "{err}");
    }
}

#[test]
fn a_sign_off_signs_the_log_checkpoint_it_saw_and_the_packet_carries_the_latest() {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    let (code, out, err) = run(
        &env,
        &["certify", v, "--role", "legal", "--signer", "A. Rao"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let packet = json(&env, &["packet", v]);
    let origin = packet["log"]["origin"].as_str().unwrap();
    assert!(origin.starts_with("gavel/decisions/"), "{packet}");
    assert_eq!(packet["log"]["decisions"], 300);
    let payload: serde_json::Value =
        serde_json::from_str(packet["signoffs"][0]["payload"].as_str().unwrap()).unwrap();
    let seen = payload["log_checkpoint"].as_str().unwrap();
    assert!(seen.starts_with(&format!("{origin}\n300\n")), "{seen}");
    assert!(seen.contains("\n\n— gavel-log "), "{seen}");
    let latest = packet["log"]["checkpoint"]["note"].as_str().unwrap();
    assert!(latest.starts_with(&format!("{origin}\n300\n")), "{latest}");
    let (code, md, _) = run(&env, &["packet", v, "--format", "md"]);
    assert_eq!(code, 0);
    assert!(
        md.contains("## 8. Decision log") && md.contains("— gavel-log "),
        "{md}"
    );
}

#[test]
fn a_filtered_replay_is_no_evidence_and_errors_block() {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    let (code, out, err) = run(&env, &["test", v, "--coverage"]);
    assert_eq!(code, 0, "{out}{err}");
    // Only the ESCALATE decisions replayed: the others are not evidence.
    let (code, out, err) = run(
        &env,
        &["replay", "--all", "--version", v, "--outcome", "ESCALATE"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let sign = ["certify", v, "--role", "legal", "--signer", "A. Rao"];
    let (code, out, _) = run(&env, &sign);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("covered") && out.contains("a filtered replay"),
        "{out}"
    );
    // A whole replay is, even when a filtered one comes after it.
    let (code, _, _) = run(&env, &["replay", "--all", "--version", v]);
    assert_eq!(code, 0);
    let (code, _, _) = run(
        &env,
        &["replay", "--all", "--version", v, "--outcome", "BLOCK"],
    );
    assert_eq!(code, 0);
    let (code, out, err) = run(&env, &sign);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn sign_offs_and_exceptions_made_at_once_are_stored_once() {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    let spawn = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gavel"))
            .env_remove("GAVEL_DB")
            .env("GAVEL_KEY_DIR", env.dir.path().join("keys"))
            .env("GAVEL_CONFIG", env.dir.path().join("config.toml"))
            .env("GAVEL_ALLOWED_SIGNERS", trust(&env))
            .env("GAVEL_NOW", T0)
            .arg("--db")
            .arg(&env.db)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The key is made first (by `trust`), so the five do not race to make it.
    let children: Vec<_> = (0..5)
        .map(|i| {
            spawn(&[
                "certify",
                v,
                "--role",
                "legal",
                "--signer",
                &format!("signer {i}"),
            ])
        })
        .collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap_or(-1))
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    let report = json_at(&env, T0, &["certify", "--verify", v], 1);
    let legal = report["certification"]["signoffs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == "legal")
        .count();
    assert_eq!(legal, 1, "{report}");

    let id = decision_of(&env, v, "BLOCK");
    let children: Vec<_> = (0..5)
        .map(|i| {
            spawn(&[
                "exceptions",
                "add",
                &id,
                "--reason",
                &format!("reason {i}"),
                "--owner",
                "ops",
            ])
        })
        .collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap_or(-1))
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    let open = json(&env, &["exceptions", "list", "--open"]);
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
}

#[test]
fn required_roles_come_from_the_hashed_manifest_not_its_stored_copy() {
    let env = Env::new();
    let b = env.bundle(
        "m/1.0.0",
        &[
            (
                ".manifest",
                r#"{"revision": "1.0.0", "metadata": {"certification": {"roles": ["legal", "audit"], "coverage_threshold": 0}}}"#,
            ),
            ("m.rego", "package m\n\nallow := true\n"),
            ("m_test.rego", "package m\n\ntest_allow if allow\n"),
        ],
    );
    let (code, _, err) = run(&env, &["import", b.to_str().unwrap(), "--name", "m"]);
    assert_eq!(code, 0, "{err}");
    let v = "m@1.0.0";
    let (code, out, err) = run(&env, &["test", v, "--coverage"]);
    assert_eq!(code, 0, "{out}{err}");
    // Someone with the file lowers the roles in the stored copy.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute_batch(
        r#"DROP TRIGGER versions_no_update;
           UPDATE versions SET manifest = '{"revision":"1.0.0","metadata":{"certification":{"roles":["legal"]}}}';"#,
    )
    .unwrap();
    drop(conn);
    let (code, out, err) = run(&env, &["certify", v, "--role", "legal", "--signer", "x"]);
    assert_eq!(code, 0, "{out}{err}");
    let report = json_at(&env, T0, &["certify", "--verify", v], 1);
    assert_eq!(
        report["certification"]["required_roles"],
        serde_json::json!(["legal", "audit"]),
        "{report}"
    );
    assert_eq!(report["ok"], false);
}

#[test]
fn a_config_that_lowers_the_requirements_says_so_in_the_status_line() {
    let env = gfr_store();
    std::fs::write(
        env.dir.path().join("config.toml"),
        "[certification]\nroles = [\"legal\"]\ncoverage_threshold = 10\n",
    )
    .unwrap();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    let (code, _, err) = run(&env, &["certify", v, "--role", "legal", "--signer", "x"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&env, &["certify", "--verify", v]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("requirements LOWERED: config file [certification] drops the role(s) compliance, audit, security that Gavel's defaults requires")
            && out.contains("lowers the coverage threshold to 10% from the 90%"),
        "{out}"
    );
    let (_, md, _) = run(&env, &["packet", v, "--format", "md"]);
    assert!(md.contains("requirements LOWERED"), "{md}");
}
