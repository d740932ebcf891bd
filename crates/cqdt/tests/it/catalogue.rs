//! The procedure catalogue's export and import over HTTP, in both formats: the file's type
//! and name, a round trip that changes nothing, line-numbered errors of a CSV file.

use crate::{TestApp, problem};
use serde_json::Value;

#[tokio::test]
async fn catalogue_export_and_import_round_trip_over_http() {
    for t in TestApp::all("catalogue_http").await {
        let (admin, csrf) = t.login("quantri@tayninh.demo").await;

        // JSON by default.
        let r = admin
            .get(t.url("/api/v1/procedures/export"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"thu-tuc.json\""
        );
        let json = r.bytes().await.unwrap();
        let items: Vec<Value> = serde_json::from_slice(&json).unwrap();
        let n = items.len();
        assert!(n >= 20, "{n} demo procedures on {}", t.backend());

        let r = admin
            .get(t.url("/api/v1/procedures/export?format=csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"thu-tuc.csv\""
        );
        let csv = r.bytes().await.unwrap();
        assert!(csv.starts_with(b"national_code,"));

        // Both files import back unchanged.
        for (url, body, ct) in [
            (
                "/api/v1/procedures/import",
                json.clone(),
                "application/json",
            ),
            (
                "/api/v1/procedures/import?format=json",
                json.clone(),
                "application/json",
            ),
            (
                "/api/v1/procedures/import?format=csv",
                csv.clone(),
                "text/csv",
            ),
            (
                "/api/v1/procedures/import",
                csv.clone(),
                "text/csv; charset=utf-8",
            ),
            (
                "/api/v1/procedures/import?format=json",
                json.clone(),
                "text/plain",
            ),
        ] {
            let r = admin
                .post(t.url(url))
                .header("x-csrf-token", &csrf)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{url}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(
                (&v["inserted"], &v["new_versions"], &v["unchanged"]),
                (&Value::from(0), &Value::from(0), &Value::from(n)),
                "{url}"
            );
        }

        // A bad CSV row: its line and column.
        let text = String::from_utf8(csv.to_vec()).unwrap();
        let mut lines: Vec<&str> = text.lines().take(3).collect();
        let bad = lines[2].replacen(|c: char| c.is_ascii_digit(), "x", 1);
        lines[2] = &bad;
        let r = admin
            .post(t.url("/api/v1/procedures/import?format=csv"))
            .header("x-csrf-token", &csrf)
            .body(lines.join("\n"))
            .send()
            .await
            .unwrap();
        let v = problem(r, 422, "import.failed").await;
        assert_eq!(v["errors"][0]["line"], 3, "{v}");
        assert_eq!(v["errors"][0]["field"], "national_code", "{v}");

        // A bad format; someone not signed in.
        let r = admin
            .get(t.url("/api/v1/procedures/export?format=xml"))
            .send()
            .await
            .unwrap();
        problem(r, 422, "validation.invalid_choice").await;
        let r = TestApp::client()
            .post(t.url("/api/v1/procedures/import?format=csv"))
            .body(csv.clone())
            .send()
            .await
            .unwrap();
        problem(r, 401, "auth.unauthenticated").await;
        t.stop().await;
    }
}

fn cqdt(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cqdt"))
        .args(args)
        .current_dir(dir)
        .env_remove("CQDT__DATABASE__URL")
        .env("CQDT__SECURITY__ARGON2_MEMORY_KIB", "256")
        .env("CQDT__SECURITY__ARGON2_ITERATIONS", "1")
        .output()
        .expect("run cqdt");
    assert!(
        o.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[tokio::test]
async fn catalogue_export_and_import_from_the_command_line() {
    let dir = cqdt_store::testing::TempDir::new("cli-catalogue").unwrap();
    let d = dir.0.as_path();
    let example = cqdt(d, &["config", "example"]).stdout;
    std::fs::write(d.join("cqdt.toml"), example).unwrap();
    cqdt(d, &["migrate"]);
    cqdt(d, &["seed", "--demo"]);
    // The format from the file name; JSON on standard output by default.
    cqdt(d, &["procedures", "export", "thu-tuc.csv"]);
    let csv = std::fs::read_to_string(d.join("thu-tuc.csv")).unwrap();
    assert!(csv.starts_with("national_code,"), "{csv}");
    let json = cqdt(d, &["procedures", "export"]).stdout;
    let items: Vec<Value> = serde_json::from_slice(&json).unwrap();
    let n = items.len();
    let out = cqdt(d, &["procedures", "import", "thu-tuc.csv"]).stdout;
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(&format!("0 phiên bản mới, {n} không đổi")),
        "{out}"
    );
    std::fs::write(d.join("catalogue.txt"), &json).unwrap();
    let out = cqdt(
        d,
        &["procedures", "import", "--format", "json", "catalogue.txt"],
    )
    .stdout;
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains(&format!("{n} không đổi"))
    );
}
