//! Benchmark of the deadline engine and the lunar conversion (not a test; one thread).
//!
//! ```text
//! cargo run --release -p cqdt-domain --example calendar_bench
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_domain::calendar::{
    DeadlineEngine, DeadlineRequest, LunarTable, WorkDuration, WorkingCalendar, WorkingHours,
    solar_to_lunar,
};

/// xorshift64*: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn instants(rng: &mut Rng, count: usize) -> Vec<(NaiveDateTime, u32)> {
    let base = NaiveDate::from_ymd_opt(2018, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    (0..count)
        .map(|_| {
            let secs = rng.below(10 * 365 * 86_400) as i64;
            (base + chrono::Duration::seconds(secs), rng.below(61) as u32)
        })
        .collect()
}

fn rate(count: usize, seconds: f64) -> String {
    let per_second = count as f64 / seconds;
    if per_second >= 1e6 {
        format!("{:.2} million/s", per_second / 1e6)
    } else {
        format!("{:.0} thousand/s", per_second / 1e3)
    }
}

fn main() {
    let t = Instant::now();
    let calendar = WorkingCalendar::vietnam_default().unwrap();
    println!(
        "working calendar 2000–2199 built in {:.1} ms (version {})",
        t.elapsed().as_secs_f64() * 1e3,
        calendar.version()
    );
    let engine = DeadlineEngine::new(&calendar, WorkingHours::default());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // 1. Due dates, N ≤ 60 working days, the O(1) path.
    let inputs = instants(&mut rng, 2_000_000);
    let mut check = 0i64;
    let t = Instant::now();
    for &(received, n) in &inputs {
        let due = engine
            .due(black_box(received), WorkDuration::Days(n))
            .unwrap();
        check = check.wrapping_add(due.and_utc().timestamp());
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "deadline computations (due, N ≤ 60 working days): {}  [{} in {:.3} s, check {}]",
        rate(inputs.len(), s),
        inputs.len(),
        s,
        check % 1000
    );

    // 2. Half-days and working minutes.
    let t = Instant::now();
    for &(received, n) in &inputs[..1_000_000] {
        let a = engine
            .due(black_box(received), WorkDuration::HalfDays(2 * n))
            .unwrap();
        check = check.wrapping_add(a.and_utc().timestamp());
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "deadline computations (half-days, N ≤ 120):         {}",
        rate(1_000_000, s)
    );

    // 3. The full computation behind POST /api/v1/deadlines (outcome with version string).
    let t = Instant::now();
    for &(received, n) in &inputs[..500_000] {
        let out = engine
            .compute(&DeadlineRequest::new(
                black_box(received),
                WorkDuration::Days(n),
            ))
            .unwrap();
        check = check.wrapping_add(out.legal_due.and_utc().timestamp());
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "full DeadlineRequest → DeadlineOutcome:              {}",
        rate(500_000, s)
    );

    // 4. Solar → lunar, straight from the formulas.
    let base = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    let dates: Vec<NaiveDate> = (0..200_000)
        .map(|_| base + chrono::Days::new(rng.below(109_500)))
        .collect();
    let t = Instant::now();
    let mut days = 0u64;
    for &d in &dates {
        days += u64::from(solar_to_lunar(black_box(d)).unwrap().day);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "solar→lunar conversions (from the formulas):         {}",
        rate(dates.len(), s)
    );

    // 5. Solar → lunar with the precomputed table.
    let t = Instant::now();
    let table = LunarTable::vietnam();
    println!(
        "lunar table 1900–2199 built in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let many: Vec<NaiveDate> = (0..5_000_000)
        .map(|_| base + chrono::Days::new(rng.below(109_500)))
        .collect();
    let t = Instant::now();
    for &d in &many {
        days += u64::from(table.solar_to_lunar(black_box(d)).unwrap().day);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "solar→lunar conversions (precomputed table):         {}",
        rate(many.len(), s)
    );
    println!("(checksums {check} {days})");
}
