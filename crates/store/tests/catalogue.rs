//! Export and import of the procedure catalogue in both formats, on SQLite and on PostgreSQL
//! (when TEST_DATABASE_URL is set): an export imports back unchanged, CSV carries everything
//! JSON does, and a bad CSV row is reported by its line and column with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use cqdt_app::agencies::Format;
use cqdt_app::demo::AGENCIES_CSV;
use cqdt_app::ports::{FakeClock, FakeIds};
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_store::testing::TestDb;

fn app(db: &TestDb) -> App {
    let config = AppConfig {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..AppConfig::default()
    };
    App {
        store: db.store.clone(),
        clock: Arc::new(FakeClock::new(1_735_689_600_000_000)),
        ids: Arc::new(FakeIds::default()),
        config: Arc::new(config),
        calendar: Default::default(),
        blobs: Arc::new(cqdt_app::MemoryBlobs::default()),
        scanner: Arc::new(cqdt_app::NoScan),
        signer: Arc::new(cqdt_app::documents::UnavailableSigner),
        text: Arc::new(cqdt_app::documents::NoText),
        edxml_inbox: Arc::new(cqdt_app::documents::UnavailableEdxmlInbox),
    }
}

async fn with_agencies(test: &str) -> Vec<(TestDb, App)> {
    let mut out = Vec::new();
    for db in TestDb::all(test).await.expect("test database") {
        let app = app(&db);
        app.agencies_import(&Ctx::cli(), Format::Csv, AGENCIES_CSV.as_bytes())
            .await
            .unwrap();
        out.push((db, app));
    }
    out
}

fn counts(r: &cqdt_app::procedures::CatalogueImport) -> (usize, usize, usize) {
    (r.inserted, r.new_versions, r.unchanged)
}

#[tokio::test]
async fn an_export_imports_back_unchanged() {
    for (db, app) in with_agencies("catalogue_export_unchanged").await {
        let cli = Ctx::cli();
        let seeded = app.seed_demo_procedures().await.unwrap();
        let n = seeded.inserted;
        assert!(n >= 20, "{n} demo procedures");

        let json = app.procedures_export(&cli, Format::Json).await.unwrap();
        let items: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        assert_eq!(items.len(), n);
        let codes: Vec<&str> = items
            .iter()
            .map(|i| i["national_code"].as_str().unwrap())
            .collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted, "by national code");
        assert!(
            items.iter().all(|i| i["agencies"][0]
                .as_str()
                .is_some_and(|a| a.ends_with(".H53"))),
            "agencies by identifier"
        );
        let r = app
            .procedures_import_file(&cli, Format::Json, &json)
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 0, n));

        let csv = app.procedures_export(&cli, Format::Csv).await.unwrap();
        let text = String::from_utf8(csv.clone()).unwrap();
        assert!(text.starts_with("national_code,local_code,name,field_code,field_name,"));
        let r = app
            .procedures_import_file(&cli, Format::Csv, &csv)
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 0, n));
        // With a byte order mark too.
        let mut bom = "\u{feff}".as_bytes().to_vec();
        bom.extend_from_slice(&csv);
        let r = app
            .procedures_import_file(&cli, Format::Csv, &bom)
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 0, n));
        // The export is stable.
        assert_eq!(
            app.procedures_export(&cli, Format::Json).await.unwrap(),
            json
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn csv_carries_the_whole_catalogue() {
    let sources = with_agencies("catalogue_csv_source").await;
    let targets = with_agencies("catalogue_csv_target").await;
    for ((sdb, source), (tdb, target)) in sources.into_iter().zip(targets) {
        let cli = Ctx::cli();
        source.seed_demo_procedures().await.unwrap();
        let json = source.procedures_export(&cli, Format::Json).await.unwrap();
        let csv = source.procedures_export(&cli, Format::Csv).await.unwrap();
        let r = target
            .procedures_import_file(&cli, Format::Csv, &csv)
            .await
            .unwrap();
        assert!(r.inserted >= 20);
        let again = target.procedures_export(&cli, Format::Json).await.unwrap();
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(json).unwrap()
        );
        assert_eq!(
            target.procedures_export(&cli, Format::Csv).await.unwrap(),
            csv
        );
        sdb.cleanup().await;
        tdb.cleanup().await;
    }
}

const HEADER: &str = "national_code,name,field_name,field_code,level,agencies,service_level,legal_days,result,effective_from,parts,route";

fn row(code: &str, parts: &str) -> String {
    format!(
        "{code},Thủ tục thử {code},Hộ tịch,,commune,000.01.20.H53,3,1,Kết quả,2025-01-01,\"{}\",\"[{{\"\"step\"\": \"\"Tiếp nhận\"\", \"\"role\"\": \"\"one_stop_officer\"\", \"\"days\"\": 1}}]\"",
        parts.replace('"', "\"\"")
    )
}

#[tokio::test]
async fn a_bad_csv_row_is_reported_by_line_and_column() {
    for (db, app) in with_agencies("catalogue_csv_errors").await {
        let cli = Ctx::cli();
        let good_parts = r#"[{"name": "Tờ khai", "original": true}]"#;
        // Lines end in CRLF (spreadsheets) or LF, and the same lines are reported.
        for end in ["\r\n", "\n"] {
            let file = [
                HEADER.to_string(),
                row("9.900101", good_parts),
                row("9.90010", good_parts),
                row("9.900103", r#"[{"name": "Tờ khai""#),
                row("9.900104", good_parts),
            ]
            .join(end);
            let e = app
                .procedures_import_file(&cli, Format::Csv, file.as_bytes())
                .await
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::ImportFailed);
            let lines: Vec<(usize, Option<&str>, ErrorCode)> = e
                .lines
                .iter()
                .map(|l| (l.line, l.field.as_deref(), l.code))
                .collect();
            assert_eq!(
                lines,
                vec![
                    (
                        3,
                        Some("national_code"),
                        ErrorCode::ProcedureInvalidNationalCode
                    ),
                    (4, Some("parts"), ErrorCode::MalformedJson),
                ]
            );
            let json = app.procedures_export(&cli, Format::Json).await.unwrap();
            assert_eq!(json, b"[]\n", "nothing written");
        }

        // The good rows alone go in; the field is two columns.
        let good = [HEADER.to_string(), row("9.900101", good_parts)].join("\n");
        let r = app
            .procedures_import_file(&cli, Format::Csv, good.as_bytes())
            .await
            .unwrap();
        assert_eq!(counts(&r), (1, 0, 0));
        let empty_name = [
            HEADER.to_string(),
            row("9.900105", good_parts).replace(",Hộ tịch,", ",,"),
        ]
        .join("\n");
        let e = app
            .procedures_import_file(&cli, Format::Csv, empty_name.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(e.lines[0].line, 2);
        assert_eq!(e.lines[0].field.as_deref(), Some("field_name"));

        // A bad header is a bad file: line 1, the column.
        let e = app
            .procedures_import_file(&cli, Format::Csv, b"national_code,nam\n")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ImportFormat);
        assert_eq!(
            (
                e.lines[0].line,
                e.lines[0].field.as_deref(),
                e.lines[0].code
            ),
            (1, Some("nam"), ErrorCode::UnknownField)
        );
        let e = app
            .procedures_import_file(&cli, Format::Csv, b"national_code,name\n")
            .await
            .unwrap_err();
        assert_eq!(e.lines[0].code, ErrorCode::MissingField);
        db.cleanup().await;
    }
}
