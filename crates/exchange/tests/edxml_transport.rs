//! edXML transport: request signatures (tampering, staleness, replay, malformed headers), the
//! HTTP sender against a small axum server that checks them, and the folder exchange.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use cqdt_app::{Clock, SystemClock};
use cqdt_exchange::edxml_transport::{
    DEFAULT_MAX_SKEW, EDXML_CONTENT_TYPE, EdxmlHttpSender, FolderExchange, HEADER_SIGNATURE,
    HEADER_SYSTEM_ID, HEADER_TIMESTAMP, ReplayGuard, SendOutcome, SignedHeaders, TransportError,
    export_file_name, sign_request, verify_request,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SYSTEM: &str = "vxp.tayninh.01";
const SECRET: &[u8] = b"A7TKG/r2gOKTEpe1MhWx6zw8O4JfzN0Kk";
/// 2026-11-27 21:55:00 UTC.
const NOW: i64 = 1_795_816_500_000_000;
const MIN: i64 = 60_000_000;

fn lookup(id: &str) -> Option<Vec<u8>> {
    (id == SYSTEM).then(|| SECRET.to_vec())
}

fn header_map(h: &SignedHeaders) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (k, v) in h.pairs() {
        m.insert(k, HeaderValue::from_str(v).unwrap());
    }
    m
}

fn package() -> Vec<u8> {
    "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><x>Công văn số 1</x></edXML>"
        .as_bytes()
        .to_vec()
}

#[test]
fn a_signed_request_verifies_and_changes_are_refused() {
    let body = package();
    let h = sign_request(SYSTEM, SECRET, NOW, EDXML_CONTENT_TYPE, &body);
    assert_eq!(h.signature.len(), 64);
    assert!(
        h.signature
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let m = header_map(&h);
    let ok = |m: &HeaderMap, body: &[u8], now: i64| {
        verify_request(m, body, lookup, now, DEFAULT_MAX_SKEW)
    };
    assert_eq!(ok(&m, &body, NOW).unwrap(), SYSTEM);
    // Clock differences inside the window are fine.
    assert!(ok(&m, &body, NOW + 4 * MIN).is_ok());
    assert!(ok(&m, &body, NOW - 4 * MIN).is_ok());

    // Tampered body.
    let mut tampered = body.clone();
    tampered[40] ^= 1;
    assert_eq!(ok(&m, &tampered, NOW), Err(TransportError::BadSignature));
    // Another content type, timestamp or system id under the same signature.
    let mut m2 = m.clone();
    m2.insert("content-type", HeaderValue::from_static("text/xml"));
    assert_eq!(ok(&m2, &body, NOW), Err(TransportError::BadSignature));
    let later = sign_request(SYSTEM, SECRET, NOW + 1_000_000, EDXML_CONTENT_TYPE, &body);
    let mut m3 = m.clone();
    m3.insert(
        HEADER_TIMESTAMP,
        HeaderValue::from_str(&later.timestamp).unwrap(),
    );
    assert_eq!(ok(&m3, &body, NOW), Err(TransportError::BadSignature));
    // Wrong secret.
    let forged = sign_request(SYSTEM, b"guess", NOW, EDXML_CONTENT_TYPE, &body);
    assert_eq!(
        ok(&header_map(&forged), &body, NOW),
        Err(TransportError::BadSignature)
    );
    // Unknown system.
    let other = sign_request("vxp.other", SECRET, NOW, EDXML_CONTENT_TYPE, &body);
    assert_eq!(
        ok(&header_map(&other), &body, NOW),
        Err(TransportError::UnknownSystem("vxp.other".into()))
    );

    // Stale: signed six minutes ago, or six minutes ahead.
    let old = sign_request(SYSTEM, SECRET, NOW - 6 * MIN, EDXML_CONTENT_TYPE, &body);
    assert!(matches!(
        ok(&header_map(&old), &body, NOW),
        Err(TransportError::StaleTimestamp { skew_secs: -360 })
    ));
    let ahead = sign_request(SYSTEM, SECRET, NOW + 6 * MIN, EDXML_CONTENT_TYPE, &body);
    assert!(matches!(
        ok(&header_map(&ahead), &body, NOW),
        Err(TransportError::StaleTimestamp { skew_secs: 360 })
    ));
    // The very same request replayed after the window: refused.
    let e = ok(&m, &body, NOW + 5 * MIN + 1_000_000).unwrap_err();
    assert!(matches!(e, TransportError::StaleTimestamp { .. }));
    assert_eq!(e.code(), "exchange.timestamp_stale");
    assert_eq!(e.http_status(), 401);

    // Replayed inside the window: the guard refuses the copy.
    let guard = ReplayGuard::new(DEFAULT_MAX_SKEW);
    assert!(guard.check(&h, NOW).is_ok());
    assert_eq!(guard.check(&h, NOW + MIN), Err(TransportError::Replayed));
    assert!(guard.check(&later, NOW + MIN).is_ok());
}

#[test]
fn malformed_headers_have_their_own_error() {
    let body = package();
    let h = sign_request(SYSTEM, SECRET, NOW, EDXML_CONTENT_TYPE, &body);
    let check = |m: &HeaderMap| verify_request(m, &body, lookup, NOW, DEFAULT_MAX_SKEW);
    for (name, value) in [
        (HEADER_TIMESTAMP, "2026-11-27T21:55:00Z"),
        (HEADER_TIMESTAMP, "28112026T045500"),
        (HEADER_SIGNATURE, "not-hex"),
        (HEADER_SIGNATURE, "abcd"),
    ] {
        let mut m = header_map(&h);
        m.insert(name, HeaderValue::from_str(value).unwrap());
        let e = check(&m).unwrap_err();
        assert!(
            matches!(e, TransportError::MalformedHeader { header, .. } if header == name),
            "{name}={value}: {e:?}"
        );
        assert_eq!(e.code(), "exchange.header_malformed");
        assert_eq!(e.http_status(), 400);
    }
    for name in [
        HEADER_SYSTEM_ID,
        HEADER_TIMESTAMP,
        HEADER_SIGNATURE,
        "content-type",
    ] {
        let mut m = header_map(&h);
        m.remove(name);
        assert!(matches!(
            check(&m),
            Err(TransportError::MalformedHeader { header, .. }) if header == name
        ));
    }
    // Repeated header.
    let mut m = header_map(&h);
    m.append(
        HEADER_SIGNATURE,
        HeaderValue::from_str(&h.signature).unwrap(),
    );
    assert!(matches!(
        check(&m),
        Err(TransportError::MalformedHeader { .. })
    ));
    // Upper-case hex is the same signature.
    let mut m = header_map(&h);
    m.insert(
        HEADER_SIGNATURE,
        HeaderValue::from_str(&h.signature.to_ascii_uppercase()).unwrap(),
    );
    assert!(check(&m).is_ok());
}

// ---- HTTP ----

#[derive(Default)]
struct Seen {
    bodies: Vec<Vec<u8>>,
    content_types: Vec<String>,
}

fn problem(status: StatusCode, code: &str) -> Response {
    let mut r = (
        status,
        serde_json::json!({"type": format!("urn:cqdt:error:{code}"), "title": "refused", "status": status.as_u16(), "code": code})
            .to_string(),
    )
        .into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

async fn server(seen: Arc<Mutex<Seen>>) -> String {
    let receive = {
        let seen = seen.clone();
        move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                // The receiving side reads its own clock.
                match verify_request(
                    &headers,
                    &body,
                    lookup,
                    SystemClock.now_us(),
                    DEFAULT_MAX_SKEW,
                ) {
                    Ok(_) => {
                        let mut s = seen.lock().unwrap();
                        s.bodies.push(body.to_vec());
                        s.content_types.push(
                            headers
                                .get("content-type")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string(),
                        );
                        (StatusCode::OK, "OK").into_response()
                    }
                    Err(e) => problem(StatusCode::from_u16(e.http_status()).unwrap(), e.code()),
                }
            }
        }
    };
    let app = Router::new()
        .route("/edxml", post(receive))
        .route(
            "/busy",
            post(|| async { (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response() }),
        )
        .route(
            "/invalid",
            post(|| async { problem(StatusCode::UNPROCESSABLE_ENTITY, "edxml.malformed") }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/moved",
            post(|| async {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [("location", "http://example.invalid/")],
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_sender_posts_signed_packages_and_classifies_answers() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let base = server(seen.clone()).await;
    let sender = EdxmlHttpSender::new(SYSTEM, SECRET, Duration::from_secs(2)).unwrap();
    let body = package();
    let now = SystemClock.now_us();

    assert_eq!(
        sender.send(&format!("{base}/edxml"), &body, now).await,
        SendOutcome::Delivered { status: 200 }
    );
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.bodies, vec![body.clone()]);
        assert_eq!(s.content_types, vec![EDXML_CONTENT_TYPE.to_string()]);
    }

    // Wrong secret: rejected with the peer's problem code.
    let forger = EdxmlHttpSender::new(SYSTEM, b"wrong", Duration::from_secs(2)).unwrap();
    match forger.send(&format!("{base}/edxml"), &body, now).await {
        SendOutcome::Rejected { status, code, .. } => {
            assert_eq!(status, Some(401));
            assert_eq!(code.as_deref(), Some("exchange.signature_invalid"));
        }
        other => panic!("{other:?}"),
    }
    // Unknown system: rejected.
    let stranger = EdxmlHttpSender::new("vxp.other", SECRET, Duration::from_secs(2)).unwrap();
    assert!(matches!(
        stranger.send(&format!("{base}/edxml"), &body, now).await,
        SendOutcome::Rejected { code: Some(c), .. } if c == "exchange.system_unknown"
    ));
    // Our clock ten minutes off: stale, worth retrying (the next attempt signs anew).
    assert!(matches!(
        sender
            .send(&format!("{base}/edxml"), &body, now - 10 * MIN)
            .await,
        SendOutcome::Retry {
            status: Some(401),
            ..
        }
    ));
    // The peer refuses the package itself: rejected with its code.
    assert!(matches!(
        sender.send(&format!("{base}/invalid"), &body, now).await,
        SendOutcome::Rejected { status: Some(422), code: Some(c), .. } if c == "edxml.malformed"
    ));
    // 5xx, timeouts and connection failures: retry.
    assert!(matches!(
        sender.send(&format!("{base}/busy"), &body, now).await,
        SendOutcome::Retry {
            status: Some(503),
            ..
        }
    ));
    let quick = EdxmlHttpSender::new(SYSTEM, SECRET, Duration::from_millis(300)).unwrap();
    assert!(matches!(
        quick.send(&format!("{base}/slow"), &body, now).await,
        SendOutcome::Retry { status: None, .. }
    ));
    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    assert!(matches!(
        sender
            .send(&format!("http://{closed}/edxml"), &body, now)
            .await,
        SendOutcome::Retry { status: None, .. }
    ));
    // Redirects are not followed; bad URLs are refused without a request.
    assert!(matches!(
        sender.send(&format!("{base}/moved"), &body, now).await,
        SendOutcome::Rejected {
            status: Some(307),
            ..
        }
    ));
    assert!(matches!(
        sender.send("ftp://example.invalid/x", &body, now).await,
        SendOutcome::Rejected { status: None, .. }
    ));
    assert!(EdxmlHttpSender::new("has space", SECRET, Duration::from_secs(1)).is_err());
    // Only the one good delivery arrived.
    assert_eq!(seen.lock().unwrap().bodies.len(), 1);
}

// ---- Folders ----

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cqdt-edxml-folder-{name}-{}-{}",
        std::process::id(),
        SystemClock.now_us()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn folder_export_writes_atomically_under_the_document_id() {
    let dir = temp_dir("export");
    let fx = FolderExchange::new(dir.join("out"), dir.join("in"));
    let id = "000.00.00.H53,2026/11/27,123/UBND-VP";
    let path = fx.export(&package(), id).unwrap();
    assert_eq!(path, dir.join("out").join(export_file_name(id)));
    assert_eq!(std::fs::read(&path).unwrap(), package());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Again: replaced, still one file, no temporary files.
    fx.export(b"<edXML/>", id).unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec![export_file_name(id)]);
    assert_eq!(std::fs::read(&path).unwrap(), b"<edXML/>");
    // Beyond the limit: refused.
    let small = FolderExchange {
        max_package_bytes: 4,
        ..fx.clone()
    };
    assert!(small.export(b"12345", "x").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inbox_polling_moves_files_to_processed_or_failed() {
    let dir = temp_dir("inbox");
    let inbox = dir.join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    let fx = FolderExchange::new(dir.join("out"), &inbox);
    std::fs::write(inbox.join("a.edxml"), b"<a/>").unwrap();
    std::fs::write(inbox.join("b.edxml"), b"<b/>").unwrap();
    std::fs::write(inbox.join("c.xml"), b"<c/>").unwrap();
    std::fs::write(inbox.join(".d.edxml"), b"being written").unwrap();
    std::fs::write(inbox.join("e.edxml.part"), b"being copied").unwrap();
    std::fs::write(inbox.join("notes.txt"), b"not a package").unwrap();
    // A huge (sparse) file beyond the default 50 MB limit: never read.
    let huge = std::fs::File::create(inbox.join("0-huge.edxml")).unwrap();
    huge.set_len(60 * 1024 * 1024).unwrap();
    drop(huge);

    let items = fx.poll_inbox(2).unwrap();
    let names: Vec<_> = items
        .iter()
        .map(|i| i.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["a.edxml", "b.edxml"]);
    assert_eq!(items[0].bytes, b"<a/>");
    let failed = inbox.join("failed");
    assert!(failed.join("0-huge.edxml").exists());
    let reason = std::fs::read_to_string(failed.join("0-huge.edxml.reason.txt")).unwrap();
    assert!(reason.contains("beyond the limit"), "{reason}");

    let done = fx.mark_done(&items[0], Ok(())).unwrap();
    assert_eq!(done, inbox.join("processed/a.edxml"));
    let bad = fx
        .mark_done(&items[1], Err("chữ ký không hợp lệ (bad signature)"))
        .unwrap();
    assert_eq!(bad, failed.join("b.edxml"));
    assert_eq!(
        std::fs::read_to_string(failed.join("b.edxml.reason.txt")).unwrap(),
        "chữ ký không hợp lệ (bad signature)\n"
    );
    assert!(!inbox.join("a.edxml").exists() && !inbox.join("b.edxml").exists());

    // The rest; hidden, partial and other files stay where they are.
    let items = fx.poll_inbox(10).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].bytes, b"<c/>");
    fx.mark_done(&items[0], Ok(())).unwrap();
    assert!(fx.poll_inbox(10).unwrap().is_empty());
    assert!(inbox.join(".d.edxml").exists());
    assert!(inbox.join("e.edxml.part").exists());
    assert!(inbox.join("notes.txt").exists());

    // The same name arriving again is kept beside the first, not over it.
    std::fs::write(inbox.join("a.edxml"), b"<a2/>").unwrap();
    let items = fx.poll_inbox(10).unwrap();
    let again = fx.mark_done(&items[0], Ok(())).unwrap();
    assert_eq!(again, inbox.join("processed/a-1.edxml"));
    assert_eq!(
        std::fs::read(inbox.join("processed/a.edxml")).unwrap(),
        b"<a/>"
    );

    // No inbox folder yet: nothing to do.
    let none = FolderExchange::new(dir.join("out"), dir.join("missing"));
    assert!(none.poll_inbox(10).unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
