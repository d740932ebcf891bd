//! An independent computation of the Vietnamese lunar calendar, for checking the library.
//!
//! Different method from `cqdt_domain::calendar::lunar`:
//! - the Moon's longitude from the periodic series of Meeus chapter 47 (not the new-moon
//!   formula of chapter 49), the Sun from the older Newcomb-based expressions (epoch 1900) of
//!   Meeus' *Astronomical Formulae for Calculators*, ΔT by interpolation in a table of decade
//!   values;
//! - new moons found by brute force: the Sun–Moon elongation is evaluated at every local
//!   midnight, a wrap-around from ~360° to ~0° marks the new-moon day, and bisection on the
//!   elongation gives the instant (used to report how close a call was);
//! - principal solar terms found the same way, by scanning days;
//! - months numbered by the month-11 / winter-solstice rule with the "first month without a
//!   principal term" leap rule, applied to the scanned lists.

use std::collections::BTreeMap;

fn s(x: f64) -> f64 {
    x.to_radians().sin()
}

/// ΔT in seconds, linear interpolation in decade values (1900–2020), then +0.3 s/year.
fn delta_t(year: f64) -> f64 {
    const T: [(f64, f64); 13] = [
        (1900.0, -2.7),
        (1910.0, 10.4),
        (1920.0, 21.2),
        (1930.0, 24.0),
        (1940.0, 24.3),
        (1950.0, 29.1),
        (1960.0, 33.2),
        (1970.0, 40.2),
        (1980.0, 50.5),
        (1990.0, 56.9),
        (2000.0, 63.8),
        (2010.0, 66.1),
        (2020.0, 69.4),
    ];
    if year <= T[0].0 {
        return T[0].1 + (year - T[0].0) * 0.5;
    }
    if year >= 2020.0 {
        return 69.4 + (year - 2020.0) * 0.3;
    }
    for w in T.windows(2) {
        let ((y0, d0), (y1, d1)) = (w[0], w[1]);
        if year <= y1 {
            return d0 + (d1 - d0) * (year - y0) / (y1 - y0);
        }
    }
    69.4
}

/// Geometric longitude of the Moon (Meeus 47, the terms of table 47.A above 0.0003°).
fn moon_longitude(jde: f64) -> f64 {
    let t = (jde - 2_451_545.0) / 36_525.0;
    let lp = 218.316_447_7 + 481_267.881_234_21 * t - 0.001_578_6 * t * t;
    let d = 297.850_192_1 + 445_267.111_403_4 * t - 0.001_881_9 * t * t;
    let m = 357.529_109_2 + 35_999.050_290_9 * t - 0.000_153_6 * t * t;
    let mp = 134.963_396_4 + 477_198.867_505_5 * t + 0.008_741_4 * t * t;
    let f = 93.272_095_0 + 483_202.017_523_3 * t - 0.003_653_9 * t * t;
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t * t;
    #[rustfmt::skip]
    const TERMS: [(i8, i8, i8, i8, i32); 59] = [
        (0,0,1,0,6288774),(2,0,-1,0,1274027),(2,0,0,0,658314),(0,0,2,0,213618),(0,1,0,0,-185116),
        (0,0,0,2,-114332),(2,0,-2,0,58793),(2,-1,-1,0,57066),(2,0,1,0,53322),(2,-1,0,0,45758),
        (0,1,-1,0,-40923),(1,0,0,0,-34720),(0,1,1,0,-30383),(2,0,0,-2,15327),(0,0,1,2,-12528),
        (0,0,1,-2,10980),(4,0,-1,0,10675),(0,0,3,0,10034),(4,0,-2,0,8548),(2,1,-1,0,-7888),
        (2,1,0,0,-6766),(1,0,-1,0,-5163),(1,1,0,0,4987),(2,-1,1,0,4036),(2,0,2,0,3994),
        (4,0,0,0,3861),(2,0,-3,0,3665),(0,1,-2,0,-2689),(2,0,-1,2,-2602),(2,-1,-2,0,2390),
        (1,0,1,0,-2348),(2,-2,0,0,2236),(0,1,2,0,-2120),(0,2,0,0,-2069),(2,-2,-1,0,2048),
        (2,0,1,-2,-1773),(2,0,0,2,-1595),(4,-1,-1,0,1215),(0,0,2,2,-1110),(3,0,-1,0,-892),
        (2,1,1,0,-810),(4,-1,-2,0,759),(0,2,-1,0,-713),(2,2,-1,0,-700),(2,1,-2,0,691),
        (2,-1,0,-2,596),(4,0,1,0,549),(0,0,4,0,537),(4,-1,0,0,520),(1,0,-2,0,-487),
        (2,1,0,-2,-399),(0,0,2,-2,-381),(1,1,1,0,351),(3,0,-2,0,-340),(4,0,-3,0,330),
        (2,-1,2,0,327),(0,2,1,0,-323),(1,1,-1,0,299),(2,0,3,0,294),
    ];
    let mut sum = 0.0;
    for &(cd, cm, cmp, cf, coef) in TERMS.iter() {
        let arg = f64::from(cd) * d + f64::from(cm) * m + f64::from(cmp) * mp + f64::from(cf) * f;
        let ecorr = match cm.abs() {
            1 => e,
            2 => e * e,
            _ => 1.0,
        };
        sum += f64::from(coef) * ecorr * s(arg);
    }
    let a1 = 119.75 + 131.849 * t;
    let a2 = 53.09 + 479_264.290 * t;
    sum += 3958.0 * s(a1) + 1962.0 * s(lp - f) + 318.0 * s(a2);
    (lp + sum / 1_000_000.0).rem_euclid(360.0)
}

/// Geometric longitude of the Sun: Newcomb's expressions (epoch 1900.0) with the five main
/// perturbations.
fn sun_true_longitude(jde: f64) -> f64 {
    let t = (jde - 2_415_020.0) / 36_525.0;
    let l = 279.696_68 + 36_000.768_92 * t + 0.000_302_5 * t * t;
    let m = 358.475_83 + 35_999.049_75 * t - 0.000_150 * t * t - 0.000_003_3 * t * t * t;
    let c = (1.919_460 - 0.004_789 * t - 0.000_014 * t * t) * s(m)
        + (0.020_094 - 0.000_100 * t) * s(2.0 * m)
        + 0.000_293 * s(3.0 * m);
    let c_ = |x: f64| x.to_radians().cos();
    let pert = 0.001_34 * c_(153.23 + 22_518.754_1 * t)
        + 0.001_54 * c_(216.57 + 45_037.508_2 * t)
        + 0.002_00 * c_(312.69 + 32_964.357_7 * t)
        + 0.001_79 * s(350.74 + 445_267.114_2 * t - 0.001_44 * t * t)
        + 0.001_78 * s(231.19 + 20.20 * t);
    (l + c + pert).rem_euclid(360.0)
}

/// Apparent solar longitude (nutation by the main term, aberration −20.5″).
fn sun_apparent(jde: f64) -> f64 {
    let t = (jde - 2_415_020.0) / 36_525.0;
    let omega = 259.18 - 1_934.142 * t;
    (sun_true_longitude(jde) - 0.005_69 - 0.004_79 * s(omega)).rem_euclid(360.0)
}

/// Elongation of the Moon from the Sun in apparent longitude (nutation cancels).
fn elongation(jde: f64) -> f64 {
    (moon_longitude(jde) - sun_true_longitude(jde) + 0.005_69).rem_euclid(360.0)
}

fn jde_of_local_midnight(day: i64, tz_minutes: i32) -> f64 {
    let ut = day as f64 - 0.5 - f64::from(tz_minutes) / 1440.0;
    let year = 2000.0 + (ut - 2_451_545.0) / 365.25;
    ut + delta_t(year) / 86_400.0
}

/// Julian day number of a Gregorian date.
pub fn jdn(y: i32, m: u32, d: u32) -> i64 {
    let (y, m, d) = (i64::from(y), i64::from(m), i64::from(d));
    let a = (14 - m) / 12;
    let yy = y + 4800 - a;
    let mm = m + 12 * a - 3;
    d + (153 * mm + 2) / 5 + 365 * yy + yy / 4 - yy / 100 + yy / 400 - 32_045
}

/// Gregorian date of a Julian day number.
pub fn ymd(jdn: i64) -> (i32, u32, u32) {
    let a = jdn + 32_044;
    let b = (4 * a + 3) / 146_097;
    let c = a - 146_097 * b / 4;
    let d = (4 * c + 3) / 1461;
    let e = c - 1461 * d / 4;
    let m = (5 * e + 2) / 153;
    let day = e - (153 * m + 2) / 5 + 1;
    let month = m + 3 - 12 * (m / 10);
    let year = 100 * b + d - 4800 + m / 10;
    (year as i32, month as u32, day as u32)
}

/// A scanned event: the local day it falls on and how far (minutes) it is from the nearest
/// local midnight.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub day: i64,
    pub margin_minutes: f64,
}

fn margin(day: i64, tz: i32, f: impl Fn(f64) -> f64, target: f64) -> f64 {
    // Bisection on f(t) − target within the day (f increases through `target` there).
    let (mut lo, mut hi) = (
        jde_of_local_midnight(day, tz),
        jde_of_local_midnight(day + 1, tz),
    );
    let start = lo;
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        let diff = (f(mid) - target + 540.0).rem_euclid(360.0) - 180.0;
        if diff < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let frac = (lo - start) * 1440.0;
    frac.min(1440.0 - frac)
}

/// The new moons and principal terms of a zone, as scanned over a range of days.
pub struct Scanned {
    /// Month starts (new-moon days) with margins.
    pub new_moons: Vec<Event>,
    /// Principal terms: (day, sector index after the term, margin).
    pub terms: Vec<(Event, u8)>,
}

impl Scanned {
    pub fn new(first_year: i32, last_year: i32, tz: i32) -> Scanned {
        let start = jdn(first_year, 1, 1) - 70;
        let end = jdn(last_year, 12, 31) + 70;
        let mut new_moons = Vec::new();
        let mut terms = Vec::new();
        let mut prev_e = elongation(jde_of_local_midnight(start, tz));
        let mut prev_s = sun_apparent(jde_of_local_midnight(start, tz));
        for day in start..end {
            let jde = jde_of_local_midnight(day + 1, tz);
            let e = elongation(jde);
            let su = sun_apparent(jde);
            if e < prev_e {
                let m = margin(day, tz, elongation, 0.0);
                new_moons.push(Event {
                    day,
                    margin_minutes: m,
                });
            }
            let (sa, sb) = ((prev_s / 30.0).floor() as i64, (su / 30.0).floor() as i64);
            if sa != sb {
                let sector = sb.rem_euclid(12) as u8;
                let m = margin(day, tz, sun_apparent, f64::from(sector) * 30.0);
                terms.push((
                    Event {
                        day,
                        margin_minutes: m,
                    },
                    sector,
                ));
            }
            prev_e = e;
            prev_s = su;
        }
        Scanned { new_moons, terms }
    }

    /// Lunar year → (Tết day, leap month, month 3 start, smallest margin of the events that
    /// decided the year).
    pub fn years(&self) -> BTreeMap<i32, LunarYearFacts> {
        let solstices: Vec<&(Event, u8)> = self.terms.iter().filter(|(_, s)| *s == 9).collect();
        let month_of = |day: i64| self.new_moons.iter().rposition(|nm| nm.day <= day);
        let mut out = BTreeMap::new();
        for w in solstices.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (Some(ia), Some(ib)) = (month_of(a.0.day), month_of(b.0.day)) else {
                continue;
            };
            if ia + 1 >= self.new_moons.len() {
                continue;
            }
            let count = ib - ia;
            let mut min_margin = a.0.margin_minutes.min(b.0.margin_minutes);
            // Leap month: first month after month 11 without a principal term.
            let mut leap = None;
            if count == 13 {
                for i in ia + 1..ib {
                    let (from, to) = (self.new_moons[i].day, self.new_moons[i + 1].day);
                    let has_term = self.terms.iter().any(|(t, _)| t.day >= from && t.day < to);
                    if !has_term {
                        leap = Some(i - ia);
                        break;
                    }
                }
            }
            // Number the months.
            let mut number = 11u8;
            let mut numbered = Vec::new();
            for i in 0..count {
                if i > 0 && leap != Some(i) {
                    number = if number == 12 { 1 } else { number + 1 };
                }
                numbered.push((ia + i, number, leap == Some(i)));
            }
            let (y, _, _) = ymd(b.0.day);
            let Some(&(tet_idx, _, _)) = numbered.iter().find(|m| m.1 == 1 && !m.2) else {
                continue;
            };
            let Some(&(m3_idx, _, _)) = numbered.iter().find(|m| m.1 == 3 && !m.2) else {
                continue;
            };
            for nm in &self.new_moons[ia..=ib.min(self.new_moons.len() - 1)] {
                min_margin = min_margin.min(nm.margin_minutes);
            }
            let leap_month = leap.map(|l| numbered[l].1);
            out.insert(
                y,
                LunarYearFacts {
                    tet: self.new_moons[tet_idx].day,
                    month3: self.new_moons[m3_idx].day,
                    leap_in_sui: leap_month,
                    min_margin_minutes: min_margin,
                },
            );
        }
        out
    }
}

/// What the scan says about the suì ending at the December solstice of a year.
#[derive(Debug, Clone, Copy)]
pub struct LunarYearFacts {
    pub tet: i64,
    pub month3: i64,
    pub leap_in_sui: Option<u8>,
    pub min_margin_minutes: f64,
}
