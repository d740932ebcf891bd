//! Every API route has an OpenAPI entry, and every entry is served.

use crate::TestApp;
use std::collections::BTreeSet;

/// (METHOD, path) pairs registered in `crates/web/src/api.rs` `routes()`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let src = include_str!("../../../web/src/api.rs");
    let body = src.split("pub fn routes(").nth(1).expect("routes function");
    let mut out = BTreeSet::new();
    for call in body.split(".route(").skip(1) {
        // rustfmt may put the arguments on their own lines.
        let call = call
            .trim_start()
            .strip_prefix('"')
            .expect("route path literal");
        let path = call.split('"').next().unwrap().to_string();
        let handlers = call.split_once(',').map(|x| x.1).unwrap_or("");
        let handlers = handlers.split(".route(").next().unwrap_or("");
        for m in ["get", "post", "put", "delete", "patch"] {
            // `get(handler)`, `.post(handler)`, `routing::delete(handler)`: the method name as a
            // whole word followed by an opening parenthesis.
            let pat = format!("{m}(");
            let found = handlers.match_indices(&pat).any(|(i, _)| {
                i == 0 || !handlers[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if found {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_answers() {
    let t = TestApp::sqlite().await;
    let c = TestApp::client();
    let doc: serde_json::Value = c
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in item.as_object().unwrap().keys() {
            documented.insert((m.to_uppercase(), path.clone()));
        }
    }
    let registered = routes_in_source();
    assert!(registered.len() >= 20, "parsed {registered:?}");
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes without an OpenAPI entry: {undocumented:?}"
    );
    let unserved: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unserved.is_empty(),
        "OpenAPI entries without a route: {unserved:?}"
    );
    // And the server really answers each documented pair with something other than 404/405.
    for (m, path) in &documented {
        let url = t.url(
            &path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{grant_id}", "00000000-0000-0000-0000-000000000000")
                .replace("{year}", "2025"),
        );
        let r = c.request(m.parse().unwrap(), &url).send().await.unwrap();
        let code = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = r.text().await.unwrap_or_default();
        assert!(
            !body.contains("\"request.not_found\"") && !body.contains("request.method_not_allowed"),
            "{m} {path} is not routed ({code}: {body})"
        );
    }
    // The browsable UI is served from the binary.
    let r = c.get(t.url("/api/docs/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger"));
    t.stop().await;
}

/// What the shared extractors answer is in the document of every operation they serve, and
/// every problem document is declared as `application/problem+json` (the API fuzzing in
/// tests/fuzz checks the live answers against this).
#[tokio::test]
async fn shared_error_answers_are_documented_as_problem_documents() {
    let t = TestApp::sqlite().await;
    let doc: serde_json::Value = TestApp::client()
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let json_body = op["requestBody"]["content"]
                .as_object()
                .is_some_and(|c| c.len() == 1 && c.contains_key("application/json"));
            if json_body {
                for status in ["400", "413", "415"] {
                    assert!(has(status), "{method} {path} lacks {status}");
                }
            }
            if method != "get" {
                assert!(has("403"), "{method} {path} lacks 403 (CSRF)");
            }
            for (status, r) in responses {
                let content = r["content"].as_object();
                let problem = content.and_then(|c| c.get("application/problem+json"));
                if status.starts_with('4') {
                    assert!(
                        problem
                            .is_some_and(|p| p["schema"]["$ref"] == "#/components/schemas/Problem"),
                        "{method} {path} {status} is not a problem document"
                    );
                }
                assert!(
                    content
                        .and_then(|c| c.get("application/json"))
                        .is_none_or(|j| { j["schema"]["$ref"] != "#/components/schemas/Problem" }),
                    "{method} {path} {status}: Problem as application/json"
                );
            }
        }
    }
    t.stop().await;
}
