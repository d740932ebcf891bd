//! The working calendar over HTTP: `GET /api/v1/calendar/{year}`, `PUT`/`DELETE
//! /api/v1/calendar/{year}/notice`, `POST /api/v1/deadlines` and the page `/lich-lam-viec`,
//! called through the router with `tower::ServiceExt::oneshot` on a fresh SQLite database with
//! the demo accounts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::NaiveDate;
use cqdt_app::{App, AppConfig};
use cqdt_domain::calendar::{
    DeadlineEngine, DeadlineQuery, NoticeDayOff, OffKind, WorkingCalendar, WorkingHours,
    bundled_notices,
};
use cqdt_store::testing::TestDb;
use cqdt_web::api::{DeadlineAnswerDto, DeadlineQueryDto, NoticeDto, YearViewDto};
use cqdt_web::{AppState, WebConfig};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tower::ServiceExt;
use utoipa::OpenApi;

const PASSWORD: &str = cqdt_app::demo::DEMO_PASSWORD;
const ADMIN: &str = "quantri@tayninh.demo";
const CLERK: &str = "vanthu@tayninh.demo";

struct Harness {
    router: Router,
    app: App,
    _db: TestDb,
}

async fn harness() -> Harness {
    let db = TestDb::sqlite().await.unwrap();
    let config = AppConfig {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..AppConfig::default()
    };
    let app = App::new(db.store.clone(), config);
    app.seed_demo().await.unwrap();
    let state = AppState {
        app: app.clone(),
        web: Arc::new(WebConfig::default()),
        ready: Arc::new(AtomicBool::new(true)),
    };
    Harness {
        router: cqdt_web::router(state),
        app,
        _db: db,
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

impl Harness {
    async fn call(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str, who: Option<&Login>) -> Reply {
        let mut b = Request::builder().uri(uri);
        if let Some(l) = who {
            b = b.header(header::COOKIE, &l.cookie);
        }
        self.call(b.body(Body::empty()).unwrap()).await
    }

    /// A JSON request; with a session, the CSRF header too.
    async fn send(&self, method: &str, uri: &str, body: &str, who: Option<&Login>) -> Reply {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(l) = who {
            b = b
                .header(header::COOKIE, &l.cookie)
                .header("x-csrf-token", &l.csrf);
        }
        self.call(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A page form post (urlencoded, or a prepared multipart body).
    async fn post_form(&self, uri: &str, content_type: &str, body: Vec<u8>, who: &Login) -> Reply {
        let req = Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::COOKIE, &who.cookie)
            .body(Body::from(body))
            .unwrap();
        self.call(req).await
    }

    async fn login(&self, login: &str) -> Login {
        let r = self
            .send(
                "POST",
                "/api/v1/auth/login",
                &json!({"login": login, "password": PASSWORD}).to_string(),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let cookie = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("cqdt_session="))
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_string();
        Login {
            cookie,
            csrf: r.json()["csrf_token"].as_str().unwrap().to_string(),
        }
    }
}

struct Login {
    cookie: String,
    csrf: String,
}

fn day<'a>(year: &'a Value, date: &str) -> &'a Value {
    year["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("no day {date}"))
}

/// The bundled 2019 notice with one more day off (Tuesday 3/9/2019) and a new version.
fn edited_2019() -> String {
    let mut n = bundled_notices()
        .unwrap()
        .into_iter()
        .find(|n| n.year == 2019)
        .unwrap();
    n.version = "2019.2".into();
    n.days_off.push(NoticeDayOff {
        date: NaiveDate::from_ymd_opt(2019, 9, 3).unwrap(),
        kind: OffKind::Holiday,
        name: "Quốc khánh (ngày nghỉ thêm, thử nghiệm)".into(),
    });
    n.to_json().unwrap()
}

#[tokio::test]
async fn get_calendar_2019_has_tet_and_national_day() {
    let h = harness().await;
    let r = h.get("/api/v1/calendar/2019", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let y = r.json();
    assert_eq!(y["year"], 2019);
    // Tết Kỷ Hợi: Tuesday 5 February 2019 (mùng 1), a holiday like the whole week 4–8/2.
    assert_eq!(y["tet"], "2019-02-05");
    let tet = day(&y, "2019-02-05");
    assert_eq!(tet["kind"], "holiday");
    assert_eq!(tet["working"], false);
    assert_eq!(tet["name"], "Tết Nguyên đán");
    assert_eq!(
        tet["lunar"],
        json!({"year": 2019, "month": 1, "day": 1, "leap": false})
    );
    // Quốc khánh 2/9/2019 (a Monday).
    let national = day(&y, "2019-09-02");
    assert_eq!(national["kind"], "holiday");
    assert_eq!(national["working"], false);
    assert!(
        y["days_off"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["date"] == "2019-09-02" && d["kind"] == "holiday")
    );
    // The swapped Saturday 4/5/2019 and Giỗ Tổ.
    assert_eq!(day(&y, "2019-05-04")["kind"], "swapped_working");
    assert_eq!(y["gio_to_hung_vuong"], "2019-04-14");
    assert_eq!(y["source"]["kind"], "notice");
    assert_eq!(y["source"]["version"], "2019.1");
    assert_eq!(y["stored_notice"], false);
    assert_eq!(y["working_hours"]["morning"]["start"], "07:30:00");
    assert_eq!(y["days"].as_array().unwrap().len(), 365);
    let version = y["calendar_version"].as_str().unwrap();
    assert_eq!(
        version,
        WorkingCalendar::vietnam_default().unwrap().version()
    );

    // The version is the ETag: a client that has it gets 304.
    let etag = r.headers.get(header::ETAG).unwrap().to_str().unwrap();
    let again = h
        .call(
            Request::builder()
                .uri("/api/v1/calendar/2019")
                .header(header::IF_NONE_MATCH, etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    // Out of range and not a year.
    let r = h.get("/api/v1/calendar/1999", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "calendar.year_out_of_range");
    let r = h.get("/api/v1/calendar/hai-nghin", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
}

#[tokio::test]
async fn put_notice_changes_the_year_and_version_and_is_audited() {
    let h = harness().await;
    let admin = h.login(ADMIN).await;
    let before = h.get("/api/v1/calendar/2019", None).await.json();
    let v0 = before["calendar_version"].as_str().unwrap().to_string();
    assert_eq!(day(&before, "2019-09-03")["working"], true);

    let r = h
        .send(
            "PUT",
            "/api/v1/calendar/2019/notice",
            &edited_2019(),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["stored_notice"], true);

    let after = h.get("/api/v1/calendar/2019", None).await.json();
    let v1 = after["calendar_version"].as_str().unwrap().to_string();
    assert_ne!(v1, v0, "any edit gives a new calendar version");
    assert_eq!(after["source"]["version"], "2019.2");
    assert_eq!(after["stored_notice"], true);
    let extra = day(&after, "2019-09-03");
    assert_eq!(
        (extra["kind"].as_str(), extra["working"].as_bool()),
        (Some("holiday"), Some(false))
    );
    assert_eq!(
        after["working_days"].as_u64().unwrap() + 1,
        before["working_days"].as_u64().unwrap()
    );

    // The audit log has the edit, by the administrator, with before and after digests.
    let log = h.get("/api/v1/audit?limit=500", Some(&admin)).await.json();
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "calendar.notice_put");
    assert_eq!(last["target_type"], "calendar_notice");
    assert_eq!(last["target_id"], "2019");
    assert!(last["actor"].as_str().unwrap().starts_with("user:"));
    assert!(last["before_digest"].is_string() && last["after_digest"].is_string());
    assert_ne!(last["before_digest"], last["after_digest"]);

    // Deadlines now use the new calendar (and say so).
    let q = json!({"kind": "due", "received_at": "2019-08-30T09:00:00", "duration": {"days": 1}});
    let a = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await
        .json();
    // Friday 30/8 → Monday 2/9 and Tuesday 3/9 are off → Wednesday 4/9.
    assert_eq!(a["due"], "2019-09-04T17:00:00");
    assert_eq!(a["calendar_version"], v1.as_str());

    // Removing the stored notice brings back the bundled one and its version.
    let r = h
        .send("DELETE", "/api/v1/calendar/2019/notice", "", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let y = r.json();
    assert_eq!(y["calendar_version"], v0.as_str());
    assert_eq!(y["stored_notice"], false);
    assert_eq!(day(&y, "2019-09-03")["working"], true);
    let r = h
        .send("DELETE", "/api/v1/calendar/2019/notice", "", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "calendar.notice_not_found");
    let log = h.get("/api/v1/audit?limit=500", Some(&admin)).await.json();
    assert_eq!(
        log.as_array().unwrap().last().unwrap()["action"],
        "calendar.notice_delete"
    );
    assert_eq!(
        h.get("/api/v1/audit/verify", Some(&admin)).await.json()["intact"],
        true
    );
}

#[tokio::test]
async fn only_platform_administrators_may_edit_notices() {
    let h = harness().await;
    let body = edited_2019();
    // Anonymous: 401.
    let r = h
        .send("PUT", "/api/v1/calendar/2019/notice", &body, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "auth.unauthenticated");
    // A clerk (staff, not an administrator): 403, and nothing changes.
    let clerk = h.login(CLERK).await;
    let r = h
        .send("PUT", "/api/v1/calendar/2019/notice", &body, Some(&clerk))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.code(), "auth.forbidden");
    let r = h
        .send("DELETE", "/api/v1/calendar/2019/notice", "", Some(&clerk))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An API key that may read the calendar may not change it.
    let key = h
        .app
        .api_key_create(
            &cqdt_app::Ctx::cli(),
            "Hệ thống một cửa",
            &["calendar:read".into()],
            None,
        )
        .await
        .unwrap();
    let req = Request::builder()
        .method("PUT")
        .uri("/api/v1/calendar/2019/notice")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", key.token))
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(h.call(req).await.status, StatusCode::FORBIDDEN);
    let y = h.get("/api/v1/calendar/2019", None).await.json();
    assert_eq!(y["stored_notice"], false);
    assert_eq!(y["source"]["version"], "2019.1");
    // The clerk still reads the calendar and computes deadlines.
    assert_eq!(
        h.get("/api/v1/calendar/2019", Some(&clerk)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn put_notice_rejects_bad_input_with_stable_codes() {
    let h = harness().await;
    let admin = h.login(ADMIN).await;
    // The year in the path must be the notice's.
    let r = h
        .send(
            "PUT",
            "/api/v1/calendar/2020/notice",
            &edited_2019(),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "calendar.year_mismatch");
    assert_eq!(r.json()["field"], "year");
    // A worked day that is not a weekend day breaks the notice rules.
    let bad = edited_2019().replace("\"2019-05-04\"", "\"2019-05-03\"");
    let r = h
        .send("PUT", "/api/v1/calendar/2019/notice", &bad, Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "calendar.invalid_notice");
    assert_eq!(r.json()["field"], "notice");
    // Shape errors name the field.
    let mut v: Value = serde_json::from_str(&edited_2019()).unwrap();
    v["colour"] = json!("red");
    let r = h
        .send(
            "PUT",
            "/api/v1/calendar/2019/notice",
            &v.to_string(),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "request.unknown_field");
    assert_eq!(r.json()["field"], "colour");
    // Without the CSRF header a cookie session cannot write.
    let req = Request::builder()
        .method("PUT")
        .uri("/api/v1/calendar/2019/notice")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &admin.cookie)
        .body(Body::from(edited_2019()))
        .unwrap();
    let r = h.call(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "auth.csrf_failed");
    assert!(h.app.store.calendar_notices().await.unwrap().is_empty());
}

#[tokio::test]
async fn deadline_across_30_april_and_1_may_2019() {
    let h = harness().await;
    // Received Monday 29/4/2019 at 10:00, 3 working days. By the 2019 notice (Thông báo
    // 3238/TB-LĐTBXH) Monday 29/4 is a swapped day off (worked back on Saturday 4/5), and
    // Tuesday 30/4 and Wednesday 1/5 are holidays. A dossier received on a day off counts as
    // received on the next working day, Thursday 2/5, which is not counted itself (Bộ luật Dân
    // sự Art. 147). The three working days are Friday 3/5, Saturday 4/5 (the swapped working
    // Saturday) and Monday 6/5, so the due date is Monday 6/5/2019 at the close of the
    // afternoon session, 17:00. (Had 29/4 been an ordinary working day, it would have been the
    // receipt day and the days Thursday 2/5, Friday 3/5, Monday 6/5: the same due date.)
    let q = json!({"kind": "due", "received_at": "2019-04-29T10:00:00", "duration": {"days": 3}});
    let r = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = r.json();
    assert_eq!(a["kind"], "due");
    assert_eq!(a["due"], "2019-05-06T17:00:00");
    assert_eq!(a["legal_due"], "2019-05-06T17:00:00");
    assert_eq!(a["appointment"], "2019-05-06T17:00:00");
    assert_eq!(a["counting_from"], "2019-05-03T07:30:00");
    assert_eq!(
        a["calendar_version"],
        WorkingCalendar::vietnam_default().unwrap().version()
    );
    assert_eq!(a["working_hours"]["paper_handover_cutoff"], "15:00:00");

    // The working time between Friday 26/4 09:00 and Monday 6/5 09:00: the rest of 26/4
    // (2h30 + 3h30 = 6h), Thursday 2/5, Friday 3/5 and Saturday 4/5 (7h30 each) and 1h30 of
    // Monday 6/5 → 30 hours = 1800 minutes = 4 days of 7h30 exactly (29/4, 30/4 and 1/5 and
    // the weekend 27–28/4 and Sunday 5/5 count nothing).
    let q = json!({"kind": "elapsed", "from": "2019-04-26T09:00:00", "to": "2019-05-06T09:00:00"});
    let a = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await
        .json();
    assert_eq!(a["kind"], "elapsed");
    assert_eq!(a["working_time"]["minutes"], 1800);
    assert_eq!(a["working_time"]["days"], 4);
    assert_eq!(a["working_time"]["remainder_minutes"], 0);

    // An agency with other office hours: 07:00–11:00, 13:00–17:00.
    let q = json!({"kind": "due", "received_at": "2019-04-29T10:00:00", "duration": {"half_days": 1},
        "working_hours": {"morning": {"start": "07:00:00", "end": "11:00:00"},
                          "afternoon": {"start": "13:00:00", "end": "17:00:00"},
                          "paper_handover_cutoff": "15:00:00"}});
    let a = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await
        .json();
    // Received on a day off: the receipt session is the next one, Thursday 2/5 morning, and
    // is not counted; the one half-day is that afternoon, from 13:00 (these hours) to 17:00.
    assert_eq!(a["working_hours"]["morning"]["start"], "07:00:00");
    assert_eq!(a["counting_from"], "2019-05-02T13:00:00", "{a}");
    assert_eq!(a["due"], "2019-05-02T17:00:00");

    // Errors: bad office hours, overlapping pauses, unknown field, wrong media type.
    let q = json!({"kind": "elapsed", "from": "2019-04-26T09:00:00", "to": "2019-05-06T09:00:00",
        "working_hours": {"morning": {"start": "11:00:00", "end": "07:00:00"},
                          "afternoon": {"start": "13:00:00", "end": "17:00:00"},
                          "paper_handover_cutoff": "15:00:00"}});
    let r = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "calendar.invalid_working_hours");
    assert_eq!(r.json()["field"], "working_hours");
    let q = json!({"kind": "due", "received_at": "2019-04-29T10:00:00", "duration": {"days": 3},
        "pauses": [{"reason": "supplement", "from": "2019-05-03T08:00:00", "until": "2019-05-03T07:00:00"}]});
    let r = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await;
    assert_eq!(r.code(), "calendar.invalid_pause");
    let q = json!({"kind": "due", "received_at": "2019-04-29T10:00:00", "duration": {"days": 3}, "agency": "x"});
    let r = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "request.unknown_field");
    let q = json!({"kind": "due", "received_at": "2150-04-29T10:00:00", "duration": {"days": 3}});
    let r = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "2150 is inside the calendar");
    let q = json!({"kind": "due", "received_at": "1990-04-29T10:00:00", "duration": {"days": 3}});
    let r = h
        .send("POST", "/api/v1/deadlines", &q.to_string(), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.code().starts_with("calendar."), "{}", r.code());
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/deadlines")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(h.call(req).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// The API's DTOs serialise exactly like the domain values they mirror, so the OpenAPI
/// schemas describe what is really sent.
#[tokio::test]
async fn dtos_match_the_domain_serialisation() {
    let calendar = WorkingCalendar::vietnam_default().unwrap();
    for year in [2019, 2020, 2023, 2025, 2030] {
        let view = calendar.year(year).unwrap();
        let mut dto = serde_json::to_value(YearViewDto::new(&view, false)).unwrap();
        let obj = dto.as_object_mut().unwrap();
        assert!(obj.remove("stored_notice").is_some());
        assert_eq!(
            obj.remove("working_hours").unwrap(),
            serde_json::to_value(WorkingHours::default()).unwrap()
        );
        assert_eq!(dto, serde_json::to_value(&view).unwrap(), "{year}");
    }
    // The request example of docs/calendar.md, through the DTO and straight into the domain.
    let example = json!({
        "kind": "due",
        "received_at": "2019-02-01T09:00:00",
        "duration": {"days": 3},
        "start": "receipt",
        "steps": [{"name": "Bộ phận Một cửa", "duration": {"half_days": 1}},
                  {"name": "Phòng chuyên môn", "duration": {"half_days": 5}}],
        "pauses": [{"reason": "supplement", "from": "2019-02-11T08:00:00", "until": "2019-02-11T10:00:00"}],
        "extension": {"requested_at": "2019-02-13T09:00:00", "target": {"until_date": "2019-02-15"}},
        "finished_at": "2019-02-14T16:00:00"
    });
    let direct: DeadlineQuery = serde_json::from_value(example.clone()).unwrap();
    let dto: DeadlineQueryDto = serde_json::from_value(example.clone()).unwrap();
    let (via_dto, hours) = dto.into_query().unwrap();
    assert_eq!(via_dto, direct);
    assert_eq!(hours, WorkingHours::default());
    let engine = DeadlineEngine::new(&calendar, WorkingHours::default());
    for q in [
        direct,
        serde_json::from_value(
            json!({"kind": "elapsed", "from": "2019-02-01T09:00:00", "to": "2019-02-14T16:00:00"}),
        )
        .unwrap(),
    ] {
        let answer = engine.answer(&q).unwrap();
        assert_eq!(
            serde_json::to_value(DeadlineAnswerDto::from(&answer)).unwrap(),
            serde_json::to_value(&answer).unwrap()
        );
    }
    // And over HTTP the same answer comes back.
    let h = harness().await;
    let r = h
        .send("POST", "/api/v1/deadlines", &example.to_string(), None)
        .await;
    let expected = engine
        .answer(&serde_json::from_value(example).unwrap())
        .unwrap();
    assert_eq!(r.json(), serde_json::to_value(&expected).unwrap());
    // Every bundled notice reads into the API's notice schema and back unchanged.
    for n in bundled_notices().unwrap() {
        let original: Value = serde_json::from_str(&n.to_json().unwrap()).unwrap();
        let dto: NoticeDto = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(serde_json::to_value(&dto).unwrap(), original, "{}", n.year);
    }
}

#[tokio::test]
async fn the_calendar_routes_are_documented() {
    let doc = serde_json::to_value(cqdt_web::api::ApiDoc::openapi()).unwrap();
    let paths = &doc["paths"];
    assert!(paths["/api/v1/calendar/{year}"]["get"].is_object());
    assert!(paths["/api/v1/calendar/{year}/notice"]["put"].is_object());
    assert!(paths["/api/v1/calendar/{year}/notice"]["delete"].is_object());
    assert!(paths["/api/v1/deadlines"]["post"].is_object());
    let schemas = &doc["components"]["schemas"];
    for s in [
        "YearViewDto",
        "DayInfoDto",
        "NoticeDto",
        "DeadlineQueryDto",
        "DeadlineAnswerDto",
        "DeadlineOutcomeDto",
        "WorkDurationDto",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
    let h = harness().await;
    let r = h.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["paths"]["/api/v1/deadlines"].is_object());
}

#[tokio::test]
async fn calendar_page_shows_the_year_and_lets_administrators_edit_it() {
    let h = harness().await;
    // Public: twelve month grids, Monday first, holidays marked by symbol and name.
    let r = h.get("/lich-lam-viec?nam=2019", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text();
    assert_eq!(page.matches("<table class=\"cal-month\">").count(), 12);
    assert_eq!(page.matches("<caption>").count(), 12);
    assert!(
        page.contains("<caption>Tháng 1 năm 2019 <span class=\"cal-count\">(23 ngày làm việc)"),
        "22 weekdays after 1/1, plus Saturday 5/1 worked"
    );
    assert!(page.contains("<abbr title=\"Thứ Hai\">T2</abbr>"));
    assert!(page.contains("<abbr title=\"Chủ nhật\">CN</abbr>"));
    assert!(page.contains("title=\"Tết Nguyên đán — Ngày lễ, Tết\""));
    assert!(page.contains("Mùng 1 Tết"));
    assert!(page.contains("Giỗ Tổ"));
    assert!(page.contains("★"));
    assert!(page.contains("Làm bù"));
    assert!(page.contains(WorkingCalendar::vietnam_default().unwrap().version()));
    assert!(page.contains("Thông báo 3238/TB-LĐTBXH"));
    assert!(page.contains("href=\"/lich-lam-viec?nam=2018\""));
    assert!(page.contains("href=\"/lich-lam-viec?nam=2020\""));
    assert!(page.contains("href=\"/lich-lam-viec\""), "nav link");
    assert!(!page.contains("<textarea"), "no form for the public");
    // January 2019 starts on a Tuesday: one blank cell, then 1 (with its lunar date 26/11).
    let jan = page.split("<table class=\"cal-month\">").nth(1).unwrap();
    let first_row = jan
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        first_row.starts_with("\n  <tr><td class=\"blank\"></td><td class=\"holiday\""),
        "{first_row}"
    );
    assert!(first_row.contains("26/11"));
    // English labels come from the other catalogue (pages follow the language switch's cookie).
    let r = h
        .call(
            Request::builder()
                .uri("/lich-lam-viec?nam=2019")
                .header(header::COOKIE, "cqdt_lang=en")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let page = r.text();
    assert!(page.contains("<abbr title=\"Monday\">Mon</abbr>"));
    assert!(page.contains("<caption>December 2019 "));

    // A clerk sees no form.
    let clerk = h.login(CLERK).await;
    assert!(
        !h.get("/lich-lam-viec?nam=2027", Some(&clerk))
            .await
            .text()
            .contains("<textarea")
    );

    // The administrator sees the draft for 2027 (from the rules) and saves it once the legal
    // reference is filled in.
    let admin = h.login(ADMIN).await;
    let page = h.get("/lich-lam-viec?nam=2027", Some(&admin)).await.text();
    assert!(page.contains("<textarea id=\"f-notice\""));
    assert!(page.contains(&format!("name=\"_csrf\" value=\"{}\"", admin.csrf)));
    assert!(
        !page.contains("/quan-tri/lich-lam-viec/2027/xoa"),
        "nothing stored yet"
    );
    let draft = h
        .app
        .calendar_notice_draft(&cqdt_app::Ctx::cli(), 2027)
        .await
        .unwrap();
    let form = |notice: &str, year: &str, csrf: &str| {
        serde_urlencoded::to_string([("_csrf", csrf), ("nam", year), ("notice", notice)])
            .unwrap()
            .into_bytes()
    };
    let urlencoded = "application/x-www-form-urlencoded";
    // Without a legal reference: refused beside the field, the text kept.
    let r = h
        .post_form(
            "/quan-tri/lich-lam-viec/thong-bao",
            urlencoded,
            form(&draft, "2027", &admin.csrf),
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text();
    assert!(page.contains("id=\"e-notice\""));
    assert!(page.contains("href=\"#f-notice\""));
    assert!(
        page.contains("legal_reference is empty"),
        "the engine's detail"
    );
    assert!(page.contains("cqdt.calendar.notice/1"), "the text is kept");
    // A notice of another year than the one shown.
    let r = h
        .post_form(
            "/quan-tri/lich-lam-viec/thong-bao",
            urlencoded,
            form(&edited_2019(), "2027", &admin.csrf),
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Năm trong thông báo không khớp"));
    // A bad CSRF token.
    let filled = draft.replace(
        "\"legal_reference\": \"\"",
        "\"legal_reference\": \"Thông báo thử nghiệm\"",
    );
    assert_ne!(filled, draft);
    let r = h
        .post_form(
            "/quan-tri/lich-lam-viec/thong-bao",
            urlencoded,
            form(&filled, "2027", "wrong"),
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Saved, as an uploaded file (multipart).
    let boundary = "cqdtBoundary7MA4YWxk";
    let mut body = String::new();
    for (name, value, file) in [
        ("_csrf", admin.csrf.as_str(), false),
        ("nam", "2027", false),
        ("notice", "", false),
        ("file", filled.as_str(), true),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
        ));
        if file {
            body.push_str("; filename=\"vn-2027.json\"\r\nContent-Type: application/json");
        }
        body.push_str(&format!("\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let r = h
        .post_form(
            "/quan-tri/lich-lam-viec/thong-bao",
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.headers.get(header::LOCATION).unwrap(),
        "/lich-lam-viec?nam=2027&msg=saved"
    );
    let page = h
        .get("/lich-lam-viec?nam=2027&msg=saved", Some(&admin))
        .await
        .text();
    assert!(page.contains("Đã lưu thông báo lịch nghỉ"));
    assert!(page.contains("Thông báo thử nghiệm"));
    assert!(page.contains("do quản trị viên tải lên"));
    assert!(page.contains("/quan-tri/lich-lam-viec/2027/xoa"));
    // Removed again.
    let r = h
        .post_form(
            "/quan-tri/lich-lam-viec/2027/xoa",
            urlencoded,
            serde_urlencoded::to_string([("_csrf", admin.csrf.as_str())])
                .unwrap()
                .into_bytes(),
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(h.app.store.calendar_notices().await.unwrap().is_empty());
    // The clerk cannot post the form.
    let r = h
        .post_form(
            "/quan-tri/lich-lam-viec/thong-bao",
            urlencoded,
            form(&filled, "2027", &clerk.csrf),
            &clerk,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(h.app.store.calendar_notices().await.unwrap().is_empty());
}
