//! The documents API over HTTP, on SQLite and PostgreSQL, as the real roles: a paper incoming
//! document registered with its scan, assigned, handled and answered by an outgoing reply that
//! is drafted with its PDF, reviewed, signed and issued with its number; the registers as JSON,
//! PDF and XLSX; search, list, overdue and figures; the problem documents of refusals.

use crate::{TestApp, problem};
use serde_json::{Value, json};

type Session = (reqwest::Client, String);

async fn get(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "GET {url}: {v}");
    v
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

async fn act(t: &TestApp, s: &Session, id: &str, action: &str, body: Value) -> Value {
    let r = post(s, t.url(&format!("/api/v1/documents/{id}/{action}")), body).await;
    ok(r, 200, &format!("{action} on {}", t.backend())).await
}

fn multipart(document: Value, files: &[(&str, &str, Vec<u8>)]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().part(
        "document",
        reqwest::multipart::Part::text(document.to_string())
            .mime_str("application/json")
            .unwrap(),
    );
    for (part, name, bytes) in files {
        form = form.part(
            part.to_string(),
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    form
}

async fn agency(c: &reqwest::Client, t: &TestApp, identifier: &str) -> String {
    get(c, t.url(&format!("/api/v1/agencies?q={identifier}"))).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn me(t: &TestApp, s: &Session) -> String {
    get(&s.0, t.url("/api/v1/me")).await["user"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn bytes_of(c: &reqwest::Client, url: String) -> (String, Vec<u8>) {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (ct, r.bytes().await.unwrap().to_vec())
}

/// The text of a PDF through `pdftotext -layout`, or None when the tool is missing.
fn pdf_text(pdf: &[u8], tag: &str) -> Option<String> {
    let path = std::env::temp_dir().join(format!("cqdt-docapi-{}-{tag}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&path);
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => panic!("pdftotext failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => None,
    }
}

fn kinds(files: &Value) -> Vec<String> {
    files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn incoming_reply_signed_issued_registers_search_and_figures_over_http() {
    for t in TestApp::all("documents_http").await {
        let b = t.backend();
        let admin = t.login("quantri@tayninh.demo").await;
        let city = agency(&admin.0, &t, "000.00.20.H53").await;
        let health = agency(&admin.0, &t, "000.00.16.H53").await;

        // The demo has no clerk at the city: the administrator grants the one-stop officer
        // the clerk's role there (before the officer logs in).
        let desk = t.login("motcua@tayninh.demo").await;
        let desk_id = me(&t, &desk).await;
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
        let specialist_id = me(&t, &specialist).await;
        let outsider = t.login("vanthu@tayninh.demo").await;

        // 1. The clerk registers a paper công văn with its scan.
        let scan = b"%PDF-1.4\n% scan of the paper letter\n%%EOF\n".to_vec();
        let incoming_doc = json!({
            "agency_id": city, "type_code": "cong_van",
            "subject": "Về việc phòng, chống dịch sốt xuất huyết trên địa bàn thành phố",
            "sender_name": "Sở Y tế tỉnh Tây Ninh", "sender_number": "125/SYT-NVY",
            "sender_date": "2025-12-30",
            "signer": {"full_name": "Nguyễn Văn Y", "position": "Giám đốc"}
        });
        // Without the CSRF header a cookie-authenticated write is refused.
        let r = clerk
            .0
            .post(t.url("/api/v1/documents/incoming"))
            .json(&incoming_doc)
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.csrf_failed").await;
        // A specialist is not a clerk.
        let r = post(
            &specialist,
            t.url("/api/v1/documents/incoming"),
            incoming_doc.clone(),
        )
        .await;
        problem(r, 403, "auth.forbidden").await;
        let r = clerk
            .0
            .post(t.url("/api/v1/documents/incoming"))
            .header("x-csrf-token", &clerk.1)
            .multipart(multipart(
                incoming_doc.clone(),
                &[("file", "cong-van-den.pdf", scan.clone())],
            ))
            .send()
            .await
            .unwrap();
        let inc = ok(r, 201, &format!("register incoming on {b}")).await;
        let inc_id = inc["id"].as_str().unwrap().to_string();
        assert_eq!(inc["direction"], "incoming", "{inc}");
        assert_eq!(inc["state"], "registered");
        assert_eq!(inc["type_name"], "Công văn");
        assert_eq!(inc["incoming"]["channel"], "paper");
        assert_eq!(inc["incoming"]["arrival_number"], 1);
        assert_eq!(inc["incoming"]["sender_number"], "125/SYT-NVY");
        assert_eq!(inc["incoming"]["edxml_status"], "03");
        assert!(inc["incoming"]["handling_due"].is_string());
        assert_eq!(kinds(&inc["files"]), ["scan"]);
        let year: i32 = inc["incoming"]["arrival_date"].as_str().unwrap()[..4]
            .parse()
            .unwrap();

        // 2. The leader assigns it to the specialist (within a year of working days).
        let r = post(
            &leader,
            t.url(&format!("/api/v1/documents/{inc_id}/assign")),
            json!({"lead_person": specialist_id, "days": 400}),
        )
        .await;
        let p = problem(r, 422, "document.invalid_deadline").await;
        assert_eq!(p["field"], "days", "{p}");
        assert_eq!(p["field_label"], "Số ngày làm việc", "{p}");
        let v = act(
            &t,
            &leader,
            &inc_id,
            "assign",
            json!({"lead_person": specialist_id, "days": 5, "opinion": "Đề nghị chuyên viên tham mưu trả lời."}),
        )
        .await;
        assert_eq!(v["state"], "assigned");
        assert_eq!(v["incoming"]["lead_person"], specialist_id.as_str());
        assert_eq!(
            v["incoming"]["opinion"],
            "Đề nghị chuyên viên tham mưu trả lời."
        );
        // An illegal transition: refusing an assigned document.
        let r = post(
            &clerk,
            t.url(&format!("/api/v1/documents/{inc_id}/refuse")),
            json!({"reason": "Sai nơi nhận"}),
        )
        .await;
        let p = problem(r, 409, "document.illegal_transition").await;
        assert!(p["title"].as_str().unwrap().contains("trạng thái"), "{p}");
        // A clerk of another agency does not see it.
        let r = outsider
            .0
            .get(t.url(&format!("/api/v1/documents/{inc_id}")))
            .send()
            .await
            .unwrap();
        let p = problem(r, 404, "document.not_found").await;
        assert_eq!(p["title"], "Không tìm thấy văn bản.");

        // 3. The specialist starts and drafts the reply with its PDF.
        let v = act(&t, &specialist, &inc_id, "start", json!(null)).await;
        assert_eq!(v["state"], "in_progress");
        assert_eq!(v["incoming"]["edxml_status"], "05");
        let draft_pdf = b"%PDF-1.4\n% du thao cong van tra loi\n%%EOF\n".to_vec();
        let draft = json!({
            "agency_id": city, "type_code": "cong_van",
            "subject": "V/v báo cáo công tác phòng chống dịch",
            "signer": {"full_name": "Phạm Thị Lãnh", "position": "Chủ tịch", "competence": "TM."},
            "drafting_unit": "VP",
            "recipients": [{"agency_id": health}, {"name": "Lưu: VT, VP"}],
            "reply_to": inc_id
        });
        let r = specialist
            .0
            .post(t.url("/api/v1/documents/outgoing"))
            .header("x-csrf-token", &specialist.1)
            .multipart(multipart(
                draft.clone(),
                &[("file", "du-thao.pdf", draft_pdf.clone())],
            ))
            .send()
            .await
            .unwrap();
        let out = ok(r, 201, &format!("draft on {b}")).await;
        let out_id = out["id"].as_str().unwrap().to_string();
        assert_eq!(out["direction"], "outgoing");
        assert_eq!(out["state"], "draft");
        assert_eq!(out["outgoing"]["reply_to"], inc_id.as_str());
        assert_eq!(out["outgoing"]["recipients"][0]["electronic"], true);
        assert_eq!(out["outgoing"]["recipients"][1]["name"], "Lưu: VT, VP");
        assert!(out["outgoing"]["number"].is_null());
        assert_eq!(kinds(&out["files"]), ["main"]);
        // Edit the draft (JSON, the main file kept).
        let mut edited = draft.clone();
        edited["subject"] = json!("V/v báo cáo công tác phòng, chống dịch sốt xuất huyết");
        let r = specialist
            .0
            .put(t.url(&format!("/api/v1/documents/{out_id}")))
            .header("x-csrf-token", &specialist.1)
            .json(&edited)
            .send()
            .await
            .unwrap();
        let v = ok(r, 200, "edit draft").await;
        assert_eq!(
            v["subject"],
            "V/v báo cáo công tác phòng, chống dịch sốt xuất huyết"
        );
        let v = act(
            &t,
            &specialist,
            &inc_id,
            "link-reply",
            json!({"reply": out_id}),
        )
        .await;
        assert_eq!(v["incoming"]["reply"], out_id.as_str());
        // Issuing a draft is an illegal transition.
        let r = post(
            &clerk,
            t.url(&format!("/api/v1/documents/{out_id}/issue")),
            json!(null),
        )
        .await;
        problem(r, 409, "document.illegal_transition").await;
        let v = act(&t, &specialist, &out_id, "submit-review", json!(null)).await;
        assert_eq!(v["state"], "in_review");

        // 4. The leader passes it to signature and signs; the clerk issues.
        let v = act(&t, &leader, &out_id, "submit-signature", json!(null)).await;
        assert_eq!(v["state"], "awaiting_signature");
        let v = act(&t, &leader, &out_id, "sign", json!(null)).await;
        assert_eq!(v["state"], "signed");
        assert_eq!(v["outgoing"]["signer_signed"], true);
        assert_eq!(v["outgoing"]["agency_signed"], false);
        let v = act(&t, &clerk, &out_id, "issue", json!(null)).await;
        assert_eq!(v["state"], "issued", "{v}");
        assert_eq!(v["outgoing"]["number"], "01/UBND-VP", "{v}");
        assert_eq!(v["outgoing"]["number_value"], 1);
        assert_eq!(v["outgoing"]["notation"], "UBND-VP");
        assert_eq!(v["outgoing"]["agency_signed"], true);
        assert!(v["outgoing"]["issued_on"].is_string());
        let mut ks = kinds(&v["files"]);
        ks.sort();
        assert_eq!(ks, ["agency_signature", "main", "signer_signature"]);
        let mut main_pdf = Vec::new();
        let mut sigs = Vec::new();
        for f in v["files"].as_array().unwrap() {
            let (ct, body) = bytes_of(
                &clerk.0,
                t.url(&format!(
                    "/api/v1/documents/{out_id}/files/{}",
                    f["id"].as_str().unwrap()
                )),
            )
            .await;
            match f["kind"].as_str().unwrap() {
                "main" => {
                    assert_eq!(body, draft_pdf);
                    assert_eq!(ct, "application/pdf");
                    main_pdf = body;
                }
                kind => {
                    assert_eq!(ct, "application/pkcs7-signature");
                    sigs.push((kind.to_string(), body));
                }
            }
        }
        // Real CMS signatures over the PDF: the signer's personal certificate and the agency's
        // organisation certificate, both chained to the platform's test CA.
        assert_eq!(sigs.len(), 2);
        for (kind, sig) in &sigs {
            let report = t.signing.verify_any(&main_pdf, Some(sig)).unwrap();
            assert!(report.all_valid(), "{kind}: {report:?}");
            assert_eq!(report.signature_count(), 1, "{kind}");
            let text = format!("{report:?}");
            if kind == "signer_signature" {
                assert!(text.contains("Phạm Thị Lãnh"), "{text}");
            } else {
                assert!(text.contains("000.00.20.H53"), "{text}");
            }
            // And by a tool nobody here wrote (signature and content; chain not checked here).
            if let Some(out) = openssl_cms_verify(&main_pdf, sig) {
                assert!(out.contains("Verification successful"), "{kind}: {out}");
            }
            // One byte changed in the file: the signature no longer verifies.
            let mut tampered = main_pdf.clone();
            let last = tampered.len() - 1;
            tampered[last] ^= 1;
            assert!(
                !t.signing
                    .verify_any(&tampered, Some(sig))
                    .unwrap()
                    .all_valid()
            );
        }
        // Editing after issue is refused.
        let r = specialist
            .0
            .put(t.url(&format!("/api/v1/documents/{out_id}")))
            .header("x-csrf-token", &specialist.1)
            .json(&edited)
            .send()
            .await
            .unwrap();
        problem(r, 409, "document.illegal_transition").await;

        // 5. The specialist completes the incoming document with its reply.
        let v = act(
            &t,
            &specialist,
            &inc_id,
            "complete",
            json!({"reply": out_id, "note": "Đã trả lời"}),
        )
        .await;
        assert_eq!(v["state"], "done");
        let full = get(
            &leader.0,
            t.url(&format!("/api/v1/documents/{inc_id}?include=events,files")),
        )
        .await;
        let events: Vec<&str> = full["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            events,
            [
                "arrived",
                "registered",
                "assigned",
                "started",
                "reply_linked",
                "completed"
            ],
            "{b}"
        );
        let scan_id = full["files"][0]["id"].as_str().unwrap();
        let (_, body) = bytes_of(
            &leader.0,
            t.url(&format!("/api/v1/documents/{inc_id}/files/{scan_id}")),
        )
        .await;
        assert_eq!(body, scan);
        let plain = get(&leader.0, t.url(&format!("/api/v1/documents/{inc_id}"))).await;
        assert!(plain["events"].is_null() && plain["files"].is_null());
        let r = leader
            .0
            .get(t.url(&format!("/api/v1/documents/{inc_id}?include=nothing")))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;

        // 6. Registers as JSON.
        let reg = |kind: &str, extra: &str| {
            t.url(&format!(
                "/api/v1/documents/registers/{kind}?agency={city}&year={year}{extra}"
            ))
        };
        let inc_reg = get(&clerk.0, reg("incoming", "")).await;
        assert_eq!(inc_reg["title"], "Sổ đăng ký văn bản đến");
        assert_eq!(inc_reg["column_titles"].as_array().unwrap().len(), 10);
        assert_eq!(inc_reg["total"], 1, "{inc_reg}");
        let row = &inc_reg["items"][0];
        assert_eq!(row["id"], inc_id.as_str());
        assert_eq!(row["arrival_number"], 1);
        assert_eq!(row["author"], "Sở Y tế tỉnh Tây Ninh");
        assert_eq!(row["number"], "125/SYT-NVY");
        assert_eq!(row["date"], "2025-12-30");
        assert_eq!(row["recipient"], "Lê Văn Chuyên");
        let out_reg = get(&clerk.0, reg("outgoing", "")).await;
        assert_eq!(out_reg["title"], "Sổ đăng ký văn bản đi");
        assert_eq!(out_reg["total"], 1, "{out_reg}");
        let row = &out_reg["items"][0];
        assert_eq!(row["id"], out_id.as_str());
        assert_eq!(row["number"], "01/UBND-VP");
        assert_eq!(row["signer"], "Phạm Thị Lãnh");
        assert_eq!(
            row["recipients"],
            json!(["Sở Y tế tỉnh Tây Ninh", "Lưu: VT, VP"])
        );
        let follow = get(&clerk.0, reg("follow-up", "")).await;
        assert_eq!(follow["column_titles"].as_array().unwrap().len(), 7);
        assert_eq!(follow["items"][0]["reply_number"], "01/UBND-VP");
        assert_eq!(follow["items"][0]["progress"], "Đã giải quyết");
        let r = clerk
            .0
            .get(t.url(&format!(
                "/api/v1/documents/registers/incoming?agency={city}&year=10000"
            )))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;
        let r = clerk.0.get(reg("minutes", "")).send().await.unwrap();
        problem(r, 422, "validation.invalid_choice").await;
        let r = clerk
            .0
            .get(reg("incoming", "&format=doc"))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;

        // … printed as PDF and XLSX.
        for (kind, needle) in [
            ("outgoing", "01/UBND-VP"),
            ("incoming", "125/SYT-NVY"),
            ("follow-up", "01/UBND-VP"),
        ] {
            let (ct, pdf) = bytes_of(&clerk.0, reg(kind, "&format=pdf")).await;
            assert_eq!(ct, "application/pdf");
            assert!(pdf.starts_with(b"%PDF"));
            match pdf_text(&pdf, &format!("{b}-{kind}")) {
                Some(text) => {
                    assert!(text.contains(needle), "{kind}: {text}");
                    assert!(text.contains("Trang 1/1"), "{kind}: {text}");
                    println!("{b} {kind} register PDF has {needle}");
                }
                None => println!("skipped: pdftotext missing"),
            }
            let (ct, xlsx) = bytes_of(&clerk.0, reg(kind, "&format=xlsx")).await;
            assert_eq!(
                ct,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            );
            assert!(xlsx.starts_with(b"PK"), "{kind}: not a zip");
            assert!(
                xlsx.windows(19).any(|w| w == b"xl/worksheets/sheet"),
                "{kind}: no sheet"
            );
        }

        // 7. Search without diacritics, the list, overdue and figures.
        let found = get(
            &leader.0,
            t.url(&format!(
                "/api/v1/documents/search?agency={city}&q=phong%20chong%20dich%20sot%20xuat"
            )),
        )
        .await;
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&inc_id.as_str()), "{found}");
        assert!(ids.contains(&out_id.as_str()), "{found}");
        let found = get(
            &leader.0,
            t.url(&format!(
                "/api/v1/documents?agency={city}&q=so%20y%20te%20125&direction=incoming"
            )),
        )
        .await;
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["items"][0]["id"], inc_id.as_str());
        let list = get(
            &leader.0,
            t.url(&format!(
                "/api/v1/documents?agency={city}&direction=outgoing&state=issued"
            )),
        )
        .await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["outgoing"]["number"], "01/UBND-VP");
        let list = get(
            &leader.0,
            t.url(&format!(
                "/api/v1/documents?agency={city}&direction=incoming&state=registered,assigned"
            )),
        )
        .await;
        assert_eq!(list["total"], 0, "{list}");
        let list = get(
            &leader.0,
            t.url(&format!("/api/v1/documents?agency={city}&year={year}")),
        )
        .await;
        assert_eq!(list["total"], 1, "{list}");
        assert_eq!(list["items"][0]["state"], "done");
        let r = leader
            .0
            .get(t.url(&format!("/api/v1/documents?agency={city}&state=lost")))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;
        let overdue = get(
            &leader.0,
            t.url(&format!("/api/v1/documents/overdue?agency={city}")),
        )
        .await;
        assert_eq!(overdue["total"], 0);
        let figures = get(
            &leader.0,
            t.url(&format!(
                "/api/v1/documents/figures?agency={city}&from={year}-01-01&to={year}-12-31"
            )),
        )
        .await;
        assert_eq!(figures["issued"], 1, "{figures}");
        assert_eq!(figures["issued_both_signatures"], 1, "{figures}");
        assert_eq!(figures["received"], 1, "{figures}");
        assert_eq!(figures["received_electronic"], 0, "{figures}");
        let r = leader
            .0
            .get(t.url(&format!(
                "/api/v1/documents/figures?agency={city}&from={year}-12-31&to={year}-01-01"
            )))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_date").await;
        println!("documents over HTTP on {b}: whole flow checked");
        t.stop().await;
    }
}

#[tokio::test]
async fn a_draft_without_its_file_is_sent_back_and_completed_by_multipart_edit() {
    for t in TestApp::all("documents_send_back").await {
        let b = t.backend();
        let admin = t.login("quantri@tayninh.demo").await;
        let city = agency(&admin.0, &t, "000.00.20.H53").await;
        let leader = t.login("lanhdao@tayninh.demo").await;
        let specialist = t.login("chuyenvien@tayninh.demo").await;
        // A decision drafted as JSON, without its file yet.
        let draft = json!({
            "agency_id": city, "type_code": "quyet_dinh",
            "subject": "Về việc thành lập Tổ công tác chuyển đổi số",
            "urgency": "urgent",
            "recipients": [{"name": "Các phòng chuyên môn"}]
        });
        let r = post(
            &specialist,
            t.url("/api/v1/documents/outgoing"),
            draft.clone(),
        )
        .await;
        let out = ok(r, 201, &format!("draft on {b}")).await;
        let id = out["id"].as_str().unwrap().to_string();
        assert_eq!(out["urgency"], "urgent");
        assert_eq!(out["secrecy"], "none");
        assert_eq!(out["files"], json!([]));
        // Unknown urgency and an unknown field are refused with their codes.
        let mut wrong = draft.clone();
        wrong["urgency"] = json!("asap");
        let r = post(&specialist, t.url("/api/v1/documents/outgoing"), wrong).await;
        problem(r, 422, "validation.invalid_choice").await;
        let mut wrong = draft.clone();
        wrong["colour"] = json!("red");
        let r = post(&specialist, t.url("/api/v1/documents/outgoing"), wrong).await;
        problem(r, 400, "request.unknown_field").await;

        act(&t, &specialist, &id, "submit-review", json!(null)).await;
        // No main file: it cannot go to signature.
        let r = post(
            &leader,
            t.url(&format!("/api/v1/documents/{id}/submit-signature")),
            json!(null),
        )
        .await;
        let p = problem(r, 409, "document.no_main_file").await;
        assert_eq!(p["title"], "Văn bản chưa có tệp nội dung chính.");
        // Sent back: a reason is required.
        let r = post(
            &leader,
            t.url(&format!("/api/v1/documents/{id}/send-back")),
            json!({"reason": "  "}),
        )
        .await;
        let p = problem(r, 422, "document.reason_required").await;
        assert_eq!(p["title"], "Vui lòng nhập lý do.");
        let v = act(
            &t,
            &leader,
            &id,
            "send-back",
            json!({"reason": "Thiếu tệp dự thảo"}),
        )
        .await;
        assert_eq!(v["state"], "draft");
        assert_eq!(v["outgoing"]["send_back_reason"], "Thiếu tệp dự thảo");
        // The drafter adds the file (and an appendix) with a multipart edit.
        let r = specialist
            .0
            .put(t.url(&format!("/api/v1/documents/{id}")))
            .header("x-csrf-token", &specialist.1)
            .multipart(multipart(
                draft.clone(),
                &[
                    (
                        "file",
                        "quyet-dinh.pdf",
                        b"%PDF-1.4\n% QD\n%%EOF\n".to_vec(),
                    ),
                    (
                        "attachment",
                        "phu-luc.pdf",
                        b"%PDF-1.4\n% PL\n%%EOF\n".to_vec(),
                    ),
                ],
            ))
            .send()
            .await
            .unwrap();
        let v = ok(r, 200, &format!("multipart edit on {b}")).await;
        let mut ks = kinds(&v["files"]);
        ks.sort();
        assert_eq!(ks, ["attachment", "main"]);
        // An unknown part is refused.
        let r = specialist
            .0
            .put(t.url(&format!("/api/v1/documents/{id}")))
            .header("x-csrf-token", &specialist.1)
            .multipart(multipart(
                draft.clone(),
                &[("scan", "x.pdf", b"%PDF-1.4\n%%EOF\n".to_vec())],
            ))
            .send()
            .await
            .unwrap();
        problem(r, 400, "request.unknown_field").await;
        act(&t, &specialist, &id, "submit-review", json!(null)).await;
        let v = act(&t, &leader, &id, "submit-signature", json!(null)).await;
        assert_eq!(v["state"], "awaiting_signature");
        let full = get(
            &leader.0,
            t.url(&format!("/api/v1/documents/{id}?include=events")),
        )
        .await;
        let events: Vec<&str> = full["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            events,
            [
                "drafted",
                "submitted_for_review",
                "sent_back",
                "edited",
                "submitted_for_review",
                "submitted_for_signature"
            ],
            "{b}"
        );
        // Not in a register before its issue, but listed by state and found by search.
        let list = get(
            &leader.0,
            t.url(&format!(
                "/api/v1/documents?agency={city}&direction=outgoing&state=awaiting_signature,draft"
            )),
        )
        .await;
        assert_eq!(list["total"], 1, "{list}");
        assert_eq!(list["items"][0]["state"], "awaiting_signature");
        let list = get(
            &leader.0,
            t.url(&format!("/api/v1/documents?agency={city}&state=draft")),
        )
        .await;
        assert_eq!(list["total"], 0, "{list}");
        let found = get(
            &leader.0,
            t.url(&format!(
                "/api/v1/documents?agency={city}&q=to%20cong%20tac%20chuyen%20doi"
            )),
        )
        .await;
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["items"][0]["state"], "awaiting_signature");
        t.stop().await;
    }
}

/// `openssl cms -verify` of a detached DER signature over `content`, without the chain check;
/// `None` (after saying "skipped") when openssl is missing.
fn openssl_cms_verify(content: &[u8], sig: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("cqdt-cms-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, s) = (dir.join("content"), dir.join("sig.p7s"));
    std::fs::write(&c, content).unwrap();
    std::fs::write(&s, sig).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-noverify",
            "-out",
            "/dev/null",
        ])
        .arg("-in")
        .arg(&s)
        .arg("-content")
        .arg(&c)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) => Some(format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(_) => {
            eprintln!("skipped: openssl missing (CMS check)");
            None
        }
    }
}
