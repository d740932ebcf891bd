//! Embedded signatures end to end with the real signing service, on SQLite and PostgreSQL: an
//! outgoing document drafted with a real PDF is signed (the signer's PAdES signature) and
//! issued (number and date stamped, the agency's signature over it); the issued PDF is the
//! document's file, `pdfsig` finds two valid signatures, `pdftotext` the number; the
//! verification API and page report it, a detached pair, and changed bytes; eight documents
//! issued at once get 01–08, each stamped with its own number.

use crate::{TestApp, problem};
use serde_json::{Value, json};
use std::process::Command;

type Session = (reqwest::Client, String);

/// A one-page PDF with a line of text (classic xref table).
fn real_pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 14 Tf 72 700 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

async fn post(s: &Session, url: String, body: Value) -> reqwest::Response {
    s.0.post(url)
        .header("x-csrf-token", &s.1)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ok(r: reqwest::Response, status: u16, what: &str) -> Value {
    let got = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{what}: {v}");
    v
}

async fn act(t: &TestApp, s: &Session, id: &str, action: &str) -> Value {
    let r = post(
        s,
        t.url(&format!("/api/v1/documents/{id}/{action}")),
        json!(null),
    )
    .await;
    ok(r, 200, &format!("{action} on {}", t.backend())).await
}

async fn get_json(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().await.unwrap()
}

async fn bytes_of(c: &reqwest::Client, url: String) -> Vec<u8> {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.bytes().await.unwrap().to_vec()
}

fn tool(name: &str) -> bool {
    let ok = Command::new(name).arg("-v").output().is_ok();
    if !ok {
        println!("skipped: {name} not installed");
    }
    ok
}

fn with_file<T>(pdf: &[u8], tag: &str, f: impl FnOnce(&std::path::Path) -> T) -> T {
    let path = std::env::temp_dir().join(format!("cqdt-pades-{}-{tag}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    let out = f(&path);
    let _ = std::fs::remove_file(&path);
    out
}

fn pdfsig(pdf: &[u8], tag: &str) -> Option<String> {
    if !tool("pdfsig") {
        return None;
    }
    Some(with_file(pdf, tag, |p| {
        let o = Command::new("pdfsig").arg(p).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
    }))
}

fn pdftotext(pdf: &[u8], tag: &str) -> Option<String> {
    if !tool("pdftotext") {
        return None;
    }
    Some(with_file(pdf, tag, |p| {
        let o = Command::new("pdftotext").arg(p).arg("-").output().unwrap();
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    }))
}

/// POST the verification form of the API (no login).
async fn verify_api(t: &TestApp, file: Option<Vec<u8>>, sig: Option<Vec<u8>>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    if let Some(f) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(f).file_name("van-ban.pdf"),
        );
    }
    if let Some(s) = sig {
        form = form.part(
            "signature",
            reqwest::multipart::Part::bytes(s).file_name("chu-ky.p7s"),
        );
    }
    TestApp::client()
        .post(t.url("/api/v1/signatures/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The city's clerk, leader and specialist (the one-stop officer granted the clerk's role).
async fn roles(t: &TestApp) -> (Session, Session, Session, String) {
    let admin = t.login("quantri@tayninh.demo").await;
    let city =
        get_json(&admin.0, t.url("/api/v1/agencies?q=000.00.20.H53")).await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
    let desk = t.login("motcua@tayninh.demo").await;
    let desk_id = get_json(&desk.0, t.url("/api/v1/me")).await["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = post(
        &admin,
        t.url(&format!("/api/v1/users/{desk_id}/grants")),
        json!({"role": "clerk", "agency_id": city}),
    )
    .await;
    ok(r, 201, "grant clerk").await;
    let clerk = t.login("motcua@tayninh.demo").await;
    let leader = t.login("lanhdao@tayninh.demo").await;
    let specialist = t.login("chuyenvien@tayninh.demo").await;
    (clerk, leader, specialist, city)
}

/// A draft with a real PDF taken to "signed"; its id.
async fn signed_draft(
    t: &TestApp,
    leader: &Session,
    specialist: &Session,
    city: &str,
    k: usize,
) -> String {
    let draft = json!({
        "agency_id": city, "type_code": "cong_van",
        "subject": format!("V/v thử nghiệm chữ ký số {k}"),
        "signer": {"full_name": "Phạm Thị Lãnh", "position": "Chủ tịch"},
        "drafting_unit": "VP",
        "recipients": [{"name": "Lưu: VT, VP"}]
    });
    let form = reqwest::multipart::Form::new()
        .part(
            "document",
            reqwest::multipart::Part::text(draft.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(real_pdf(&format!("Cong van thu nghiem {k}")))
                .file_name("du-thao.pdf"),
        );
    let r = specialist
        .0
        .post(t.url("/api/v1/documents/outgoing"))
        .header("x-csrf-token", &specialist.1)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let id = ok(r, 201, "draft").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    act(t, specialist, &id, "submit-review").await;
    act(t, leader, &id, "submit-signature").await;
    let v = act(t, leader, &id, "sign").await;
    assert_eq!(v["state"], "signed");
    id
}

#[tokio::test]
async fn issued_pdf_is_stamped_and_signed_twice_and_the_verifier_says_so() {
    for t in TestApp::all("pades_http").await {
        let b = t.backend();
        let (clerk, leader, specialist, city) = roles(&t).await;
        let id = signed_draft(&t, &leader, &specialist, &city, 1).await;
        let v = act(&t, &clerk, &id, "issue").await;
        assert_eq!(v["outgoing"]["number"], "01/UBND-VP", "{v}");
        let view = get_json(
            &clerk.0,
            t.url(&format!("/api/v1/documents/{id}?include=files")),
        )
        .await;
        let mut kinds: Vec<&str> = view["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                "agency_signature",
                "issued_pdf",
                "main",
                "signed_pdf",
                "signer_signature"
            ],
            "{b}"
        );
        let file_of = |kind: &str| {
            view["files"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["kind"] == kind)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let main = bytes_of(
            &clerk.0,
            t.url(&format!("/api/v1/documents/{id}/files/{}", file_of("main"))),
        )
        .await;
        let signer_p7s = bytes_of(
            &clerk.0,
            t.url(&format!(
                "/api/v1/documents/{id}/files/{}",
                file_of("signer_signature")
            )),
        )
        .await;
        // The document's file by default is the issued PDF.
        let issued = bytes_of(&clerk.0, t.url(&format!("/api/v1/documents/{id}/file"))).await;
        let issued_by_id = bytes_of(
            &clerk.0,
            t.url(&format!(
                "/api/v1/documents/{id}/files/{}",
                file_of("issued_pdf")
            )),
        )
        .await;
        assert_eq!(issued, issued_by_id);
        assert!(issued.starts_with(&main), "incremental updates only");

        // Ours: two valid signatures, the signer's covering an earlier revision.
        let report = t.signing.verify_any(&issued, None).unwrap();
        assert_eq!(report.signature_count(), 2, "{report:?}");
        assert!(report.all_valid(), "{report:?}");
        // Theirs.
        if let Some(out) = pdfsig(&issued, &format!("{b}-issued")) {
            println!("{out}");
            assert_eq!(
                out.matches("Signature Validation: Signature is Valid.")
                    .count(),
                2,
                "{out}"
            );
            assert!(out.contains("Phạm Thị Lãnh"), "{out}");
        }
        if let Some(text) = pdftotext(&issued, &format!("{b}-text")) {
            assert!(text.contains("Số: 01/UBND-VP"), "{text}");
            assert!(text.contains("Ban hành ngày"), "{text}");
            assert!(text.contains("Cong van thu nghiem 1"), "{text}");
        }
        // A changed byte (in the page's text, covered by both): both report invalid.
        let at = issued.windows(7).position(|w| w == b"thu ngh").unwrap();
        let mut tampered = issued.clone();
        tampered[at] = b'T';
        assert!(!t.signing.verify_any(&tampered, None).unwrap().all_valid());
        if let Some(out) = pdfsig(&tampered, &format!("{b}-tampered")) {
            assert_eq!(
                out.matches("Signature Validation: Signature is Valid.")
                    .count(),
                0,
                "{out}"
            );
        }

        // The verification API, without logging in.
        let r = verify_api(&t, Some(issued.clone()), None).await;
        let v = ok(r, 200, "verify issued").await;
        assert_eq!(v["kind"], "pdf");
        assert_eq!(v["all_valid"], true, "{v}");
        let sigs = v["signatures"].as_array().unwrap();
        assert_eq!(sigs.len(), 2, "{v}");
        let names: Vec<&str> = sigs
            .iter()
            .map(|s| s["signer_name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Phạm Thị Lãnh"), "{v}");
        assert!(
            names
                .iter()
                .any(|n| n.contains("Tây Ninh") && *n != "Phạm Thị Lãnh"),
            "{v}"
        );
        for s in sigs {
            assert_eq!(s["trusted"], true, "{s}");
            assert_eq!(s["intact"], true, "{s}");
            assert!(s["chain"].as_array().unwrap().len() >= 2, "{s}");
            assert!(s["serial"].as_str().is_some_and(|x| !x.is_empty()), "{s}");
            assert!(s["not_after"].is_string(), "{s}");
        }
        let person = sigs
            .iter()
            .find(|s| s["signer_name"] == "Phạm Thị Lãnh")
            .unwrap();
        assert_eq!(person["pdf"]["covers_whole_file"], false, "{person}");
        assert_eq!(person["pdf"]["revision"], 2, "{person}");
        let seal = sigs
            .iter()
            .find(|s| s["signer_name"] != "Phạm Thị Lãnh")
            .unwrap();
        assert_eq!(seal["pdf"]["covers_whole_file"], true, "{seal}");
        assert_eq!(seal["pdf"]["revision"], seal["pdf"]["revisions"], "{seal}");
        let r = verify_api(&t, Some(tampered.clone()), None).await;
        let v = ok(r, 200, "verify tampered").await;
        assert_eq!(v["all_valid"], false, "{v}");
        assert!(
            v["signatures"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["intact"] == false),
            "{v}"
        );
        // A detached pair: valid; the file changed: not.
        let r = verify_api(&t, Some(main.clone()), Some(signer_p7s.clone())).await;
        let v = ok(r, 200, "verify detached").await;
        assert_eq!(v["kind"], "detached");
        assert_eq!(v["all_valid"], true, "{v}");
        assert_eq!(v["signatures"][0]["signer_name"], "Phạm Thị Lãnh");
        let mut changed = main.clone();
        let last = changed.len() - 2;
        changed[last] ^= 1;
        let r = verify_api(&t, Some(changed), Some(signer_p7s.clone())).await;
        let v = ok(r, 200, "verify detached changed").await;
        assert_eq!(v["all_valid"], false, "{v}");
        assert_eq!(v["signatures"][0]["intact"], false, "{v}");
        // No file: a documented 400; not a PDF and no signature: 422.
        let r = verify_api(&t, None, Some(signer_p7s.clone())).await;
        problem(r, 400, "request.missing_field").await;
        let r = verify_api(&t, Some(b"plain text".to_vec()), None).await;
        problem(r, 422, "signature.unreadable").await;
        // An empty file chosen (it has a name): nothing to read, 422 like any unreadable file.
        let r = verify_api(&t, Some(Vec::new()), None).await;
        problem(r, 422, "signature.unreadable").await;
        let r = verify_api(&t, Some(main.clone()), Some(b"not a signature".to_vec())).await;
        problem(r, 422, "signature.unreadable").await;

        // The page, without logging in: the form, then the report of the issued PDF.
        let c = TestApp::client();
        let html = c
            .get(t.url("/xac-thuc-chu-ky"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("<label for=\"f-file\">Tệp cần kiểm tra</label>"),
            "{html}"
        );
        let csrf = html
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|x| x.split('"').next())
            .unwrap()
            .to_string();
        let form = reqwest::multipart::Form::new().text("_csrf", csrf).part(
            "file",
            reqwest::multipart::Part::bytes(issued.clone()).file_name("van-ban.pdf"),
        );
        let r = c
            .post(t.url("/xac-thuc-chu-ky"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("Tất cả chữ ký số đều hợp lệ."), "{html}");
        assert!(html.contains("Phạm Thị Lãnh"), "{html}");
        assert!(html.contains("Chữ ký 2/2: hợp lệ"), "{html}");
        // The document page links the issued PDF and the verification page.
        let page = clerk
            .0
            .get(t.url(&format!("/van-ban/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("href=\"/xac-thuc-chu-ky\""), "{page}");
        assert!(
            page.contains(&format!("/van-ban/{id}/tep/{}", file_of("issued_pdf"))),
            "{page}"
        );
        t.stop().await;
    }
}

/// Eight documents issued at once with the real signer: 01–08, each once, each issued PDF
/// stamped with its own number and signed over it.
#[tokio::test]
async fn concurrent_issues_stamp_unique_consecutive_numbers() {
    for t in TestApp::all("pades_concurrent").await {
        let (clerk, leader, specialist, city) = roles(&t).await;
        let mut ids = Vec::new();
        for k in 0..8 {
            ids.push(signed_draft(&t, &leader, &specialist, &city, k).await);
        }
        let mut tasks = Vec::new();
        for id in ids.clone() {
            let url = t.url(&format!("/api/v1/documents/{id}/issue"));
            let clerk = clerk.clone();
            tasks.push(tokio::spawn(async move {
                let r = clerk
                    .0
                    .post(url)
                    .header("x-csrf-token", &clerk.1)
                    .json(&json!(null))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let v: Value = r.json().await.unwrap();
                assert_eq!(status, 200, "{v}");
                v["outgoing"]["number"].as_str().unwrap().to_string()
            }));
        }
        let mut numbers = Vec::new();
        for task in tasks {
            numbers.push(task.await.unwrap());
        }
        numbers.sort();
        let expected: Vec<String> = (1..=8).map(|n| format!("{n:02}/UBND-VP")).collect();
        assert_eq!(numbers, expected, "{}", t.backend());
        for id in ids {
            let v = get_json(&clerk.0, t.url(&format!("/api/v1/documents/{id}"))).await;
            let number = v["outgoing"]["number"].as_str().unwrap().to_string();
            let issued = bytes_of(&clerk.0, t.url(&format!("/api/v1/documents/{id}/file"))).await;
            assert!(t.signing.verify_any(&issued, None).unwrap().all_valid());
            if let Some(text) = pdftotext(&issued, &format!("{}-{id}", t.backend())) {
                assert!(text.contains(&format!("Số: {number}")), "{number}: {text}");
            }
        }
        t.stop().await;
    }
}
