//! Tests of the procedure catalogue types and the dossier domain (code, state machine, clock,
//! II.06a): one test binary, with modules under `tests/dossier/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use cqdt_domain::agency::AgencyIdentifier;
use cqdt_domain::calendar::{
    DeadlineEngine, WorkDuration, WorkingCalendar, WorkingHours, from_local,
};
use cqdt_domain::dossier::{Command, Dossier, DossierCode, DossierEvent};
use cqdt_domain::ids::AgencyId;
use cqdt_domain::policy::Role;
use cqdt_domain::procedure::{
    NationalCode, ProcedureField, ProcedureTerms, RouteStep, ServiceLevel,
};

#[path = "dossier/code_tests.rs"]
mod code_tests;
#[path = "dossier/lifecycle_tests.rs"]
mod lifecycle_tests;
#[path = "dossier/procedure_tests.rs"]
mod procedure_tests;
#[path = "dossier/property_tests.rs"]
mod property_tests;
#[path = "dossier/report_tests.rs"]
mod report_tests;
#[path = "dossier/transition_tests.rs"]
mod transition_tests;

/// The bundled calendar, built once.
pub static CAL: LazyLock<WorkingCalendar> =
    LazyLock::new(|| WorkingCalendar::vietnam_default().unwrap());

/// An engine with the default office hours.
pub fn engine() -> DeadlineEngine<'static> {
    DeadlineEngine::new(&CAL, WorkingHours::default())
}

/// A Vietnamese local time as a UTC instant.
pub fn vn(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    from_local(
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap(),
    )
}

/// UBND tỉnh Tây Ninh.
pub fn tay_ninh() -> AgencyIdentifier {
    AgencyIdentifier::parse("000.00.00.H53").unwrap()
}

/// A dossier code for an instant.
pub fn code_at(at: DateTime<Utc>, seq: u32) -> DossierCode {
    DossierCode::for_instant(tay_ninh(), at, seq).unwrap()
}

/// An agency id for tests.
pub fn agency_id(n: u128) -> AgencyId {
    AgencyId(uuid::Uuid::from_u128(n))
}

fn step(name: &str, role: Role, allotted: WorkDuration) -> RouteStep {
    RouteStep {
        name: name.into(),
        agency: None,
        unit: None,
        role,
        allotted,
        inter_agency: false,
    }
}

/// A 5-day, fully online procedure with the route: 0 desk (½ day), 1 specialist (3 days),
/// 2 leader (1 day), 3 clerk (½ day).
pub fn routed_terms() -> ProcedureTerms {
    ProcedureTerms {
        national_code: NationalCode::parse("1.001612").unwrap(),
        version: 1,
        name: "Đăng ký thành lập hộ kinh doanh".into(),
        field: ProcedureField {
            code: None,
            name: "Thành lập và hoạt động của hộ kinh doanh".into(),
        },
        level: ServiceLevel::FullyOnline,
        legal_time: WorkDuration::Days(5),
        route: vec![
            step(
                "Tiếp nhận hồ sơ",
                Role::OneStopOfficer,
                WorkDuration::HalfDays(1),
            ),
            step("Thẩm định hồ sơ", Role::Specialist, WorkDuration::Days(3)),
            step("Phê duyệt", Role::Leader, WorkDuration::Days(1)),
            step("Vào sổ, đóng dấu", Role::Clerk, WorkDuration::HalfDays(1)),
        ],
    }
}

/// A 5-day procedure without a route, at `level`, in field `field`.
pub fn plain_terms(level: ServiceLevel, field: &str) -> ProcedureTerms {
    ProcedureTerms {
        national_code: NationalCode::parse("1.000894").unwrap(),
        version: 1,
        name: "Đăng ký kết hôn".into(),
        field: ProcedureField {
            code: None,
            name: field.into(),
        },
        level,
        legal_time: WorkDuration::Days(5),
        route: vec![],
    }
}

/// Applies a command, panicking with the error's code on failure.
pub fn run(d: &mut Dossier, at: DateTime<Utc>, c: Command) -> Vec<DossierEvent> {
    let name = c.name();
    d.apply(at, None, c, &engine())
        .unwrap_or_else(|e| panic!("{name:?} at {at}: {} ({e})", e.code()))
}

/// Applies a command and returns the error code.
pub fn fail(d: &mut Dossier, at: DateTime<Utc>, c: Command) -> &'static str {
    let before = d.clone();
    let name = c.name();
    let e = d
        .apply(at, None, c, &engine())
        .map(|_| ())
        .expect_err(&format!("{name:?} should fail"));
    assert_eq!(*d, before, "a refused command changed the dossier");
    e.code()
}

/// Submitted at the desk and accepted at `at`.
pub fn received_at_desk(terms: ProcedureTerms, at: DateTime<Utc>) -> Dossier {
    let mut d = Dossier::new(terms);
    run(
        &mut d,
        at,
        Command::ReceiveAtDesk {
            code: code_at(at, 1),
        },
    );
    run(&mut d, at, Command::Accept);
    d
}
