//! Tests of the working calendar and deadline engine: one test binary, with modules under
//! `tests/calendar/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use cqdt_domain::calendar::{DeadlineEngine, WorkingCalendar, WorkingHours};

#[path = "calendar/api_tests.rs"]
mod api_tests;
#[path = "calendar/deadline_tests.rs"]
mod deadline_tests;
#[path = "calendar/holiday_tests.rs"]
mod holiday_tests;
#[path = "calendar/independent.rs"]
mod independent;
#[path = "calendar/lunar_tests.rs"]
mod lunar_tests;
#[path = "calendar/property_tests.rs"]
mod property_tests;

/// The bundled calendar (2000–2199), built once.
pub static CAL: LazyLock<WorkingCalendar> =
    LazyLock::new(|| WorkingCalendar::vietnam_default().unwrap());

/// An engine with the default office hours.
pub fn engine() -> DeadlineEngine<'static> {
    DeadlineEngine::new(&CAL, WorkingHours::default())
}
