//! `gavel packet`: the certification packet of a sample version in JSON,
//! Markdown and HTML, the HTML rendered by headless Chromium.

mod certify_support;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use certify_support::*;

const LATER: &str = "2026-11-23T09:00:00Z";

/// gfr-procurement 1.0.0 certified by four roles (one with a hostile
/// statement), 1.1.0 tested only; an overdue and a resolved exception.
fn certified_store() -> Env {
    let env = gfr_store();
    let v = "gfr-procurement@1.0.0";
    prepare(&env, v);
    for role in ROLES {
        let statement = if role == "legal" {
            "Implements GFR 2017 Rules 144-173 <script>alert(1)</script> | *bold*"
        } else {
            "fit to enforce"
        };
        let (code, _, err) = run(
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
                statement,
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, _) = run(&env, &["test", "gfr-procurement@1.1.0", "--coverage"]);
    assert_eq!(code, 0);
    let a = decision_of(&env, v, "BLOCK");
    let b = decision_of(&env, v, "ESCALATE");
    for (id, owner) in [(&a, "R. Iyer"), (&b, "S. Menon")] {
        let (code, _, err) = run(
            &env,
            &[
                "exceptions",
                "add",
                id,
                "--reason",
                "emergency waiver",
                "--owner",
                owner,
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, _) = run(
        &env,
        &[
            "exceptions",
            "resolve",
            "2",
            "--note",
            "closed after review",
        ],
    );
    assert_eq!(code, 0);
    env
}

#[test]
fn packet_json_holds_every_section() {
    let env = certified_store();
    let p = json_at(&env, LATER, &["packet", "gfr-procurement@1.0.0"], 0);
    assert_eq!(p["packet"], "gavel-certification-packet/1");
    assert_eq!(p["generated_at"], "2026-11-23T09:00:00.000Z");
    assert_eq!(p["version"]["name"], "gfr-procurement");
    assert_eq!(p["version"]["intact"], true);
    assert!(
        p["version"]["content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let files = p["files"].as_array().unwrap();
    assert_eq!(files.len(), 13);
    assert!(
        files
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64)
    );
    assert_eq!(p["certification"]["status"], "certified");
    assert_eq!(p["matrix"]["tested"], true);
    assert!(p["matrix"]["rows"].as_array().unwrap().len() > 20);
    assert!(p["matrix"]["rows"][0]["tests"].as_u64().is_some());
    assert_eq!(p["test_run"]["pass"], 56);
    assert_eq!(p["test_run"]["meets_threshold"], true);
    assert_eq!(p["test_run"]["failures"], serde_json::json!([]));
    assert_eq!(p["replay"]["decisions"], 150);
    assert_eq!(p["replay"]["batch"]["deterministic"], 150);
    assert!(p.get("diff").is_none(), "1.0.0 has no previous version");
    let signoffs = p["signoffs"].as_array().unwrap();
    assert_eq!(signoffs.len(), 4);
    assert!(signoffs.iter().all(|s| s["valid"] == true));
    assert_eq!(p["exceptions"]["open"], 1);
    assert_eq!(p["exceptions"]["overdue"], 1);
    assert_eq!(p["exceptions"]["resolved"], 1);
    assert_eq!(p["exceptions"]["items"][0]["state"], "overdue");
    assert_eq!(p["open_findings"], serde_json::json!([]));

    // The next version: a draft, with the diff against 1.0.0 and the
    // missing replay as an open finding.
    let p = json_at(&env, LATER, &["packet", "gfr-procurement@1.1.0"], 0);
    assert_eq!(p["certification"]["status"], "draft");
    assert_eq!(p["diff"]["previous"], "gfr-procurement@1.0.0");
    assert_eq!(p["diff"]["summary"]["constants_changed"], 2);
    assert!(
        p["diff"]["constants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["after"] == "300000"),
        "{}",
        p["diff"]
    );
    assert!(
        p["open_findings"][0]
            .as_str()
            .unwrap()
            .contains("none was replayed"),
        "{p}"
    );
}

#[test]
fn packet_markdown_reads_and_escapes() {
    let env = certified_store();
    let (code, md, err) = run_at(&env, LATER, &["packet", "gfr-procurement@1.0.0"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.starts_with("# Certification packet: gfr-procurement@1.0.0\n"),
        "{md}"
    );
    for heading in [
        "## 1. Version",
        "### Files (13)",
        "## 2. Regulation mapping matrix",
        "## 3. Test run",
        "## 4. Replay evidence",
        "## 5. Changes since the previous version",
        "## 6. Sign-offs",
        "## 7. Exceptions",
    ] {
        assert!(md.contains(heading), "{heading}: {md}");
    }
    assert!(md.contains("**Status: ✓ certified**"), "{md}");
    assert!(
        md.contains("| `gfr/procurement/params.rego` | module |"),
        "{md}"
    );
    assert!(md.contains("| GFR 2017 | Rule 173 |"), "{md}");
    assert!(md.contains("56 tests, 56 passed, 0 failed"), "{md}");
    assert!(
        md.contains("150 of 150 stored decisions replayed under this version"),
        "{md}"
    );
    assert!(md.contains("| 1 | legal | legal officer |"), "{md}");
    assert_eq!(md.matches("✓ valid").count(), 4, "{md}");
    assert!(
        md.contains("1 open (1 overdue), 1 resolved (0 late)"),
        "{md}"
    );
    assert!(md.contains("! OVERDUE"), "{md}");
    // The hostile statement cannot open a tag or break the table. (Inside
    // a fenced block, the signed payload a reader saves for ssh-keygen, it
    // is code text, byte for byte, which no renderer runs.)
    let outside_fences: String = md.split("```").step_by(2).collect::<Vec<_>>().join("");
    assert!(!outside_fences.contains("<script>"), "{md}");
    assert!(
        md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*bold\\*"),
        "{md}"
    );
    // --out with .md writes the same document.
    let out = env.dir.path().join("packet.md");
    let (code, said, _) = run_at(
        &env,
        LATER,
        &[
            "packet",
            "gfr-procurement@1.0.0",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert!(said.contains("(Markdown,"), "{said}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), md);
    // --format md and html belong to packet alone.
    let (code, _, err) = run(&env, &["--format", "html", "versions"]);
    assert_eq!(code, 2);
    assert!(err.contains("for `gavel packet`"), "{err}");
}

#[test]
fn packet_html_is_self_contained_and_renders_in_chromium() {
    let env = certified_store();
    let out = env.dir.path().join("packet.html");
    let (code, said, err) = run_at(
        &env,
        LATER,
        &[
            "packet",
            "gfr-procurement@1.0.0",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("(HTML,"), "{said}");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("@media print"), "readable when printed");
    assert!(
        !html.contains("<script"),
        "no script, not even the hostile statement"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    // --format html to stdout gives the same page.
    let (code, stdout, _) = run_at(
        &env,
        LATER,
        &["--format", "html", "packet", "gfr-procurement@1.0.0"],
    );
    assert_eq!(code, 0);
    assert_eq!(stdout, html);

    let Some(chromium) = chromium() else {
        return;
    };
    let profile = env.dir.path().join("chromium-profile");
    let url = format!("file://{}", out.display());
    let rendered = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &url])
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        rendered.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    for text in [
        "<title>Certification packet: gfr-procurement@1.0.0</title>",
        "Status: ✓ certified",
        "1. Version",
        "2. Regulation mapping matrix",
        "3. Test run",
        "4. Replay evidence",
        "5. Changes since the previous version",
        "6. Sign-offs",
        "7. Exceptions",
        "legal officer",
        "Rule 173",
        "DETERMINISTIC 150",
        "! OVERDUE",
    ] {
        assert!(
            dom.contains(text),
            "{text} not in the rendered page:\n{dom}"
        );
    }
    // The hostile statement is text in the page, not an element.
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{dom}"
    );
    // And it prints: a PDF of more than one page's worth of bytes.
    let pdf = env.dir.path().join("packet.pdf");
    let printed = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    assert!(
        bytes.len() > 20_000,
        "a near-empty PDF: {} bytes",
        bytes.len()
    );
}

/// Headless Chromium: the distribution's, installed once (quietly) when
/// missing; `None`, with the reason printed, when it cannot be had.
fn chromium() -> Option<&'static str> {
    static FOUND: OnceLock<Option<&'static str>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let find = || {
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .into_iter()
                .find(|p| Path::new(p).exists())
        };
        if let Some(p) = find() {
            return Some(p);
        }
        let installed = Command::new("sh")
            .args([
                "-c",
                "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1",
            ])
            .status()
            .is_ok_and(|s| s.success());
        match find() {
            Some(p) => Some(p),
            None => {
                println!(
                    "skipping the headless Chromium check: chromium is not installed and \
                     `apt-get install chromium` {}",
                    if installed { "did not provide it" } else { "failed" }
                );
                None
            }
        }
    })
}
