//! Dossiers (hồ sơ): the dossier code, the state machine with its deadline clock, the national
//! status mapping and the II.06a report. Pure: time is an argument (`DateTime<Utc>`), deadlines
//! come from [`crate::calendar::DeadlineEngine`].
//!
//! - [`code`]: [`DossierCode`] `{agency identifier}-{yyMMdd}-{NNNN}` (date in UTC+7).
//! - [`status`]: national code tables — [`NationalStatus`] (`TrangThaiHoSo` 1–10),
//!   [`Channel`] (`KenhThucHien` 1–3), [`ReturnMethod`] — and [`StateName`] with its total
//!   mapping onto the national status.
//! - [`state`]: [`DossierState`], [`Command`], [`DossierEvent`] and the [`Dossier`] aggregate.
//! - [`report`]: Biểu II.06a from event histories.
//! - [`error`]: [`DossierError`] with stable codes `dossier.*`.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use cqdt_domain::agency::AgencyIdentifier;
//! use cqdt_domain::calendar::{DeadlineEngine, WorkDuration, WorkingCalendar, WorkingHours};
//! use cqdt_domain::dossier::{Command, Dossier, DossierCode, NationalStatus};
//! use cqdt_domain::procedure::{NationalCode, ProcedureField, ProcedureTerms, ServiceLevel};
//!
//! let calendar = WorkingCalendar::vietnam_default().unwrap();
//! let engine = DeadlineEngine::new(&calendar, WorkingHours::default());
//! let terms = ProcedureTerms {
//!     national_code: NationalCode::parse("1.000894").unwrap(),
//!     version: 1,
//!     name: "Đăng ký kết hôn".into(),
//!     field: ProcedureField { code: None, name: "Hộ tịch".into() },
//!     level: ServiceLevel::PartlyOnline,
//!     legal_time: WorkDuration::Days(5),
//!     route: vec![],
//! };
//! let mut dossier = Dossier::new(terms);
//! // Monday 3 March 2025, 09:00 in Vietnam.
//! let at = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).unwrap();
//! let agency = AgencyIdentifier::parse("000.00.00.H53").unwrap();
//! let code = DossierCode::for_instant(agency, at, 1).unwrap();
//! assert_eq!(code.to_string(), "000.00.00.H53-250303-0001");
//! dossier.apply(at, None, Command::ReceiveAtDesk { code }, &engine).unwrap();
//! let events = dossier.apply(at, None, Command::Accept, &engine).unwrap();
//! assert_eq!(dossier.national_status(), NationalStatus::Received);
//! // Five working days after Monday: Monday 10 March at 17:00.
//! assert_eq!(events[0].due.unwrap().to_string(), "2025-03-10 17:00:00");
//! ```

pub mod code;
pub mod error;
pub mod report;
pub mod state;
pub mod status;

pub use code::DossierCode;
pub use error::DossierError;
pub use report::{
    Ii06aLine, Ii06aReport, Ii06aRow, ReportPeriod, ii06a_by_field, ii06a_from_rows, ii06a_row,
    open_within, open_within_from_last,
};
pub use state::{
    APOLOGY_WINDOW, ApologyRecord, Command, CommandName, Consultation, Dossier, DossierEvent,
    DossierState, Evaluation, EventKind, IndexScore, Satisfaction, Stage, SupplementRecord,
};
pub use status::{Channel, NationalStatus, ReturnMethod, StateName};
