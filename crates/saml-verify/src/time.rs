//! `xs:dateTime` (XML Schema Part 2 §3.2.7) as SAML core §1.3.3 uses it: UTC instants.

use core::fmt;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From whole seconds since the epoch.
    pub fn from_unix_seconds(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(1000))
    }

    /// Whole seconds since the epoch (rounded down).
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This instant moved by `secs` seconds (saturating).
    pub fn plus_seconds(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    /// Parse `YYYY-MM-DDThh:mm:ss[.fff...](Z|±hh:mm)`. SAML requires a time zone; a value
    /// without one is refused rather than guessed.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |r: core::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 59
        {
            return None;
        }
        let mut rest = &s[19..];
        let mut millis = 0i64;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            for (i, c) in frac.bytes().take(3).take(digits).enumerate() {
                millis += i64::from(c - b'0') * [100, 10, 1][i];
            }
            rest = &frac[digits..];
        }
        let offset_min = match rest {
            "Z" => 0,
            _ => {
                let rb = rest.as_bytes();
                if rb.len() != 6 || rb[3] != b':' || !matches!(rb[0], b'+' | b'-') {
                    return None;
                }
                // Exactly `±hh:mm` with digits (XML Schema 1.1 Part 2 §3.3.7: timezoneFrag),
                // hh at most 14 and 14:00 the furthest; `+-1:00` or `+00:-5` are not.
                let h = two_digits(rest.get(1..3)?)?;
                let m = two_digits(rest.get(4..6)?)?;
                if h > 14 || m > 59 || (h == 14 && m != 0) {
                    return None;
                }
                let v = h * 60 + m;
                if rb[0] == b'-' {
                    -v
                } else {
                    v
                }
            }
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_min * 60;
        Some(Timestamp(secs * 1000 + millis))
    }
}

/// Two ASCII digits as a number; anything else (a sign, a space) is None.
fn two_digits(s: &str) -> Option<i64> {
    match s.as_bytes() {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some(i64::from((a - b'0') * 10 + (b - b'0'))),
        _ => None,
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with milliseconds, e.g. `2016-01-05T16:55:39.348Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1000);
        let ms = self.0.rem_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_saml_instants() {
        let t = Timestamp::parse("2016-01-05T16:55:39.348Z").unwrap();
        assert_eq!(t.0, 1_452_012_939_348);
        assert_eq!(t.to_string(), "2016-01-05T16:55:39.348Z");
        assert_eq!(
            Timestamp::parse("2016-01-05T17:55:39+01:00").unwrap().0,
            1_452_012_939_000
        );
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00.1234567Z").unwrap().0,
            123
        );
        for bad in [
            "2016-01-05T16:55:39",
            "2016-02-30T00:00:00Z",
            "2016-01-05 16:55:39Z",
            "x",
            "2016-01-05T16:55:39.Z",
            "２016-01-05T16:55:39Z",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }

    /// Issue #11, finding 5: exactly `Z`, `+hh:mm` or `-hh:mm`, hh ≤ 14 (and 14:00 at most).
    #[test]
    fn time_zones_take_exactly_the_xs_datetime_forms() {
        let at = |tz: &str| Timestamp::parse(&format!("2016-01-05T16:55:39{tz}"));
        let utc = at("Z").unwrap().0;
        for (tz, minutes) in [
            ("+00:00", 0),
            ("-00:00", 0),
            ("+14:00", 840),
            ("-14:00", -840),
            ("+05:30", 330),
            ("-09:59", -599),
        ] {
            assert_eq!(at(tz).unwrap().0, utc - minutes * 60_000, "{tz}");
        }
        for bad in [
            "+-1:00", "+00:-5", "-+1:00", "+1:00", "+01:0", "+01:000", "+ 1:00", "+01: 0",
            "+15:00", "+14:01", "+01:60", "z", "+0100", "Z ", " Z", "+01:00Z", "UTC", "+０1:00",
        ] {
            assert!(at(bad).is_none(), "{bad}");
        }
    }
}
