//! `gavel serve` as a real process on 127.0.0.1 receiving OPA-format gzip
//! uploads from real HTTP clients: 100,000 events from 8 clients while
//! another process reads the store, a SIGKILL mid-upload and the clients'
//! retries, 401 without the token, 413 for oversized and gzip-bomb bodies,
//! per-event rejections, and HTTPS.

mod serve_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serve_support::*;

fn gzip_best(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn report(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn hundred_thousand_events_from_eight_clients_none_lost_or_duplicated() {
    const CLIENTS: usize = 8;
    const BATCHES: usize = 100;
    const BATCH: usize = 1_000;
    let store = Store::new();
    let server = Server::start(&store, &[]);
    let url = server.url("/logs");
    let started = Instant::now();
    // The uploads, made before the clock matters: batch b holds ids b-0..
    let uploads: Vec<Vec<u8>> = (0..BATCHES)
        .map(|b| gzip_upload(&events(&format!("b{b}"), BATCH)))
        .collect();
    let uploads = Arc::new(uploads);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    // Another process reads the store while the uploads land.
    let reader = {
        let done = done.clone();
        let db = store.db.clone();
        let keys = store.dir.path().join("keys");
        std::thread::spawn(move || {
            let mut reads = 0;
            while done.load(Ordering::SeqCst) < CLIENTS {
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_gavel"))
                    .env("GAVEL_KEY_DIR", &keys)
                    .arg("--db")
                    .arg(&db)
                    .args(["decisions", "list", "--limit", "5"])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "gavel decisions list failed during the uploads: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                reads += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            reads
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (uploads, next, done, url) =
                (uploads.clone(), next.clone(), done.clone(), url.clone());
            std::thread::spawn(move || {
                let agent = client();
                let mut stored = 0u64;
                loop {
                    let b = next.fetch_add(1, Ordering::SeqCst);
                    if b >= BATCHES {
                        break;
                    }
                    let (status, body) =
                        post(&agent, &url, &uploads[b], true, Some(TOKEN)).expect("upload");
                    assert_eq!(status, 200, "batch {b}: {body}");
                    let r = report(&body);
                    assert_eq!(r["received"], BATCH, "batch {b}: {body}");
                    assert_eq!(r["rejected"], serde_json::json!([]), "batch {b}: {body}");
                    stored += r["stored"].as_u64().unwrap();
                }
                done.fetch_add(1, Ordering::SeqCst);
                stored
            })
        })
        .collect();
    let stored: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let reads = reader.join().unwrap();
    assert!(reads >= 1, "the store was never read during the uploads");
    assert_eq!(stored, (BATCHES * BATCH) as u64);
    // The writer leaves most of the checkpointing to a thread of its own,
    // and still restarts the WAL as it goes: mid-load it stays within a
    // few times the store's journal_size_limit (about 128 MB here, with
    // another process reading), where without the writer's own checkpoints
    // it grew with every upload (640 MB for these 100,000 events).
    let wal = std::fs::metadata(store.db.with_extension("db-wal")).map_or(0, |m| m.len());
    assert!(wal <= 256 << 20, "the WAL grew to {wal} bytes");
    // Uploaded again (OPA's retry of a batch whose answer it lost): stored
    // once all the same.
    let (status, body) = post(&client(), &url, &uploads[7], true, Some(TOKEN)).unwrap();
    assert_eq!(status, 200);
    let r = report(&body);
    assert_eq!(
        (r["stored"].as_u64(), r["already_stored"].as_u64()),
        (Some(0), Some(1_000))
    );
    let (status, out) = server.terminate();
    assert!(status.success(), "gavel serve exited {status}");
    assert!(
        out.contains("100000 decisions stored, 1000 already stored"),
        "{out}"
    );
    eprintln!(
        "100,000 events through gavel serve (debug build) in {:.1} s, {reads} reads meanwhile",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(store.counts(), (100_000, 100_000));
    let ids = store.ids();
    for b in [0, 42, 99] {
        for i in [0, 500, 999] {
            assert!(ids.contains(&format!("b{b}-{i}")), "b{b}-{i} is missing");
        }
    }
    store.assert_verifies(100_000);
}

#[test]
fn sigkill_mid_upload_then_the_clients_retry_and_each_event_is_stored_once() {
    const CLIENTS: usize = 4;
    const BATCHES: usize = 40;
    const BATCH: usize = 500;
    let store = Store::new();
    let server = Server::start(&store, &[]);
    let url = Arc::new(Mutex::new(server.url("/logs")));
    let uploads: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..BATCHES)
            .map(|b| gzip_upload(&events(&format!("k{b}"), BATCH)))
            .collect(),
    );
    // One upload is cut off halfway through its body when the server dies.
    let half = {
        use std::io::Write;
        let body = &uploads[BATCHES - 1];
        let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        write!(
            s,
            "POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(&body[..body.len() / 2]).unwrap();
        s.flush().unwrap();
        s
    };
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let retries = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (uploads, next, acknowledged, retries, url) = (
                uploads.clone(),
                next.clone(),
                acknowledged.clone(),
                retries.clone(),
                url.clone(),
            );
            std::thread::spawn(move || {
                let agent = client();
                loop {
                    let b = next.fetch_add(1, Ordering::SeqCst);
                    if b >= BATCHES {
                        break;
                    }
                    // As OPA does: the same batch again until a 2xx.
                    let deadline = Instant::now() + Duration::from_secs(60);
                    loop {
                        let target = url.lock().unwrap().clone();
                        match post(&agent, &target, &uploads[b], true, Some(TOKEN)) {
                            Ok((200, _)) => break,
                            Ok((status, body)) => panic!("batch {b}: {status} {body}"),
                            Err(_) => {
                                retries.fetch_add(1, Ordering::SeqCst);
                                assert!(Instant::now() < deadline, "batch {b}: no server");
                                std::thread::sleep(Duration::from_millis(50));
                            }
                        }
                    }
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // SIGKILL once some uploads are in, with others in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.load(Ordering::SeqCst) < 6 {
        assert!(Instant::now() < deadline, "no upload was acknowledged");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    let at_kill = acknowledged.load(Ordering::SeqCst);
    drop(half);
    let (stored_at_kill, _) = store.counts();
    assert!(
        stored_at_kill >= (at_kill * BATCH) as i64,
        "acknowledged uploads must be stored: {at_kill} acknowledged, {stored_at_kill} stored"
    );
    assert!(
        stored_at_kill < (BATCHES * BATCH) as i64,
        "the kill came after every upload"
    );
    let server = Server::start(&store, &[]);
    *url.lock().unwrap() = server.url("/logs");
    for c in clients {
        c.join().unwrap();
    }
    assert!(retries.load(Ordering::SeqCst) > 0, "no client had to retry");
    // The cut-off upload, sent again whole.
    let (status, body) = post(
        &client(),
        &server.url("/logs"),
        &uploads[BATCHES - 1],
        true,
        Some(TOKEN),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _) = server.terminate();
    assert!(status.success());
    let total = (BATCHES * BATCH) as i64;
    assert_eq!(store.counts(), (total, total));
    store.assert_verifies(total as usize);
}

#[test]
fn an_unauthenticated_upload_gets_401_and_stores_nothing() {
    let store = Store::new();
    let mut server = Server::start(&store, &[]);
    let url = server.url("/logs");
    let body = gzip_upload(&events("u", 10));
    let agent = client();
    for token in [None, Some("not-the-token-0123456789"), Some("")] {
        let (status, text) = post(&agent, &url, &body, true, token).unwrap();
        assert_eq!(status, 401, "token {token:?}: {text}");
        assert!(text.contains("error"), "{text}");
    }
    // Basic auth is no bearer token.
    let resp = agent
        .post(&url)
        .header("Authorization", &format!("Basic {TOKEN}"))
        .send(&body[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        resp.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"gavel\""
    );
    // Any path, not only the uploads'.
    let resp = agent.get(&server.url("/health")).call().unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(store.counts(), (0, 0));
    let resp = agent
        .get(&server.url("/health"))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    server.wait_for("listening on", Duration::from_secs(1));
    let (status, out) = server.terminate();
    assert!(status.success());
    assert!(out.contains("0 uploads, 0 decisions stored"), "{out}");
    assert_eq!(store.counts(), (0, 0));
    // Without a token it does not start at all, unless told --no-auth.
    let (code, _, err) = store.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no token"), "{err}");
    let (code, _, err) = store.run(&["serve", "--no-auth", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--no-auth on 0.0.0.0:0"), "{err}");
}

#[test]
fn oversized_and_gzip_bomb_bodies_get_413_and_the_server_goes_on() {
    let store = Store::new();
    let mut server = Server::start(&store, &["--max-body", "64K", "--max-decompressed", "1M"]);
    let url = server.url("/logs");
    let agent = client();
    // Past --max-body as sent: refused on its Content-Length.
    let big = serde_json::to_vec(&events("big", 400)).unwrap();
    assert!(big.len() > 64 << 10);
    let (status, text) = post(&agent, &url, &big, false, Some(TOKEN)).unwrap();
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("larger than 64 KiB"), "{text}");
    // The same without a Content-Length (chunked): refused as it is read.
    let resp = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .send(ureq::SendBody::from_reader(&mut &big[..]))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    // A gzip bomb: 32 MiB of zeros in about 32 KiB.
    let bomb = gzip_best(&vec![0u8; 32 << 20]);
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    let (status, text) = post(&agent, &url, &bomb, true, Some(TOKEN)).unwrap();
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("inflates past 1 MiB"), "{text}");
    // A valid array that inflates past the cap is refused whole too.
    let mut wide = events("wide", 2);
    wide[1]["input"]["note"] = serde_json::json!("x".repeat(2 << 20));
    let wide = serde_json::to_vec(&wide).unwrap();
    assert!(wide.len() > 1 << 20);
    let wide = gzip_best(&wide);
    assert!(wide.len() < 64 << 10, "{}", wide.len());
    let (status, _) = post(&agent, &url, &wide, true, Some(TOKEN)).unwrap();
    assert_eq!(status, 413);
    assert_eq!(store.counts(), (0, 0));
    // Still serving.
    let (status, text) = post(
        &agent,
        &url,
        &gzip_upload(&events("ok", 5)),
        true,
        Some(TOKEN),
    )
    .unwrap();
    assert_eq!(status, 200, "{text}");
    server.wait_for("413", Duration::from_secs(5));
    let (status, _) = server.terminate();
    assert!(status.success());
    assert_eq!(store.counts(), (5, 5));
}

#[test]
fn bad_events_are_rejected_by_index_and_the_good_ones_of_the_upload_kept() {
    let store = Store::new();
    let mut server = Server::start(&store, &["--logs-path", "/v1/logs"]);
    let agent = client();
    let mut batch = events("mix", 4);
    batch[1] = serde_json::json!({"path": "p", "input": {}});
    batch.insert(3, serde_json::json!("not an event"));
    let (status, text) = post(
        &agent,
        &server.url("/v1/logs"),
        &gzip_upload(&batch),
        true,
        Some(TOKEN),
    )
    .unwrap();
    assert_eq!(status, 200, "{text}");
    let r = report(&text);
    assert_eq!(r["received"], 5);
    assert_eq!(r["stored"], 3);
    assert_eq!(
        r["rejected"],
        serde_json::json!([
            {"index": 1, "reason": "missing decision_id"},
            {"index": 3, "reason": "not a JSON object"}
        ])
    );
    // The same id with other content is a conflict, named by index.
    let mut changed = events("mix", 1);
    changed[0]["result"] = serde_json::json!("other");
    let (status, text) = post(
        &agent,
        &server.url("/v1/logs"),
        serde_json::to_string(&changed).unwrap().as_bytes(),
        false,
        Some(TOKEN),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        text.contains(r#""index":0,"reason":"decision mix-0 is already stored with different content (conflict)""#),
        "{text}"
    );
    // A body that is no JSON array: 400, nothing stored.
    let (status, text) = post(
        &agent,
        &server.url("/v1/logs"),
        br#"[{"decision_id":"z","path":"p","input":{}}, {"decision_id": ]"#,
        false,
        Some(TOKEN),
    )
    .unwrap();
    assert_eq!(status, 400);
    assert!(text.contains("event 1 is not JSON"), "{text}");
    // Not gzip though it says so: 400; another encoding: 415.
    let (status, text) = post(&agent, &server.url("/v1/logs"), b"[]", true, Some(TOKEN)).unwrap();
    assert_eq!(status, 400, "{text}");
    let resp = agent
        .post(&server.url("/v1/logs"))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .header("Content-Encoding", "br")
        .send(&b"[]"[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    // The default path is not served when another is given.
    let (status, _) = post(&agent, &server.url("/logs"), b"[]", false, Some(TOKEN)).unwrap();
    assert_eq!(status, 404);
    let line = server.wait_for("event 3 rejected", Duration::from_secs(5));
    assert!(line.contains("not a JSON object"), "{line}");
    let (status, _) = server.terminate();
    assert!(status.success());
    assert_eq!(store.counts(), (3, 3));
    store.assert_verifies(3);
}

#[test]
fn https_with_a_certificate_serves_uploads() {
    let store = Store::new();
    let dir = store.dir.path();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (the test makes its certificate with it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = Server::start(
        &store,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let body = dir.join("upload.gz");
    std::fs::write(&body, gzip_upload(&events("tls", 3))).unwrap();
    let curl = |extra: &[&str]| {
        let out = std::process::Command::new("curl")
            .args(["-sS", "-X", "POST", "-H", "Content-Encoding: gzip"])
            .arg("--data-binary")
            .arg(format!("@{}", body.display()))
            .args(extra)
            .arg(server.url("/logs"))
            .output()
            .expect("curl");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let auth = format!("Authorization: Bearer {TOKEN}");
    // Without trusting the certificate, curl refuses the server.
    let (code, _) = curl(&["-H", &auth]);
    assert_ne!(code, Some(0));
    let (code, out) = curl(&["-H", &auth, "--cacert", cert.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(report(&out)["stored"], 3, "{out}");
    let (status, _) = server.terminate();
    assert!(status.success());
    // A key that is not the certificate's: refused before serving.
    let other = dir.join("other.pem");
    let made = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(made.status.success());
    let (code, _, err) = store.run(&[
        "serve",
        "--token-file",
        store.token_file().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        other.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("do not make a usable pair"), "{err}");
    assert_eq!(store.counts(), (3, 3));
}

#[test]
fn sigterm_finishes_the_uploads_in_flight_and_stores_exactly_what_it_answered() {
    const CLIENTS: usize = 4;
    const BATCH: usize = 500;
    let store = Store::new();
    let mut server = Server::start(&store, &[]);
    let url = server.url("/logs");
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, acknowledged, url) = (next.clone(), acknowledged.clone(), url.clone());
            std::thread::spawn(move || {
                let agent = client();
                let mut stored = 0u64;
                // Until the server is gone: every answer it gives is a 200.
                loop {
                    let b = next.fetch_add(1, Ordering::SeqCst);
                    let body = gzip_upload(&events(&format!("t{b}"), BATCH));
                    match post(&agent, &url, &body, true, Some(TOKEN)) {
                        Ok((200, text)) => {
                            stored += report(&text)["stored"].as_u64().unwrap();
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((status, text)) => panic!("batch {b}: {status} {text}"),
                        Err(_) => return stored,
                    }
                    assert!(b < 10_000, "the server never stopped");
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.load(Ordering::SeqCst) < 4 {
        assert!(Instant::now() < deadline, "no upload was acknowledged");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = server.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let at_signal = acknowledged.load(Ordering::SeqCst);
    let answered: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    // Uploads in flight at the signal were finished and answered.
    assert!(
        acknowledged.load(Ordering::SeqCst) > at_signal,
        "no upload was in flight at SIGTERM ({at_signal} answered before)"
    );
    server.wait_for("SIGTERM: no new connections", Duration::from_secs(30));
    let (status, out) = server.terminate_waited();
    assert!(status.success(), "gavel serve exited {status}: {out}");
    // What it stored is what it answered, no more and no less.
    let (stored, distinct) = store.counts();
    assert_eq!(stored as u64, answered, "{out}");
    assert_eq!(stored, distinct);
    assert!(
        out.contains(&format!("{answered} decisions stored")),
        "{out}"
    );
    store.assert_verifies(stored as usize);
}
