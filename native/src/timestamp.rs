//! Timestamps as `detectors.events` reads them: what CPython 3.11's
//! `datetime.fromisoformat` accepts (ported from `_datetimemodule.c`, which works
//! on the UTF-8 bytes), with a UTC offset required, as integer epoch milliseconds.

/// The outcome of reading an ISO 8601 string.
#[derive(Debug, PartialEq)]
pub enum Iso {
    /// Epoch microseconds of an aware time.
    Aware(i64),
    /// A valid time without a UTC offset.
    Naive,
    /// Not a time `fromisoformat` accepts.
    Invalid,
}

fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// `parse_digits`: `n` ASCII digits at `i`; the index after them.
fn digits(s: &[u8], i: usize, n: usize, out: &mut i64) -> Option<usize> {
    for k in 0..n {
        let d = at(s, i + k).wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        *out = *out * 10 + d as i64;
    }
    Some(i + n)
}

fn separator(s: &[u8]) -> Option<usize> {
    let len = s.len();
    if len == 7 {
        return Some(7);
    }
    if at(s, 4) == b'-' {
        if at(s, 5) != b'W' {
            return Some(10);
        }
        if len > 8 && at(s, 8) == b'-' {
            if len == 9 {
                return None;
            }
            return Some(if len > 10 && at(s, 10).is_ascii_digit() {
                8
            } else {
                10
            });
        }
        return Some(8);
    }
    if at(s, 4) == b'W' {
        let mut idx = 7;
        while idx < len && at(s, idx).is_ascii_digit() {
            idx += 1;
        }
        if idx < 9 {
            return Some(idx);
        }
        return Some(if idx % 2 == 0 { 7 } else { 8 });
    }
    Some(8)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 0001-01-01 of a proleptic Gregorian date, plus one (CPython's ordinal).
fn ordinal(y: i64, m: i64, d: i64) -> i64 {
    let py = y - 1;
    let before_year = py * 365 + py.div_euclid(4) - py.div_euclid(100) + py.div_euclid(400);
    let before_month: i64 = (1..m).map(|k| days_in_month(y, k)).sum();
    before_year + before_month + d
}

fn from_ordinal(n: i64) -> (i64, i64, i64) {
    // Walk from an estimate; only used for ISO week dates.
    let mut y = (n * 400).div_euclid(146_097) + 1;
    while ordinal(y, 1, 1) > n {
        y -= 1;
    }
    while ordinal(y + 1, 1, 1) <= n {
        y += 1;
    }
    let mut m = 1;
    while m < 12 && ordinal(y, m + 1, 1) <= n {
        m += 1;
    }
    (y, m, n - ordinal(y, m, 1) + 1)
}

fn iso_week_date(year: i64, week: i64, day: i64) -> Option<(i64, i64, i64)> {
    if week <= 0 || week >= 53 {
        let first_weekday = (ordinal(year, 1, 1) + 6) % 7;
        let long_year = first_weekday == 3 || (first_weekday == 2 && is_leap(year));
        if week != 53 || !long_year {
            return None;
        }
    }
    if day <= 0 || day >= 8 {
        return None;
    }
    let first = ordinal(year, 1, 4);
    let monday = first - (first + 6) % 7;
    Some(from_ordinal(monday + (week - 1) * 7 + day - 1))
}

fn date(s: &[u8], len: usize) -> Option<(i64, i64, i64)> {
    let mut year = 0;
    let mut p = digits(s, 0, 4, &mut year)?;
    let sep = at(s, p) == b'-';
    p += sep as usize;
    if at(s, p) == b'W' {
        let (mut week, mut day) = (0, 0);
        p = digits(s, p + 1, 2, &mut week)?;
        if p < len {
            if sep {
                if at(s, p) != b'-' {
                    return None;
                }
                p += 1;
            }
            digits(s, p, 1, &mut day)?;
        } else {
            day = 1;
        }
        return iso_week_date(year, week, day);
    }
    let (mut month, mut day) = (0, 0);
    p = digits(s, p, 2, &mut month)?;
    if sep {
        if at(s, p) != b'-' {
            return None;
        }
        p += 1;
    }
    digits(s, p, 2, &mut day)?;
    Some((year, month, day))
}

/// `parse_hh_mm_ss_ff` over `s[from..end]`: ([h, m, s, us], more text follows).
fn hh_mm_ss_ff(s: &[u8], from: usize, end: usize) -> Option<([i64; 4], bool)> {
    let mut vals = [0i64; 4];
    let mut p = from;
    let mut has_sep = true;
    for (i, val) in vals.iter_mut().take(3).enumerate() {
        p = digits(s, p, 2, val)?;
        let c = at(s, p);
        p += 1;
        if i == 0 {
            has_sep = c == b':';
        }
        if p >= end {
            return Some((vals, c != 0));
        } else if has_sep && c == b':' {
            continue;
        } else if c == b'.' || c == b',' {
            break;
        } else if !has_sep {
            p -= 1;
        } else {
            return None;
        }
    }
    let to_parse = (end - p).min(6);
    let mut us = 0;
    p = digits(s, p, to_parse, &mut us)?;
    if to_parse < 6 {
        us *= [100_000, 10_000, 1_000, 100, 10][to_parse - 1];
    }
    vals[3] = us;
    while at(s, p).is_ascii_digit() {
        p += 1;
    }
    Some((vals, at(s, p) != 0))
}

/// The time part at `from`: (h, m, s, us) and the UTC offset in microseconds if any.
fn time(s: &[u8], from: usize) -> Option<([i64; 4], Option<i64>)> {
    let end = s.len();
    let mut tz = from;
    loop {
        if matches!(at(s, tz), b'Z' | b'+' | b'-') {
            break;
        }
        tz += 1;
        if tz >= end {
            break;
        }
    }
    let (clock, more) = hh_mm_ss_ff(s, from, tz)?;
    if tz == end {
        return if more { None } else { Some((clock, None)) };
    }
    if at(s, tz) == b'Z' {
        return if at(s, tz + 1) != 0 {
            None
        } else {
            Some((clock, Some(0)))
        };
    }
    let sign = if at(s, tz) == b'-' { -1 } else { 1 };
    let (off, more) = hh_mm_ss_ff(s, tz + 1, end)?;
    if more {
        return None;
    }
    let micros = sign * ((off[0] * 3600 + off[1] * 60 + off[2]) * 1_000_000 + off[3]);
    if micros.abs() >= 86_400_000_000 {
        return None;
    }
    Some((clock, Some(micros)))
}

/// What `datetime.fromisoformat(text)` gives, as epoch microseconds when aware.
pub fn fromisoformat(text: &str) -> Iso {
    if text.chars().count() < 7 {
        return Iso::Invalid;
    }
    let s = text.as_bytes();
    let Some(sep) = separator(s) else {
        return Iso::Invalid;
    };
    let Some((y, mo, d)) = date(s, sep) else {
        return Iso::Invalid;
    };
    let (clock, offset) = if s.len() > sep {
        match time(s, sep + 1) {
            Some(found) => found,
            None => return Iso::Invalid,
        }
    } else {
        ([0; 4], None)
    };
    let [h, mi, sec, us] = clock;
    let valid = (1..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && d >= 1
        && d <= days_in_month(y, mo)
        && h < 24
        && mi < 60
        && sec < 60;
    match (valid, offset) {
        (false, _) => Iso::Invalid,
        (true, None) => Iso::Naive,
        (true, Some(off)) => {
            let days = ordinal(y, mo, d) - ordinal(1970, 1, 1);
            let local = ((days * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000) + us;
            Iso::Aware(local - off)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Option<i64> {
        match fromisoformat(text) {
            Iso::Aware(us) => Some(us.div_euclid(1000)),
            _ => None,
        }
    }

    #[test]
    fn reads_what_python_reads() {
        assert_eq!(ms("2025-01-13T00:00:00Z"), Some(1_736_726_400_000));
        assert_eq!(ms("2025-01-13T08:00:00.250+08:00"), Some(1_736_726_400_250));
        assert_eq!(
            ms("2025-01-13 00:00:00.123456+00:00"),
            Some(1_736_726_400_123)
        );
        assert_eq!(ms("20250113T000000Z"), Some(1_736_726_400_000));
        assert_eq!(ms("2025-W03-1T00:00Z"), Some(1_736_726_400_000));
        assert_eq!(ms("1969-12-31T23:59:59.9995Z"), Some(-1));
        assert_eq!(fromisoformat("2025-01-13T00:00:00"), Iso::Naive);
        assert_eq!(fromisoformat("2025-01-13"), Iso::Naive);
        for bad in [
            "yesterday",
            "2025-02-30T00:00Z",
            "2025-01-13T24:00Z",
            "2025-01-13T00:00+24:00",
            "",
        ] {
            assert_eq!(fromisoformat(bad), Iso::Invalid, "{bad}");
        }
    }
}
