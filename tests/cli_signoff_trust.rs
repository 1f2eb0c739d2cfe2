//! Who signed, on what evidence: sign-offs are SSH signatures that OpenSSH
//! verifies from the packet, counted only for keys an allowed_signers file
//! (outside the store) trusts for the role, one role per signer; the
//! evidence is the suite run again, not a row. Each forgery is made as an
//! attacker would (their own trust file or config, triggers dropped) and
//! caught by the verifier's `certify --verify` and `gavel verify`.

mod certify_support;

use std::path::Path;
use std::process::Command;

use certify_support::*;

const V: &str = "gfr-procurement@1.0.0";

/// Runs with another allowed_signers file or config than the tests' own.
fn run_with(
    env: &Env,
    signers: &Path,
    config: Option<&Path>,
    args: &[&str],
) -> (i32, String, String) {
    let mut c = cmd(env, T0, args);
    c.env("GAVEL_ALLOWED_SIGNERS", signers);
    if let Some(config) = config {
        c.env("GAVEL_CONFIG", config);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ssh_keygen() -> Command {
    // .ci/run installs OpenSSH where it is missing; a machine without it
    // fails here, loudly, rather than skipping the check.
    Command::new("ssh-keygen")
}

/// The text between the n-th pair of ```text fences after `marker`.
fn fenced_after(md: &str, marker: &str, n: usize) -> String {
    let rest = &md[md.find(marker).unwrap_or_else(|| panic!("{marker}: {md}"))..];
    rest.split("```text\n")
        .nth(n + 1)
        .and_then(|b| b.split("\n```").next())
        .unwrap_or_else(|| panic!("block {n} after {marker}"))
        .to_string()
}

#[test]
fn ssh_keygen_verifies_a_sign_off_from_the_packet_and_one_flipped_byte_fails() {
    let env = gfr_store();
    prepare(&env, V);
    let (code, out, err) = sign_as(&env, V, "legal");
    assert_eq!(code, 0, "{out}{err}");
    let (code, md, err) = run(&env, &["packet", V, "--format", "md"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains(&format!(
            "Trusted signers: {}",
            trust(&env).display().to_string().replace('_', "\\_")
        )),
        "{md}"
    );
    let marker = "Sign-off #1 (legal)";
    let command = fenced_after(&md, marker, 0);
    let payload = fenced_after(&md, marker, 1);
    let signature = fenced_after(&md, marker, 2);
    assert!(command.starts_with("ssh-keygen -Y verify -f "), "{command}");
    let dir = env.dir.path().join("check");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("payload.json"), format!("{payload}\n")).unwrap();
    std::fs::write(dir.join("signoff.sig"), format!("{signature}\n")).unwrap();
    // The packet's own command, as a shell runs it.
    let out = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(&dir)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{command}: {said}");
    assert!(
        said.contains("Good \"gavel-signoff\" signature for legal officer"),
        "{said}"
    );
    // One flipped byte anywhere in the payload fails OpenSSH's check.
    let bytes = format!("{payload}\n").into_bytes();
    for i in [0, bytes.len() / 3, bytes.len() / 2, bytes.len() - 2] {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        std::fs::write(dir.join("payload.json"), &bad).unwrap();
        let out = ssh_keygen()
            .args(["-Y", "verify", "-f"])
            .arg(trust(&env))
            .args(["-I", "legal officer", "-n", "gavel-signoff", "-s"])
            .arg(dir.join("signoff.sig"))
            .stdin(std::fs::File::open(dir.join("payload.json")).unwrap())
            .output()
            .unwrap();
        assert!(!out.status.success(), "byte {i} flipped still verifies");
    }
}

#[test]
fn a_sign_off_by_a_key_the_verifier_does_not_trust_does_not_count() {
    let env = gfr_store();
    prepare(&env, V);
    // The attacker trusts fresh keys of their own, one per role, and signs.
    let theirs = env.dir.path().join("attacker_signers");
    let mut lines = String::new();
    for role in ROLES {
        let key = env.dir.path().join(format!("mallory/{role}.key"));
        let made = gavel::certify::SignerKey::create_new(&key).unwrap();
        lines.push_str(&format!(
            "{role}@mallory.example {} roles={role}\n",
            made.public_text()
        ));
    }
    std::fs::write(&theirs, lines).unwrap();
    for role in ROLES {
        let key = env.dir.path().join(format!("mallory/{role}.key"));
        let (code, out, err) = run_with(
            &env,
            &theirs,
            None,
            &["certify", V, "--role", role, "--key", key.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, out, _) = run_with(&env, &theirs, None, &["certify", "--verify", V]);
    assert_eq!(code, 0, "under the attacker's own file it verifies: {out}");
    // The verifier's file does not list those keys: nothing counts.
    let (code, out, _) = run(&env, &["certify", "--verify", V]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("✗ #1 legal       legal@mallory.example")
            && out.contains("INVALID: untrusted signer: the key SHA256:")
            && out.contains("is not listed in"),
        "{out}"
    );
    assert!(
        out.contains("status: ○ draft; 4 invalid sign-offs"),
        "{out}"
    );
    let (code, out, _) = run(&env, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sign-off #2 (compliance, compliance@mallory.example): untrusted signer"),
        "{out}"
    );
    // No allowed_signers file at all: nobody is trusted, and it says so.
    let none = env.dir.path().join("no/such/allowed_signers");
    let (code, out, _) = run_with(&env, &none, None, &["certify", "--verify", V]);
    assert_eq!(code, 1);
    assert!(
        out.contains("no allowed_signers file at") && out.contains("no/such/allowed_signers"),
        "{out}"
    );
    let (_, md, _) = run_with(&env, &none, None, &["packet", V, "--format", "md"]);
    assert!(
        md.contains("Trusted signers: none; there is no allowed\\_signers file at"),
        "{md}"
    );
}

#[test]
fn one_key_or_one_principal_signs_one_role_of_a_version() {
    let env = gfr_store();
    prepare(&env, V);
    // One trusted key may sign any role under any name.
    let (code, out, err) = run(&env, &["certify", V, "--role", "legal", "--signer", "Ana"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = run(
        &env,
        &["certify", V, "--role", "audit", "--signer", "Someone Else"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "separation of duties: this key already signed gfr-procurement@1.0.0 as legal"
        ),
        "{out}"
    );
    // The attacker's config turns the rule off and signs the rest with the
    // same key under three more names...
    let lax = env.dir.path().join("lax.toml");
    std::fs::write(&lax, "[certification]\nseparation_of_duties = false\n").unwrap();
    for (role, name) in [("compliance", "Bo"), ("audit", "Cy"), ("security", "Di")] {
        let (code, out, err) = run_with(
            &env,
            &trust(&env),
            Some(&lax),
            &["certify", V, "--role", role, "--signer", name],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, out, _) = run_with(&env, &trust(&env), Some(&lax), &["certify", "--verify", V]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "requirements LOWERED: config file [certification] turns off the separation of duties"
        ),
        "{out}"
    );
    // ...but the verifier's own config keeps it: four names, one key.
    let (code, out, _) = run(&env, &["certify", "--verify", V]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("✗ #2 compliance  Bo")
            && out.contains("separation of duties: its key (SHA256:"),
        "{out}"
    );
    assert!(
        out.contains(
            "status: ◐ partially signed (missing compliance, audit, security); 3 invalid sign-offs"
        ),
        "{out}"
    );
    // One principal with two keys is one person too.
    let env = gfr_store();
    prepare(&env, V);
    let signers = env.dir.path().join("two_keys");
    let a = gavel::certify::SignerKey::create_new(&env.dir.path().join("k/a.key")).unwrap();
    let b = gavel::certify::SignerKey::create_new(&env.dir.path().join("k/b.key")).unwrap();
    std::fs::write(
        &signers,
        format!(
            "ana@example.com {} roles=legal\nana@example.com {} roles=audit\n",
            a.public_text(),
            b.public_text()
        ),
    )
    .unwrap();
    let (code, out, err) = run_with(
        &env,
        &signers,
        None,
        &[
            "certify",
            V,
            "--role",
            "legal",
            "--key",
            a.path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = run_with(
        &env,
        &signers,
        None,
        &[
            "certify",
            V,
            "--role",
            "audit",
            "--key",
            b.path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("separation of duties: ana@example.com already signed"),
        "{out}"
    );
}

#[test]
fn roles_expiry_and_malformed_trust_files() {
    let env = gfr_store();
    prepare(&env, V);
    let key = gavel::certify::SignerKey::create_new(&env.dir.path().join("k/ana.key")).unwrap();
    let signers = env.dir.path().join("signers");
    // Allowed legal only, and only until before T0.
    std::fs::write(
        &signers,
        format!(
            "# the team\nana@example.com valid-before=\"20261101Z\" {} roles=legal\n",
            key.public_text()
        ),
    )
    .unwrap();
    let k = key.path.to_str().unwrap();
    let (code, out, _) = run_with(
        &env,
        &signers,
        None,
        &["certify", V, "--role", "audit", "--key", k],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("untrusted signer:"), "{out}");
    let (code, out, _) = run_with(
        &env,
        &signers,
        None,
        &["certify", V, "--role", "legal", "--key", k],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("signers:2: the key expired at 2026-11-01T00:00:00.000Z (valid-before)"),
        "{out}"
    );
    // Malformed lines: file:line, exit 2, from every command that reads it.
    std::fs::write(&signers, "# ok\nana@example.com roles=legal\n").unwrap();
    for args in [
        &["certify", "--verify", V][..],
        &["versions"][..],
        &["verify"][..],
    ] {
        let (code, _, err) = run_with(&env, &signers, None, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("{}:2: ", signers.display())),
            "{args:?}: {err}"
        );
    }
    std::fs::write(
        &signers,
        format!("ana@example.com roles=\"legal\" {}\n", key.public_text()),
    )
    .unwrap();
    let (code, _, err) = run_with(&env, &signers, None, &["versions"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("signers:1: unknown option 'roles=\"legal\"'"),
        "{err}"
    );
    // A key file of the wrong kind is a clear error.
    let wrong = env.dir.path().join("k/wrong.key");
    std::fs::write(&wrong, "not a key\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, _, err) = run(
        &env,
        &[
            "certify",
            V,
            "--role",
            "legal",
            "--key",
            wrong.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("neither an OpenSSH private key nor an Ed25519 key in PKCS#8 PEM"),
        "{err}"
    );
}

#[test]
fn a_key_made_by_ssh_keygen_signs_and_a_zeroed_test_run_row_certifies_nothing() {
    let env = Env::new();
    let policy = "package p\n\nimport rego.v1\n\ndecision := {\"outcome\": \"BLOCK\"} if input.n > 10\n\ndecision := {\"outcome\": \"APPROVE\"} if input.n <= 10\n";
    let failing = "package p_test\n\nimport rego.v1\nimport data.p\n\ntest_block if p.decision.outcome == \"BLOCK\" with input as {\"n\": 11}\n\ntest_wrong if p.decision.outcome == \"BLOCK\" with input as {\"n\": 1}\n";
    let b = env.bundle(
        "p/1.0.0",
        &[
            ("p.rego", policy),
            ("p_test.rego", failing),
            (
                ".manifest",
                r#"{"metadata": {"certification": {"coverage_threshold": 0, "roles": ["legal"]}}}"#,
            ),
        ],
    );
    let (code, _, err) = run(&env, &["import", b.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run(&env, &["test", "p@1.0.0", "--coverage"]);
    assert_eq!(code, 1);
    // The attacker makes the recorded run say all passed.
    sql(
        &env,
        "DROP TRIGGER IF EXISTS test_runs_no_update; UPDATE test_runs SET fail = 0, pass = total;",
    );
    // A user's own key, made by OpenSSH, trusted for legal.
    let key = env.dir.path().join("ssh/id_ed25519");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    let out = ssh_keygen()
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ana", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let signers = env.dir.path().join("signers");
    let entry: Vec<&str> = public.split_whitespace().take(2).collect();
    std::fs::write(
        &signers,
        format!("ana@example.com {} roles=legal\n", entry.join(" ")),
    )
    .unwrap();
    let k = key.to_str().unwrap();
    // The suite runs at signing: the failing test refuses it.
    let (code, out, _) = run_with(
        &env,
        &signers,
        None,
        &["certify", "p@1.0.0", "--role", "legal", "--key", k],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has 1 failing and 0 erroring tests"), "{out}");
    // The packet shows the suite as it runs, and the doctored row.
    let (code, md, _) = run_with(
        &env,
        &signers,
        None,
        &["packet", "p@1.0.0", "--format", "md"],
    );
    assert_eq!(code, 0);
    assert!(md.contains("2 tests, 1 passed, 1 failed"), "{md}");
    assert!(
        md.contains("1 is stored as 2 tests: 2 passed, 0 failed"),
        "{md}"
    );
    let (code, out, _) = run_with(&env, &signers, None, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("1 is stored as 2 tests: 2 passed, 0 failed"),
        "{out}"
    );

    // Fixed, the same OpenSSH key signs, and ssh-keygen checks it.
    let passing = failing.replace("with input as {\"n\": 1}", "with input as {\"n\": 12}");
    std::fs::write(b.join("p_test.rego"), passing).unwrap();
    let (code, _, err) = run(&env, &["import", b.to_str().unwrap(), "--version", "1.0.1"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_with(
        &env,
        &signers,
        None,
        &["certify", "p@1.0.1", "--role", "legal", "--key", k],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("status: ✓ certified"), "{out}");
    let report = json_of(run_with(
        &env,
        &signers,
        None,
        &["--format", "json", "certify", "--verify", "p@1.0.1"],
    ));
    let s = &report["certification"]["signoffs"][0];
    let dir = env.dir.path();
    std::fs::write(dir.join("payload.json"), s["payload"].as_str().unwrap()).unwrap();
    std::fs::write(dir.join("signoff.sig"), s["signature"].as_str().unwrap()).unwrap();
    let out = ssh_keygen()
        .args(["-Y", "verify", "-f"])
        .arg(&signers)
        .args(["-I", "ana@example.com", "-n", "gavel-signoff", "-s"])
        .arg(dir.join("signoff.sig"))
        .stdin(std::fs::File::open(dir.join("payload.json")).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // Now a doctored row under a sign-off: the signed counts and the suite
    // run again both disagree with it.
    sql(
        &env,
        "UPDATE test_runs SET pass = 0 WHERE id = (SELECT max(id) FROM test_runs);",
    );
    let (code, out, _) = run_with(&env, &signers, None, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("stored counts differ from the signed ones"),
        "{out}"
    );
}

fn json_of((code, out, err): (i32, String, String)) -> serde_json::Value {
    assert!(code == 0 || code == 1, "{out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
}

#[test]
fn a_clock_set_back_cannot_date_a_sign_off_before_its_evidence() {
    let env = gfr_store();
    // Replayed now (T0)...
    prepare(&env, V);
    // ...signed "in 2001".
    let key = role_key(&env, "legal");
    let (code, out, _) = run_at(
        &env,
        "2001-01-01T00:00:00Z",
        &[
            "certify",
            V,
            "--role",
            "legal",
            "--signer",
            "legal officer",
            "--key",
            &key,
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the time of signing (2001-01-01T00:00:00.000Z, from GAVEL_NOW) is before the replay evidence"),
        "{out}"
    );
    // A sign-off made under GAVEL_NOW says so wherever it is shown.
    let (code, out, _) = sign_as(&env, V, "legal");
    assert_eq!(code, 0, "{out}");
    let (_, md, _) = run(&env, &["packet", V, "--format", "md"]);
    assert!(md.contains("(set by GAVEL\\_NOW, not the clock)"), "{md}");
}

#[test]
fn a_sign_off_no_longer_holds_when_its_log_or_its_rules_are_rewritten() {
    let env = gfr_store();
    prepare(&env, V);
    certify_all(&env, V);
    assert_eq!(run(&env, &["certify", "--verify", V]).0, 0);
    // A citation rewritten in the derived rows: the packet and the matrix
    // would show it; --verify re-derives them from the hashed source.
    sql(
        &env,
        "UPDATE citations SET regulation = 'FAKE ACT 2099'
         WHERE rule_id = (SELECT r.id FROM rules r JOIN versions v ON v.id = r.version_id
                          WHERE v.version = '1.0.0' AND r.name = 'budget_insufficient' LIMIT 1)
           AND seq = 0;",
    );
    let (code, out, _) = run(&env, &["certify", "--verify", V]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("source     ✗ DIFFERS:") && out.contains("FAKE ACT 2099"),
        "{out}"
    );
    assert!(
        out.contains("verify FAILED: stored rows differ from the source"),
        "{out}"
    );
    let (_, md, _) = run(&env, &["packet", V, "--format", "md"]);
    assert!(
        md.contains("✗ The stored rows differ from what the hashed source gives now"),
        "{md}"
    );

    // A decision the sign-offs' replay evidence covered, rewritten with its
    // leaf hash: every sign-off signed a checkpoint the log no longer starts
    // with.
    let env = gfr_store();
    prepare(&env, V);
    certify_all(&env, V);
    sql(
        &env,
        "DROP TRIGGER decisions_no_update;
         UPDATE decisions SET leaf_hash = randomblob(32) WHERE seq = 290;",
    );
    let (code, out, _) = run(&env, &["certify", "--verify", V]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the decision log no longer begins with the 300 decisions it saw"),
        "{out}"
    );
    assert!(out.contains("; 4 invalid sign-offs"), "{out}");
}

#[test]
fn an_exception_cannot_be_resolved_before_it_was_logged() {
    let env = gfr_store();
    let id = decision_of(&env, V, "BLOCK");
    let (code, _, err) = run_at(
        &env,
        "2026-11-20T09:00:00Z",
        &[
            "exceptions",
            "add",
            &id,
            "--reason",
            "waiver",
            "--owner",
            "ops",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The clock set back 23 days: refused, and nothing is stored.
    let (code, _, err) = run_at(
        &env,
        "2026-10-28T09:00:00Z",
        &["exceptions", "resolve", "1", "--note", "done"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("exception #1 was logged at 2026-11-20T09:00:00.000Z; a resolution at 2026-10-28T09:00:00.000Z (from GAVEL_NOW) would precede it"),
        "{err}"
    );
    let open = json(&env, &["exceptions", "list", "--open"]);
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    // The store refuses it too, whatever writes it.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let e = conn
        .execute(
            "INSERT INTO exception_resolutions (exception_id, note, resolved_at) VALUES (1, 'x', '2001-01-01T00:00:00.000Z')",
            [],
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("a resolution never precedes its exception"),
        "{e}"
    );
    // Resolved at a time GAVEL_NOW set: it says so.
    let (code, out, _) = run_at(
        &env,
        "2026-11-21T09:00:00Z",
        &["exceptions", "resolve", "1", "--note", "done"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("(time set by GAVEL_NOW)"), "{out}");
    let list = json(&env, &["exceptions", "list"]);
    let e = &list[0];
    assert_eq!(e["resolution"]["clock"], "GAVEL_NOW", "{e}");
    assert_eq!(e["clock"], "GAVEL_NOW", "{e}");
}
