//! HTTP behaviour: malformed input never gives 5xx, throttling, scoping, CSRF, API keys, pages.

use crate::{PW, TestApp, problem};
use serde_json::json;

#[tokio::test]
async fn malformed_requests_get_problem_documents_not_5xx() {
    let t = TestApp::sqlite().await;
    let c = TestApp::client();
    let login = t.url("/api/v1/auth/login");
    // Invalid UTF-8 in a JSON body.
    let r = c
        .post(&login)
        .header("content-type", "application/json")
        .body(vec![b'{', 0xff, 0xfe, b'}'])
        .send()
        .await
        .unwrap();
    problem(r, 400, "request.invalid_utf8").await;
    // Not JSON at all.
    let r = c
        .post(&login)
        .header("content-type", "application/json")
        .body("{login:")
        .send()
        .await
        .unwrap();
    problem(r, 400, "request.malformed_json").await;
    // Wrong content type.
    let r = c
        .post(&login)
        .header("content-type", "text/plain")
        .body("login=x")
        .send()
        .await
        .unwrap();
    problem(r, 415, "request.unsupported_media_type").await;
    // No content type.
    let r = c.post(&login).body("{}").send().await.unwrap();
    problem(r, 415, "request.unsupported_media_type").await;
    // Missing and unknown fields, named.
    let r = c
        .post(&login)
        .json(&json!({"login": "a@b.vn"}))
        .send()
        .await
        .unwrap();
    let v = problem(r, 400, "request.missing_field").await;
    assert_eq!(v["field"], "password");
    assert_eq!(v["field_label"], "Mật khẩu");
    let r = c
        .post(&login)
        .json(&json!({"login": "a@b.vn", "password": "x", "admin": true}))
        .send()
        .await
        .unwrap();
    let v = problem(r, 400, "request.unknown_field").await;
    assert_eq!(v["field"], "admin");
    // Wrong JSON type.
    let r = c
        .post(&login)
        .json(&json!({"login": 5, "password": []}))
        .send()
        .await
        .unwrap();
    problem(r, 422, "validation.invalid_format").await;
    // Oversized body (the test server allows 64 KiB).
    let big = format!(
        "{{\"login\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(200_000)
    );
    let r = c
        .post(&login)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    problem(r, 413, "request.body_too_large").await;
    // Unknown route, wrong method, bad id, bad query, bad percent-encoding.
    problem(
        c.get(t.url("/api/v1/khong-co")).send().await.unwrap(),
        404,
        "request.not_found",
    )
    .await;
    problem(
        c.delete(t.url("/api/v1/roles")).send().await.unwrap(),
        405,
        "request.method_not_allowed",
    )
    .await;
    problem(
        c.get(t.url("/api/v1/agencies/not-a-uuid"))
            .send()
            .await
            .unwrap(),
        404,
        "agency.not_found",
    )
    .await;
    problem(
        c.get(t.url("/api/v1/agencies?limit=abc"))
            .send()
            .await
            .unwrap(),
        400,
        "request.invalid_query",
    )
    .await;
    problem(
        c.get(t.url("/api/v1/agencies?nope=1"))
            .send()
            .await
            .unwrap(),
        400,
        "request.invalid_query",
    )
    .await;
    let r = c
        .get(t.url("/api/v1/agencies/%FF%FE"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // English on request.
    let r = c
        .get(t.url("/api/v1/khong-co"))
        .header("accept-language", "en-GB,en;q=0.8")
        .send()
        .await
        .unwrap();
    let v = problem(r, 404, "request.not_found").await;
    assert_eq!(v["title"], "The page or resource was not found.");
    // Pages: invalid UTF-8 form body and unknown page.
    let r = c
        .post(t.url("/dang-nhap"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c.get(t.url("/khong-co-trang-nay")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Không tìm thấy trang"));
    t.stop().await;
}

#[tokio::test]
async fn a_burst_of_failed_logins_from_one_address_is_refused() {
    for t in TestApp::all("login_burst").await {
        let c = TestApp::client();
        let mut statuses = Vec::new();
        for i in 0..24 {
            // Different accounts each time: only the per-address limit can stop this.
            let r = c
                .post(t.url("/api/v1/auth/login"))
                .json(&json!({"login": format!("khong-co-{i}@tayninh.demo"), "password": "sai"}))
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
        assert!(
            statuses[20..].iter().all(|s| *s == 429),
            "{} {statuses:?}",
            t.backend()
        );
        // The address is now refused even with a correct password.
        let r = c
            .post(t.url("/api/v1/auth/login"))
            .json(&json!({"login": "congdan@tayninh.demo", "password": PW}))
            .send()
            .await
            .unwrap();
        problem(r, 429, "auth.throttled").await;
        t.stop().await;
    }
}

#[tokio::test]
async fn citizens_see_only_themselves_and_officers_only_their_subtree() {
    for t in TestApp::all("scoping").await {
        let cli = cqdt_app::Ctx::cli();
        // A second citizen.
        let c = TestApp::client();
        let r = c
            .post(t.url("/api/v1/auth/register"))
            .json(&json!({"full_name": "Lý Thị Hai", "login": "0987654321", "password": "mật khẩu 123", "password_confirm": "mật khẩu 123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", t.backend());
        let other: serde_json::Value = r.json().await.unwrap();
        let (citizen, _) = t.login("congdan@tayninh.demo").await;
        let me: serde_json::Value = citizen
            .get(t.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["user"]["full_name"], "Ngô Thị Dân");
        let r = citizen
            .get(t.url(&format!("/api/v1/users/{}", other["id"].as_str().unwrap())))
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.forbidden").await;
        let r = citizen
            .get(t.url(&format!(
                "/api/v1/users/{}",
                me["user"]["id"].as_str().unwrap()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        problem(
            citizen.get(t.url("/api/v1/users")).send().await.unwrap(),
            403,
            "auth.forbidden",
        )
        .await;

        // The leader of UBND TP Tây Ninh sees its staff, not the Văn phòng's.
        let city = t
            .app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap();
        let office = t
            .app
            .agency_by_identifier(&cli, "000.00.01.H53")
            .await
            .unwrap();
        let (leader, _) = t.login("lanhdao@tayninh.demo").await;
        let r = leader
            .get(t.url(&format!("/api/v1/users?agency={}", city.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let users: Vec<serde_json::Value> = r.json().await.unwrap();
        assert_eq!(users.len(), 3);
        problem(
            leader
                .get(t.url(&format!("/api/v1/users?agency={}", office.id)))
                .send()
                .await
                .unwrap(),
            403,
            "auth.forbidden",
        )
        .await;

        // An administrator of the city: may create under the city, not under the Văn phòng.
        let (admin, admin_csrf) = t.login("quantri@tayninh.demo").await;
        let r = admin
            .post(t.url("/api/v1/users"))
            .header("x-csrf-token", &admin_csrf)
            .json(&json!({"full_name": "Quản trị Thành phố", "email": "qt.tp@tayninh.demo", "agency_identifier": "000.00.20.H53", "password": "mật khẩu 123", "roles": ["administrator"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let c = TestApp::client();
        let r = c
            .post(t.url("/api/v1/auth/login"))
            .json(&json!({"login": "qt.tp@tayninh.demo", "password": "mật khẩu 123"}))
            .send()
            .await
            .unwrap();
        let csrf = r.json::<serde_json::Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();
        let unit = |id: &str, parent: &str| json!({"identifier": id, "parent_identifier": parent, "kind": "unit", "name": "Phòng Tư pháp"});
        let r = c
            .post(t.url("/api/v1/agencies"))
            .header("x-csrf-token", &csrf)
            .json(&unit("001.01.20.H53", "000.01.20.H53"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let r = c
            .post(t.url("/api/v1/agencies"))
            .header("x-csrf-token", &csrf)
            .json(&unit("000.01.01.H53", "000.00.01.H53"))
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.forbidden").await;
        let r = c.post(t.url("/api/v1/agencies")).header("x-csrf-token", &csrf).json(&json!({"identifier": "000.00.00.H41", "kind": "province_committee", "name": "UBND tỉnh Nghệ An"})).send().await.unwrap();
        problem(r, 403, "auth.forbidden").await;

        // Separation of duties: the city administrator cannot widen its own rights, nor grant
        // roles to staff of an agency it does not administer.
        let me: serde_json::Value = c
            .get(t.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let self_grant = json!({"role": "leader", "agency_id": city.id.to_string()});
        let r = c
            .post(t.url(&format!(
                "/api/v1/users/{}/grants",
                me["user"]["id"].as_str().unwrap()
            )))
            .header("x-csrf-token", &csrf)
            .json(&self_grant)
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.forbidden").await;
        let clerk_user = t
            .app
            .store
            .user_by_email("vanthu@tayninh.demo")
            .await
            .unwrap()
            .unwrap();
        let r = c
            .post(t.url(&format!("/api/v1/users/{}/grants", clerk_user.id)))
            .header("x-csrf-token", &csrf)
            .json(&self_grant)
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.forbidden").await;
        let officer = t
            .app
            .store
            .user_by_email("motcua@tayninh.demo")
            .await
            .unwrap()
            .unwrap();
        let r = c
            .post(t.url(&format!("/api/v1/users/{}/grants", officer.id)))
            .header("x-csrf-token", &csrf)
            .json(&self_grant)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

        // A clerk cannot administer users, over the API or on the pages.
        let (clerk, clerk_csrf) = t.login("vanthu@tayninh.demo").await;
        let r = clerk
            .post(t.url("/api/v1/users"))
            .header("x-csrf-token", &clerk_csrf)
            .json(&json!({"full_name": "X", "email": "x@tayninh.demo", "agency_identifier": "000.00.01.H53", "password": "mật khẩu 123", "roles": ["clerk"]}))
            .send()
            .await
            .unwrap();
        problem(r, 403, "auth.forbidden").await;
        let r = clerk
            .get(t.url("/quan-tri/tai-khoan"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("Không có quyền truy cập"));
        t.stop().await;
    }
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token() {
    let t = TestApp::sqlite().await;
    let (admin, csrf) = t.login("quantri@tayninh.demo").await;
    let body = json!({"identifier": "000.00.30.H53", "parent_identifier": "000.00.00.H53", "kind": "department", "name": "Sở Ngoại vụ"});
    problem(
        admin
            .post(t.url("/api/v1/agencies"))
            .json(&body)
            .send()
            .await
            .unwrap(),
        403,
        "auth.csrf_failed",
    )
    .await;
    problem(
        admin
            .post(t.url("/api/v1/agencies"))
            .header("x-csrf-token", "wrong")
            .json(&body)
            .send()
            .await
            .unwrap(),
        403,
        "auth.csrf_failed",
    )
    .await;
    let r = admin
        .post(t.url("/api/v1/agencies"))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["name"], "Sở Ngoại vụ");
    assert_eq!(created["level"], 2);
    // Page forms: a POST without the token is refused and changes nothing.
    let r = admin
        .post(t.url("/quan-tri/co-quan/moi"))
        .form(&[
            ("identifier", "000.00.31.H53"),
            ("kind", "department"),
            ("name", "X"),
            ("parent_identifier", "000.00.00.H53"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        t.app
            .store
            .agency_by_identifier("000.00.31.H53")
            .await
            .unwrap()
            .is_none()
    );
    // With the token (read from the page) it works and redirects.
    let page = admin
        .get(t.url("/quan-tri/co-quan/moi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = admin
        .post(t.url("/quan-tri/co-quan/moi"))
        .form(&[
            ("_csrf", token.as_str()),
            ("identifier", "000.00.31.H53"),
            ("kind", "department"),
            ("name", "Sở Du lịch"),
            ("parent_identifier", "000.00.00.H53"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        t.app
            .store
            .agency_by_identifier("000.00.31.H53")
            .await
            .unwrap()
            .is_some()
    );
    t.stop().await;
}

#[tokio::test]
async fn api_keys_work_by_scope_and_stop_when_revoked() {
    let t = TestApp::sqlite().await;
    let (admin, csrf) = t.login("quantri@tayninh.demo").await;
    let r = admin
        .post(t.url("/api/v1/api-keys"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "Cổng DVC quốc gia", "scopes": ["audit:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let k: serde_json::Value = r.json().await.unwrap();
    let token = k["token"].as_str().unwrap().to_string();
    let keys: Vec<serde_json::Value> = admin
        .get(t.url("/api/v1/api-keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !serde_json::to_string(&keys).unwrap().contains(&token),
        "the secret is shown once only"
    );
    let c = reqwest::Client::new();
    let r = c
        .get(t.url("/api/v1/audit?limit=5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let entries: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["seq"], 1);
    // The key has no users:read scope.
    problem(
        c.get(t.url("/api/v1/users"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        403,
        "auth.forbidden",
    )
    .await;
    // Keys need no CSRF token, but cannot manage keys.
    problem(
        c.post(t.url("/api/v1/api-keys"))
            .bearer_auth(&token)
            .json(&json!({"name": "x", "scopes": ["audit:read"]}))
            .send()
            .await
            .unwrap(),
        403,
        "auth.forbidden",
    )
    .await;
    let r = admin
        .delete(t.url(&format!(
            "/api/v1/api-keys/{}",
            k["key"]["id"].as_str().unwrap()
        )))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    problem(
        c.get(t.url("/api/v1/audit"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        401,
        "auth.unauthenticated",
    )
    .await;
    problem(
        c.get(t.url("/api/v1/audit"))
            .bearer_auth("cqdt_000000000000_bogus")
            .send()
            .await
            .unwrap(),
        401,
        "auth.unauthenticated",
    )
    .await;
    t.stop().await;
}

#[tokio::test]
async fn pages_label_their_fields_and_show_errors_beside_them() {
    let t = TestApp::sqlite().await;
    let c = TestApp::client();
    let page = c.get(t.url("/dang-ky")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let set_cookie = page
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
    // Every visible input has a label pointing at it.
    for id in html
        .split("<input id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
    {
        assert!(
            html.contains(&format!("for=\"{id}\"")),
            "input {id} has no label"
        );
    }
    let token = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = c
        .post(t.url("/dang-ky"))
        .form(&[
            ("_csrf", token.as_str()),
            ("kind", "citizen"),
            ("full_name", "Phan Văn Ba"),
            ("login", "0912"),
            ("password", "mật khẩu 123"),
            ("password_confirm", "mật khẩu 123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "error summary");
    assert!(
        html.contains("<a href=\"#f-login\">"),
        "summary links to the field"
    );
    assert!(
        html.contains("id=\"e-login\">Nhập số điện thoại gồm 10 chữ số"),
        "message beside the field"
    );
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"e-login\""));
    assert!(
        html.contains("value=\"Phan Văn Ba\""),
        "what was typed is kept"
    );
    // Login page, then the home page greets by name.
    let r = c
        .post(t.url("/dang-ky"))
        .form(&[
            ("_csrf", token.as_str()),
            ("kind", "citizen"),
            ("full_name", "Phan Văn Ba"),
            ("login", "0912 345 679"),
            ("password", "mật khẩu 123"),
            ("password_confirm", "mật khẩu 123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/dang-nhap?registered");
    let r = c
        .post(t.url("/dang-nhap"))
        .form(&[
            ("_csrf", token.as_str()),
            ("login", "0912345679"),
            ("password", "mật khẩu 123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let home = c
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Phan Văn Ba"));
    // English through the switch.
    let r = c.get(t.url("/ngon-ngu/en")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let html = c
        .get(t.url("/dang-nhap"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Log in"));
    t.stop().await;
}

#[tokio::test]
async fn logout_and_logout_everywhere_end_sessions() {
    let t = TestApp::sqlite().await;
    let (a, a_csrf) = t.login("motcua@tayninh.demo").await;
    let (b, _) = t.login("motcua@tayninh.demo").await;
    assert_eq!(
        b.get(t.url("/api/v1/me")).send().await.unwrap().status(),
        200
    );
    let r = a
        .post(t.url("/api/v1/auth/logout-all"))
        .header("x-csrf-token", &a_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["ended"], 2);
    problem(
        b.get(t.url("/api/v1/me")).send().await.unwrap(),
        401,
        "auth.unauthenticated",
    )
    .await;
    problem(
        a.get(t.url("/api/v1/me")).send().await.unwrap(),
        401,
        "auth.unauthenticated",
    )
    .await;
    t.stop().await;
}

#[tokio::test]
async fn health_readiness_and_agency_import_over_http() {
    let t = TestApp::sqlite().await;
    let c = TestApp::client();
    assert_eq!(
        c.get(t.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    assert_eq!(c.get(t.url("/readyz")).send().await.unwrap().status(), 200);
    let (admin, csrf) = t.login("quantri@tayninh.demo").await;
    let csv = "identifier,parent_identifier,kind,name\n001.01.20.H53,000.01.20.H53,unit,Tổ một cửa phường 1\n001.02.20.H53,000.09.99.H53,unit,Sai cấp trên\n";
    let r = admin
        .post(t.url("/api/v1/agencies/import?format=csv"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let v = problem(r, 422, "import.failed").await;
    assert_eq!(v["errors"][0]["line"], 3);
    assert_eq!(v["errors"][0]["code"], "agency.parent_not_found");
    assert!(
        t.app
            .store
            .agency_by_identifier("001.01.20.H53")
            .await
            .unwrap()
            .is_none(),
        "nothing half-imported"
    );
    // A header without a required column is a bad file (422), reported on line 1.
    let r = admin
        .post(t.url("/api/v1/agencies/import?format=csv"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body("identifier,kind\n001.01.20.H53,unit\n")
        .send()
        .await
        .unwrap();
    let v = problem(r, 422, "import.format").await;
    assert_eq!(v["errors"][0]["line"], 1);
    assert_eq!(v["errors"][0]["field"], "name");
    assert_eq!(v["errors"][0]["code"], "request.missing_field");
    let csv = csv.lines().take(2).collect::<Vec<_>>().join("\n");
    let r = admin
        .post(t.url("/api/v1/agencies/import?format=csv"))
        .header("x-csrf-token", &csrf)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["inserted"], 1);
    let export = c
        .get(t.url("/api/v1/agencies/export?format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(export.lines().count(), 1 + 124 + 1);
    assert!(export.contains("001.01.20.H53,000.01.20.H53,4,unit,Tổ một cửa phường 1"));
    t.stop().await;
}
