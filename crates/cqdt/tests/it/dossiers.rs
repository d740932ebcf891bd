//! The procedures, dossiers and reports API over HTTP, on SQLite and PostgreSQL: the catalogue
//! (search, one procedure, import), desk reception and the whole processing flow through
//! `POST /api/v1/dossiers/{id}/actions`, online submission, worklists and "my dossiers", lookup
//! without login, Biểu II.06a, and the problem documents of refusals.

use crate::{PW, TestApp, problem};
use serde_json::{Value, json};

const FIXTURE: &str = include_str!("../../../store/tests/fixtures/procedures.json");

async fn get(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().await.unwrap()
}

/// POST with the session's CSRF token.
async fn post(c: &reqwest::Client, csrf: &str, url: String, body: Value) -> reqwest::Response {
    c.post(url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn act(t: &TestApp, (c, csrf): &(reqwest::Client, String), id: &str, body: Value) -> Value {
    let r = post(
        c,
        csrf,
        t.url(&format!("/api/v1/dossiers/{id}/actions")),
        body.clone(),
    )
    .await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body} on {}: {v}", t.backend());
    v
}

#[tokio::test]
async fn catalogue_desk_flow_online_lookup_worklists_and_report_over_http() {
    for t in TestApp::all("dossiers_http").await {
        let anon = TestApp::client();
        // The demo catalogue is loaded and searchable without diacritics.
        let page = get(&anon, t.url("/api/v1/procedures?q=dang%20ky%20ket%20hon")).await;
        assert_eq!(
            page["items"][0]["name"],
            "Thủ tục đăng ký kết hôn",
            "{}",
            t.backend()
        );
        assert!(page["total"].as_i64().unwrap() >= 2);
        let first = &page["items"][0];
        assert_eq!(first["national_code"], "1.000894");
        assert_eq!(first["service_level_2019"], 3);
        let one = get(
            &anon,
            t.url(&format!(
                "/api/v1/procedures/{}",
                first["id"].as_str().unwrap()
            )),
        )
        .await;
        assert_eq!(one["national_code"], "1.000894");
        assert!(!one["form"].as_array().unwrap().is_empty());
        let r = anon
            .get(t.url("/api/v1/procedures/00000000-0000-0000-0000-000000000000"))
            .send()
            .await
            .unwrap();
        problem(r, 404, "procedure.not_found").await;
        let r = anon
            .get(t.url("/api/v1/procedures?level=hamlet"))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;

        // Import: administrators only; all or nothing.
        let items: Value = serde_json::from_str(FIXTURE).unwrap();
        let r = anon
            .post(t.url("/api/v1/procedures/import"))
            .json(&items)
            .send()
            .await
            .unwrap();
        problem(r, 401, "auth.unauthenticated").await;
        let admin = t.login("quantri@tayninh.demo").await;
        let r = post(
            &admin.0,
            &admin.1,
            t.url("/api/v1/procedures/import"),
            json!([{"national_code": "x"}]),
        )
        .await;
        let v = problem(r, 422, "import.failed").await;
        assert_eq!(v["errors"][0]["line"], 1);
        let r = post(
            &admin.0,
            &admin.1,
            t.url("/api/v1/procedures/import"),
            items,
        )
        .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["inserted"], 4);
        let business = get(&anon, t.url("/api/v1/procedures?q=9.900002")).await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let city = get(&anon, t.url("/api/v1/agencies?q=000.00.20.H53")).await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();

        // Reception at the desk, linked to the demo citizen's account.
        let desk = t.login("motcua@tayninh.demo").await;
        let specialist = t.login("chuyenvien@tayninh.demo").await;
        let leader = t.login("lanhdao@tayninh.demo").await;
        let citizen = t.login("congdan@tayninh.demo").await;
        let values = json!({"ten_ho_kinh_doanh": "Tạp hóa Hòa Thành", "nganh_nghe": "Bán lẻ"});
        let body = json!({
            "procedure_id": business, "agency_id": city,
            "applicant": {"name": "Ngô Thị Dân", "id_number": "072190000001", "phone": "0912345678",
                          "account": "congdan@tayninh.demo"},
            "values": values, "return_method": "desk"
        });
        // Without the CSRF header, a cookie-authenticated write is refused.
        let r = desk
            .0
            .post(t.url("/api/v1/dossiers/desk"))
            .json(&body)
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.csrf_failed").await;
        // A citizen is not a desk officer.
        let r = post(
            &citizen.0,
            &citizen.1,
            t.url("/api/v1/dossiers/desk"),
            body.clone(),
        )
        .await;
        problem(r, 403, "auth.forbidden").await;
        let r = post(
            &desk.0,
            &desk.1,
            t.url("/api/v1/dossiers/desk"),
            body.clone(),
        )
        .await;
        assert_eq!(r.status(), 201);
        let d: Value = r.json().await.unwrap();
        let id = d["id"].as_str().unwrap().to_string();
        let code = d["code"].as_str().unwrap().to_string();
        assert!(code.starts_with("000.00.20.H53-"), "{code}");
        assert!(code.ends_with("-0001"), "{code}");
        assert_eq!(d["state"], "received");
        assert_eq!(d["national_status"], 2);
        assert_eq!(d["channel"], "direct");
        assert!(d["due_at"].is_string());

        // The flow, one action at a time; illegal ones are 409 problem documents.
        let r = post(
            &leader.0,
            &leader.1,
            t.url(&format!("/api/v1/dossiers/{id}/actions")),
            json!({"action": "approve"}),
        )
        .await;
        problem(r, 409, "dossier.illegal_transition").await;
        let r = post(
            &desk.0,
            &desk.1,
            t.url(&format!("/api/v1/dossiers/{id}/actions")),
            json!({"action": "refuse", "reasons": []}),
        )
        .await;
        problem(r, 409, "dossier.illegal_transition").await;
        let r = post(
            &desk.0,
            &desk.1,
            t.url(&format!("/api/v1/dossiers/{id}/actions")),
            json!({"action": "hand_over", "extra": 1}),
        )
        .await;
        problem(r, 400, "request.unknown_field").await;
        let v = act(&t, &desk, &id, json!({"action": "hand_over"})).await;
        assert_eq!(
            (v["state"].as_str(), v["step"].as_i64()),
            (Some("processing"), Some(1))
        );
        let v = act(
            &t,
            &specialist,
            &id,
            json!({"action": "process", "note": "Hợp lệ"}),
        )
        .await;
        assert_eq!(v["state"], "awaiting_approval");
        let v = act(&t, &leader, &id, json!({"action": "approve"})).await;
        assert_eq!(v["state"], "processing");
        let v = act(&t, &specialist, &id, json!({"action": "result_ready"})).await;
        assert_eq!(
            (v["state"].as_str(), v["national_status"].as_i64()),
            (Some("result_ready"), Some(9))
        );
        assert!(v["timeliness"].is_string());
        let v = act(
            &t,
            &desk,
            &id,
            json!({"action": "return_result", "method": "desk"}),
        )
        .await;
        assert_eq!(v["national_status"], 10);
        let v = act(
            &t,
            &citizen,
            &id,
            json!({"action": "evaluate", "satisfaction": "very_satisfied", "scores": [{"index": 1, "points": 2}]}),
        )
        .await;
        assert_eq!(v["evaluation"]["satisfaction"], "very_satisfied");

        // The timeline in one call; without include, no events.
        let full = get(
            &citizen.0,
            t.url(&format!("/api/v1/dossiers/{id}?include=events")),
        )
        .await;
        let events = full["events"].as_array().unwrap();
        let statuses: Vec<i64> = events
            .iter()
            .map(|e| e["national_status"].as_i64().unwrap())
            .collect();
        assert_eq!(statuses, vec![1, 2, 4, 4, 4, 9, 10, 10]);
        assert_eq!(events[1]["kind"]["type"], "received");
        assert!(events[1]["due"].is_string());
        let plain = get(&citizen.0, t.url(&format!("/api/v1/dossiers/{id}"))).await;
        assert!(plain["events"].is_null());
        let r = citizen
            .0
            .get(t.url(&format!("/api/v1/dossiers/{id}?include=filez")))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;

        // Another citizen: no access, and no action.
        let other = TestApp::client();
        let r = other
            .post(t.url("/api/v1/auth/register"))
            .json(&json!({"full_name": "Lý Văn Khác", "login": "khac@example.vn", "password": PW}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let other = t.login("khac@example.vn").await;
        let r = other
            .0
            .get(t.url(&format!("/api/v1/dossiers/{id}")))
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.forbidden").await;
        let r = post(
            &other.0,
            &other.1,
            t.url(&format!("/api/v1/dossiers/{id}/actions")),
            json!({"action": "withdraw"}),
        )
        .await;
        problem(r, 403, "auth.forbidden").await;
        let r = anon
            .get(t.url(&format!("/api/v1/dossiers/{id}")))
            .send()
            .await
            .unwrap();
        problem(r, 401, "auth.unauthenticated").await;

        // Lookup without login: the same answer for a wrong ID number and an unknown code.
        let found = get(
            &anon,
            t.url(&format!(
                "/api/v1/dossiers/lookup?code={code}&id_number=072190000001"
            )),
        )
        .await;
        assert_eq!(found["id"], id.as_str());
        assert!(
            found["applicant"]["id_number"].is_null(),
            "no contact details"
        );
        assert!(found["applicant"]["phone"].is_null());
        assert!(!found["events"].as_array().unwrap().is_empty());
        let by_phone = get(
            &anon,
            t.url(&format!(
                "/api/v1/dossiers/lookup?code={code}&phone=0912345678"
            )),
        )
        .await;
        assert_eq!(by_phone["id"], id.as_str());
        let wrong = anon
            .get(t.url(&format!(
                "/api/v1/dossiers/lookup?code={code}&id_number=072190000002"
            )))
            .send()
            .await
            .unwrap();
        let wrong = problem(wrong, 404, "dossier.lookup_failed").await;
        let unknown = anon
            .get(t.url(
                "/api/v1/dossiers/lookup?code=000.00.20.H53-250101-9999&id_number=072190000001",
            ))
            .send()
            .await
            .unwrap();
        let unknown = problem(unknown, 404, "dossier.lookup_failed").await;
        assert_eq!(wrong, unknown);

        // Online submission by the citizen; form errors are listed.
        let r = post(
            &citizen.0,
            &citizen.1,
            t.url("/api/v1/dossiers"),
            json!({"procedure_id": business, "agency_id": city, "values": {"ten_ho_kinh_doanh": "X", "so_dien_thoai": "123"}}),
        )
        .await;
        let v = problem(r, 422, "validation.required").await;
        assert_eq!(v["field"], "values.nganh_nghe");
        assert_eq!(v["errors"][1]["code"], "validation.invalid_phone");
        // Without the required parts' files: refused, naming the first missing part.
        let r = post(
            &citizen.0,
            &citizen.1,
            t.url("/api/v1/dossiers"),
            json!({"procedure_id": business, "agency_id": city, "values": values, "return_method": "post", "address": "Phường 1, thành phố Tây Ninh"}),
        )
        .await;
        let v = problem(r, 422, "upload.required_part_missing").await;
        assert_eq!(v["field"], "part-1");
        // A file whose content is not what its name says is refused by content.
        let submission = json!({"procedure_id": business, "agency_id": city, "values": values, "return_method": "post", "address": "Phường 1, thành phố Tây Ninh"});
        let form = |p1: (&str, Vec<u8>)| {
            reqwest::multipart::Form::new()
                .part(
                    "submission",
                    reqwest::multipart::Part::text(submission.to_string())
                        .mime_str("application/json")
                        .unwrap(),
                )
                .part(
                    "part-1",
                    reqwest::multipart::Part::bytes(p1.1).file_name(p1.0.to_string()),
                )
                .part(
                    "part-2",
                    reqwest::multipart::Part::bytes(b"%PDF-1.4\n% CCCD\n%%EOF\n".to_vec())
                        .file_name("Bản sao CCCD.pdf"),
                )
        };
        let r = citizen
            .0
            .post(t.url("/api/v1/dossiers"))
            .header("X-CSRF-Token", &citizen.1)
            .multipart(form(("don.pdf", b"GIF89a not a pdf".to_vec())))
            .send()
            .await
            .unwrap();
        let v = problem(r, 415, "upload.type_not_allowed").await;
        assert_eq!(v["field"], "part-1");
        let r = citizen
            .0
            .post(t.url("/api/v1/dossiers"))
            .header("X-CSRF-Token", &citizen.1)
            .multipart(form((
                "Giấy đề nghị.pdf",
                b"%PDF-1.4\n% giay de nghi\n%%EOF\n".to_vec(),
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let online: Value = r.json().await.unwrap();
        let files = online["files"].as_array().unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0]["name"], "Giấy đề nghị.pdf");
        assert_eq!(files[0]["file_type"], "pdf");
        assert_eq!(files[0]["part"], 1);
        // The applicant downloads it back, byte for byte, with its Vietnamese name.
        let r = citizen
            .0
            .get(t.url(&format!(
                "/api/v1/dossiers/{}/files/{}",
                online["id"].as_str().unwrap(),
                files[0]["id"].as_str().unwrap()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''Gi%E1%BA%A5y"),
        );
        assert_eq!(
            &r.bytes().await.unwrap()[..],
            b"%PDF-1.4\n% giay de nghi\n%%EOF\n"
        );
        assert_eq!(
            (online["state"].as_str(), online["channel"].as_str()),
            (Some("submitted"), Some("online"))
        );
        assert!(online["code"].as_str().unwrap().ends_with("-0002"));
        let r = post(
            &desk.0,
            &desk.1,
            t.url("/api/v1/dossiers"),
            json!({"procedure_id": business, "agency_id": city, "values": values}),
        )
        .await;
        problem(r, 403, "auth.forbidden").await;

        // Worklists: the desk sees the online dossier waiting for its check, with counts; the
        // citizen sees their two dossiers; anonymous callers must log in.
        let list = get(&desk.0, t.url("/api/v1/dossiers")).await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["id"], online["id"]);
        assert_eq!(list["counts"][0]["state"], "submitted");
        let all = get(&desk.0, t.url("/api/v1/dossiers?queue=all&state=returned")).await;
        assert_eq!(all["total"], 1);
        let none = get(&specialist.0, t.url("/api/v1/dossiers")).await;
        assert_eq!(none["total"], 0);
        let mine = get(&citizen.0, t.url("/api/v1/dossiers")).await;
        assert_eq!(mine["total"], 2);
        let r = anon.get(t.url("/api/v1/dossiers")).send().await.unwrap();
        problem(r, 401, "auth.unauthenticated").await;
        let r = desk
            .0
            .get(t.url("/api/v1/dossiers?queue=everything"))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;
        let v = act(
            &t,
            &desk,
            online["id"].as_str().unwrap(),
            json!({"action": "accept"}),
        )
        .await;
        assert_eq!(v["state"], "received");

        // Biểu II.06a of the city for this year: two received, one resolved.
        // The local (UTC+7) year of the server's clock.
        let year = chrono::DateTime::from_timestamp_micros(t.app.now_us() + 7 * 3_600_000_000)
            .unwrap()
            .format("%Y")
            .to_string();
        let url = t.url(&format!(
            "/api/v1/reports/ii06a?agency={city}&from={year}-01-01&to={year}-12-31"
        ));
        let report = get(&leader.0, url.clone()).await;
        assert_eq!(report["total"]["received_total"], 2, "{report}");
        assert_eq!(report["total"]["received_online"], 1);
        assert_eq!(report["total"]["resolved_total"], 1);
        assert_eq!(report["total"]["pending_total"], 1);
        assert_eq!(report["total"]["columns"].as_array().unwrap().len(), 11);
        let r = citizen.0.get(url.clone()).send().await.unwrap();
        problem(r, 403, "auth.forbidden").await;
        // The same report as the printed form: XLSX and PDF, with the city's numbers.
        let r = leader
            .0
            .get(format!("{url}&format=xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(r.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
        let r = leader
            .0
            .get(format!("{url}&format=pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let path = std::env::temp_dir().join(format!("cqdt-ii06a-{}.pdf", uuid::Uuid::new_v4()));
        std::fs::write(&path, &pdf).unwrap();
        match std::process::Command::new("pdftotext")
            .args(["-layout", path.to_str().unwrap(), "-"])
            .output()
        {
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout).to_string();
                assert!(text.contains("Biểu II.06a/VPCP/KSTT"), "{text}");
                assert!(text.contains("THÀNH PHỐ TÂY NINH"), "{text}");
                let total = text.lines().find(|l| l.contains("Tổng cộng")).unwrap();
                let numbers: Vec<&str> = total.split_whitespace().skip(2).collect();
                // The printed total row is the JSON report's, column by column.
                let expected: Vec<String> = report["total"]["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_string())
                    .collect();
                assert_eq!(numbers, expected, "{total}");
            }
            Err(_) => eprintln!("skipped: pdftotext not installed"),
        }
        let _ = std::fs::remove_file(&path);
        let r = leader
            .0
            .get(format!("{url}&format=doc"))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;
        let r = leader
            .0
            .get(t.url(&format!(
                "/api/v1/reports/ii06a?agency={city}&from={year}-12-31&to={year}-01-01"
            )))
            .send()
            .await
            .unwrap();
        problem(r, 422, "dossier.invalid_report_period").await;

        // Every write of the flow is in the intact audit chain.
        let v = get(&admin.0, t.url("/api/v1/audit/verify")).await;
        assert_eq!(v["intact"], true);
        t.stop().await;
    }
}
