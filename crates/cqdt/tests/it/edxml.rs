//! `POST /api/v1/edxml/packages` and `/status` over HTTP, on SQLite and PostgreSQL: a package
//! signed by a trusted agency key and sent with correct HMAC headers arrives in the receiver's
//! inbox with its subject and files (201, then 200 `duplicate` for the same package in a new
//! request, 409 for the very same request); a wrong HMAC (401), missing headers (400), a
//! tampered package (422, nothing stored), a package signed by an untrusted CA (422) and
//! hostile XML (billion laughs, deep nesting, a huge attribute: 400) are refused with their
//! codes; the server keeps answering.

use crate::{EDXML_PEER_SECRET, EDXML_PEER_SYSTEM, TestApp, problem};
use chrono::NaiveDate;
use cqdt_domain::document::Direction;
use cqdt_edxml::{Attachment, Code, MessageHeader, Package, PromulgationInfo, TraceHeaderList};
use cqdt_exchange::edxml_map::organization;
use cqdt_exchange::edxml_transport::{EDXML_CONTENT_TYPE, sign_request};
use cqdt_exchange::signing::{SigningAgency, SigningService};

const TAN_BIEN: &str = "000.00.21.H53";

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n%%EOF\n").into_bytes()
}

fn package(number: &str, subject: &str) -> Package {
    let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let code = Code {
        code_number: number.into(),
        code_notation: "UBND-VP".into(),
    };
    Package {
        header: MessageHeader {
            from: organization("000.00.00.H53", "UBND tỉnh Tây Ninh"),
            to: vec![organization(TAN_BIEN, "UBND huyện Tân Biên")],
            document_id: cqdt_edxml::document_id("000.00.00.H53", date, &code),
            code,
            promulgation_info: PromulgationInfo {
                place: "Tây Ninh".into(),
                promulgation_date: date,
            },
            document_type: cqdt_edxml::DocumentType {
                type_name: "Công văn".into(),
                ..Default::default()
            },
            subject: subject.into(),
            content: String::new(),
            signer_info: cqdt_edxml::SignerInfo {
                competence: "KT. CHỦ TỊCH".into(),
                position: "PHÓ CHỦ TỊCH".into(),
                full_name: "Nguyễn Văn Bình".into(),
            },
            due_date: None,
            other_info: Default::default(),
            steering_type: None,
            to_places: vec!["UBND huyện Tân Biên".into()],
            response_for: vec![],
        },
        trace: TraceHeaderList::default(),
        attachments: vec![Attachment {
            content_id: "cid:1".into(),
            content_type: "application/pdf".into(),
            description: "Văn bản chính".into(),
            attachment_name: "cong-van.pdf".into(),
            content: pdf(subject),
        }],
    }
}

fn signed(signing: &SigningService, p: &Package) -> Vec<u8> {
    let signer = signing
        .agency_xml_signer(&SigningAgency {
            id: "province-test".into(),
            name: "Ủy ban nhân dân tỉnh Tây Ninh".into(),
            official_id: Some("000.00.00.H53".into()),
        })
        .unwrap();
    p.to_signed_xml(signer.as_ref()).unwrap()
}

async fn post(t: &TestApp, path: &str, body: &[u8], secret: &[u8]) -> reqwest::Response {
    let h = sign_request(
        EDXML_PEER_SYSTEM,
        secret,
        t.app.now_us(),
        EDXML_CONTENT_TYPE,
        body,
    );
    let mut req = TestApp::client().post(t.url(path)).body(body.to_vec());
    for (k, v) in h.pairs() {
        req = req.header(k, v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn packages_over_http_are_authenticated_verified_and_registered() {
    for t in TestApp::all("edxml_http").await {
        let tan_bien = t
            .app
            .store
            .agency_by_identifier(TAN_BIEN)
            .await
            .unwrap()
            .unwrap();
        let p = package("15", "Về việc chuẩn bị Tết Nguyên đán");
        let eid = p.header.document_id.clone();
        let bytes = signed(&t.signing, &p);

        // Correctly signed: 201, in Tân Biên's inbox with its subject and file.
        let r = post(&t, "/api/v1/edxml/packages", &bytes, EDXML_PEER_SECRET).await;
        assert_eq!(r.status(), 201, "{}", t.backend());
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["kind"], "package");
        assert_eq!(v["duplicate"], false);
        assert_eq!(v["system_id"], EDXML_PEER_SYSTEM);
        assert_eq!(v["agency_id"], tan_bien.id.to_string());
        let doc = t
            .app
            .store
            .document_by_edxml(Direction::Incoming, Some(tan_bien.id), &eid)
            .await
            .unwrap()
            .expect("in the inbox");
        assert_eq!(v["document_id"], doc.id.to_string());
        assert_eq!(doc.doc.fields.subject, "Về việc chuẩn bị Tết Nguyên đán");
        assert_eq!(doc.doc.fields.type_code, "cong_van");
        let files = t.app.store.document_files(doc.id).await.unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "cong-van.pdf");

        // The very same request again: replayed (409). The same package in a new request:
        // 200, duplicate, the same document.
        let h = sign_request(
            EDXML_PEER_SYSTEM,
            EDXML_PEER_SECRET,
            t.app.now_us() - 1_000_000,
            EDXML_CONTENT_TYPE,
            &bytes,
        );
        for expect in [200u16, 409] {
            let mut req = TestApp::client()
                .post(t.url("/api/v1/edxml/packages"))
                .body(bytes.clone());
            for (k, v) in h.pairs() {
                req = req.header(k, v);
            }
            let r = req.send().await.unwrap();
            if expect == 409 {
                problem(r, 409, "exchange.request_replayed").await;
            } else {
                assert_eq!(r.status(), 200);
                let v: serde_json::Value = r.json().await.unwrap();
                assert_eq!(v["duplicate"], true);
                assert_eq!(v["document_id"], doc.id.to_string());
            }
        }

        // Wrong secret: 401. No headers: 400.
        let r = post(&t, "/api/v1/edxml/packages", &bytes, b"wrong").await;
        let v = problem(r, 401, "exchange.signature_invalid").await;
        assert!(v["title"].as_str().unwrap().contains("Chữ ký"), "{v}");
        let r = TestApp::client()
            .post(t.url("/api/v1/edxml/packages"))
            .header("content-type", "application/xml")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        problem(r, 400, "exchange.header_malformed").await;
        // An unknown system with headers in no format at all: 401, not 400 (the fuzzer's
        // schema-valid requests are refused as unauthenticated, not as malformed).
        let r = TestApp::client()
            .post(t.url("/api/v1/edxml/packages"))
            .header("content-type", "application/xml")
            .header("x-system-id", "ai-do")
            .header("x-timestamp", "hôm qua".replace('ô', "o"))
            .header("x-signature", "0")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        problem(r, 401, "exchange.system_unknown").await;

        // Tampered after signing (correct HMAC over the tampered bytes): 422, nothing stored.
        let p2 = package("16", "Về việc phòng chống bão lũ");
        let eid2 = p2.header.document_id.clone();
        let text = String::from_utf8(signed(&t.signing, &p2)).unwrap();
        let tampered = text.replacen("bão lũ", "hạn mặn", 1);
        assert_ne!(tampered, text);
        let r = post(
            &t,
            "/api/v1/edxml/packages",
            tampered.as_bytes(),
            EDXML_PEER_SECRET,
        )
        .await;
        let v = problem(r, 422, "edxml.signature_invalid").await;
        assert!(v["title"].as_str().unwrap().contains("không hợp lệ"), "{v}");
        assert!(
            t.app
                .store
                .document_by_edxml(Direction::Incoming, Some(tan_bien.id), &eid2)
                .await
                .unwrap()
                .is_none(),
            "a tampered package stores nothing"
        );
        // Signed by a key of another CA: untrusted.
        let dir = std::env::temp_dir().join(format!("cqdt-other-ca-{}", uuid::Uuid::new_v4()));
        let other = SigningService::new(&dir, "khác", t.app.clock.clone()).unwrap();
        let r = post(
            &t,
            "/api/v1/edxml/packages",
            &signed(&other, &p2),
            EDXML_PEER_SECRET,
        )
        .await;
        problem(r, 422, "edxml.certificate_untrusted").await;
        let _ = std::fs::remove_dir_all(&dir);
        // A revocation (Bussiness type 1) of the first document, named by Bussiness/DocumentId
        // in a package of its own number: Tân Biên's copy is withdrawn with the reason.
        let mut revoke = package("17", "Thu hồi công văn");
        revoke.trace.bussiness = Some(cqdt_edxml::Bussiness {
            document_id: eid.clone(),
            doc_type: cqdt_edxml::BussinessDocType::Revoke,
            reason: "Ban hành không đúng thẩm quyền".into(),
            ..Default::default()
        });
        let r = post(
            &t,
            "/api/v1/edxml/packages",
            &signed(&t.signing, &revoke),
            EDXML_PEER_SECRET,
        )
        .await;
        assert_eq!(r.status(), 201, "{}", t.backend());
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["document_id"], doc.id.to_string());
        let copy = t.app.store.document_get(doc.id).await.unwrap().unwrap();
        assert_eq!(copy.doc.state.as_str(), "withdrawn");
        let w = copy
            .doc
            .incoming
            .as_ref()
            .unwrap()
            .withdrawal
            .clone()
            .unwrap();
        assert_eq!(w.reason, "Ban hành không đúng thẩm quyền");
        // Not signed at all.
        let r = post(
            &t,
            "/api/v1/edxml/packages",
            &p2.to_xml(),
            EDXML_PEER_SECRET,
        )
        .await;
        problem(r, 422, "edxml.not_signed").await;

        // Hostile XML: refused as malformed, without a panic.
        let laughs = {
            let mut s =
                String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
            for i in 1..10 {
                s.push_str(&format!(
                    "<!ENTITY lol{i} \"{}\">\n",
                    format!("&lol{};", i - 1)
                        .replace("&lol0;", "&lol;")
                        .repeat(10)
                ));
            }
            s.push_str("]>\n<lolz>&lol9;</lolz>\n");
            s
        };
        let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
        let huge_attr = format!("<edXML a=\"{}\"/>", "x".repeat(200_000));
        for (what, body) in [
            ("billion laughs", laughs),
            ("deep nesting", deep),
            ("huge attribute", huge_attr),
        ] {
            let r = post(
                &t,
                "/api/v1/edxml/packages",
                body.as_bytes(),
                EDXML_PEER_SECRET,
            )
            .await;
            assert_eq!(r.status(), 400, "{what}");
            problem(r, 400, "edxml.malformed").await;
        }

        // A status for a document nobody sent: 422.
        let r = post(&t, "/api/v1/edxml/status", &bytes, EDXML_PEER_SECRET).await;
        assert!(r.status().is_client_error(), "{}", r.status());
        // Still alive.
        let r = TestApp::client()
            .get(t.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        t.stop().await;
    }
}
