//! Timestamps as Go's `time.Time` marshals them.
//!
//! Index files carry `created` and `generated` as `time.Time` JSON: RFC 3339
//! with nanoseconds, trailing zeros trimmed, `Z` for a zero offset and the
//! local zone's offset otherwise. Loaded values are parsed and re-formatted
//! the same way, so `+00:00` becomes `Z` and `.120` becomes `.12`, as in Helm.

use chrono::{DateTime, FixedOffset, Local, Offset, TimeZone, Utc};

/// The zero `time.Time`, written when an entry has no `created`.
pub const ZERO: &str = "0001-01-01T00:00:00Z";

/// Formats like Go's `time.RFC3339Nano`.
pub fn format<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    let off = t.offset().fix().local_minus_utc();
    let mut s = t.naive_local().format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    if off == 0 {
        s.push('Z');
    } else {
        let sign = if off < 0 { '-' } else { '+' };
        let a = off.abs();
        s.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60));
    }
    s
}

/// The current time in the local zone, or `SOURCE_DATE_EPOCH` (in UTC) when
/// that is set, for reproducible builds.
pub fn now() -> String {
    if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        if let Some(t) = Utc.timestamp_opt(epoch, 0).single() {
            return format(&t);
        }
    }
    format(&Local::now())
}

/// Parses an RFC 3339 time as Go's `time.Time.UnmarshalJSON` accepts it and
/// returns its canonical Go form, or `None` when Go would refuse it.
pub fn canonical(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // Go's layout is strict: four-digit year, two-digit fields, `T`.
    if b.len() < 20
        || !b[0..4].iter().all(u8::is_ascii_digit)
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let t: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(s).ok()?;
    // chrono accepts a leap second (":60"); Go does not.
    if &s[17..19] == "60" {
        return None;
    }
    Some(format(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_match_go() {
        let cases = [
            (
                "2018-05-05T05:05:05.123+02:00",
                "2018-05-05T05:05:05.123+02:00",
            ),
            (
                "2018-05-05T05:05:05.120+02:00",
                "2018-05-05T05:05:05.12+02:00",
            ),
            ("2018-05-05T05:05:05+00:00", "2018-05-05T05:05:05Z"),
            (
                "2026-08-20T18:40:20.178597344Z",
                "2026-08-20T18:40:20.178597344Z",
            ),
            (
                "2020-01-01T00:00:00.000000000-05:00",
                "2020-01-01T00:00:00-05:00",
            ),
            ("0001-01-01T00:00:00Z", ZERO),
        ];
        for (i, o) in cases {
            assert_eq!(canonical(i).as_deref(), Some(o), "{i}");
        }
    }

    #[test]
    fn refuses_what_go_refuses() {
        for bad in [
            "2020-01-01",
            "2020-01-01 00:00:00Z",
            "2020-13-01T00:00:00Z",
            "2020-02-30T00:00:00Z",
            "2020-01-01T00:00:60Z",
            "20-01-01T00:00:00Z",
            "yesterday",
        ] {
            assert_eq!(canonical(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_utc_and_offsets() {
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(format(&t), "2024-01-02T03:04:05Z");
        let o = FixedOffset::west_opt(5 * 3600).unwrap();
        let t = o.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(format(&t), "2024-01-02T03:04:05-05:00");
    }
}
