//! Go's shortest float formatting: `strconv.FormatFloat(f, 'g', -1, bitSize)`
//! (`src/strconv/ftoa.go`: `genericFtoa`, `formatDigits`, `fmtE`, `fmtF`) and
//! `encoding/json`'s float encoding (`src/encoding/json/encode.go`:
//! `floatEncoder.encode`).
//!
//! Original: Copyright 2009 The Go Authors; BSD-3-Clause licence.
//!
//! Go finds the shortest round-tripping digits with Ryū; Rust's `{:e}`
//! formatting yields the same shortest (and closest) digit string, so only
//! Go's layout rules are reproduced here.

use std::fmt::Write;

/// Shortest decimal digits `d` (no trailing zeros) and decimal point position
/// `dp`, meaning the value is `0.d × 10^dp` — Go's `decimalSlice`. Zero has no
/// digits and `dp == 0`, as in Go.
struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    dp: i32,
}

/// Result of classifying a float before digit generation (`genericFtoa`).
enum Float {
    Special(&'static str),
    Finite(Decimal),
}

/// Decodes `{:e}` output (`-1.2345e-6`, `5e0`) into digits and exponent.
fn decimal_from_sci(neg: bool, sci: &str) -> Decimal {
    let sci = sci.trim_start_matches('-');
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return Decimal { neg, digits, dp: 0 };
    }
    Decimal {
        neg,
        digits,
        dp: exp + 1,
    }
}

/// Shortest digits of `f` at the given precision. For 32 bits Go formats
/// `float32(f)`, which rounds to nearest (overflowing to ±Inf) exactly like
/// `as f32`; NaN prints as "NaN" whatever its sign.
fn shortest(f: f64, bit_size: u32) -> Float {
    let neg = f.is_sign_negative();
    let (exact, sci, single) = if bit_size == 32 {
        let g = f as f32;
        if g.is_nan() || g.is_infinite() {
            return special(g.is_nan(), neg);
        }
        (f64::from(g.abs()), format!("{:e}", g.abs()), true)
    } else {
        if f.is_nan() || f.is_infinite() {
            return special(f.is_nan(), neg);
        }
        (f.abs(), format!("{:e}", f.abs()), false)
    };
    let mut d = decimal_from_sci(neg, &sci);
    round_ties_to_even(&mut d, exact, single);
    Float::Finite(d)
}

fn special(nan: bool, neg: bool) -> Float {
    Float::Special(match (nan, neg) {
        (true, _) => "NaN",
        (false, true) => "-Inf",
        (false, false) => "+Inf",
    })
}

/// Rust and Go both emit the shortest digit string that round-trips and,
/// among those, the one closest to the exact value; they differ only when the
/// exact value lies precisely halfway between two such strings. Rust then
/// rounds up, whereas Go's Ryū (`ryuDigits32`, like `decimal.Round` in its
/// exact fallback) picks the even last digit, e.g. float32 1709.65625 is
/// "1709.6562" in Go. `abs` is the magnitude of the value being formatted
/// (exact, as f64); `single` selects float32 round-trip checking.
fn round_ties_to_even(d: &mut Decimal, abs: f64, single: bool) {
    let nd = d.digits.len();
    // ASCII digits have the parity of their value (b'0' is even).
    if nd == 0 || nd > 18 || d.digits.last().is_some_and(|c| c.is_multiple_of(2)) {
        return;
    }
    let Some(digits) = d.digits.iter().try_fold(0u64, |acc, &c| {
        acc.checked_mul(10)?
            .checked_add(u64::from(c.checked_sub(b'0')?))
    }) else {
        return;
    };
    let Ok(nd_i) = i32::try_from(nd) else {
        return;
    };
    // The value of the digit string is `digits × 10^scale`; a tie means the
    // exact value is `(10 × digits ± 5) × 10^(scale - 1)`.
    let scale = d.dp - nd_i;
    let (mant, exp2) = decompose(abs);
    let candidate = if exact_eq(mant, exp2, digits * 10 - 5, scale - 1) {
        digits - 1
    } else if exact_eq(mant, exp2, digits * 10 + 5, scale - 1) {
        digits + 1
    } else {
        return;
    };
    let text = format!("{candidate}e{scale}");
    let round_trips = if single {
        text.parse::<f32>().is_ok_and(|x| f64::from(x) == abs)
    } else {
        text.parse::<f64>().is_ok_and(|x| x == abs)
    };
    if !round_trips {
        return;
    }
    let mut new_digits = candidate.to_string().into_bytes();
    let Ok(new_nd) = i32::try_from(new_digits.len()) else {
        return;
    };
    while new_digits.last() == Some(&b'0') {
        new_digits.pop();
    }
    d.dp = scale + new_nd;
    d.digits = new_digits;
}

/// Splits a finite non-negative f64 into `mant × 2^exp` exactly.
fn decompose(f: f64) -> (u64, i32) {
    let bits = f.to_bits();
    let biased = i32::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let frac = bits & ((1u64 << 52) - 1);
    if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    }
}

/// Whether `m × 2^e == t × 10^k` exactly. Products that overflow 128 bits
/// cannot be equal: the odd part on one side would exceed the other's bound.
fn exact_eq(m: u64, e: i32, t: u64, k: i32) -> bool {
    if m == 0 || t == 0 {
        return m == t;
    }
    let pow5 = |n: i32| -> Option<u128> { (0..n).try_fold(1u128, |acc, _| acc.checked_mul(5)) };
    // t × 10^k = t × 5^k × 2^k; move the power of five to whichever side
    // keeps the exponent non-negative.
    let (lhs, rhs) = if k >= 0 {
        match pow5(k).and_then(|p| u128::from(t).checked_mul(p)) {
            Some(r) => (u128::from(m), r),
            None => return false,
        }
    } else {
        match pow5(-k).and_then(|p| u128::from(m).checked_mul(p)) {
            Some(l) => (l, u128::from(t)),
            None => return false,
        }
    };
    let (lz, rz) = (lhs.trailing_zeros(), rhs.trailing_zeros());
    let (Ok(lz_i), Ok(rz_i)) = (i32::try_from(lz), i32::try_from(rz)) else {
        return false;
    };
    lhs >> lz == rhs >> rz && i64::from(e) + i64::from(lz_i) == i64::from(k) + i64::from(rz_i)
}

/// `fmtE`: `-d.ddddde±dd` with `prec` digits after the point; the exponent has
/// at least two digits.
fn fmt_e(out: &mut String, d: &Decimal, prec: i32) {
    if d.neg {
        out.push('-');
    }
    out.push(char::from(d.digits.first().copied().unwrap_or(b'0')));
    if prec > 0 {
        out.push('.');
        let mut i = 1usize;
        let m = d.digits.len().min(usize::try_from(prec).unwrap_or(0) + 1);
        if i < m {
            out.extend(d.digits.iter().take(m).skip(1).map(|&c| char::from(c)));
            i = m;
        }
        while i <= usize::try_from(prec).unwrap_or(0) {
            out.push('0');
            i += 1;
        }
    }
    out.push('e');
    let mut exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    let _ = write!(out, "{exp}");
}

/// `fmtF`: `-ddddddd.ddddd` with `prec` digits after the point.
fn fmt_f(out: &mut String, d: &Decimal, prec: i32) {
    if d.neg {
        out.push('-');
    }
    let nd = i32::try_from(d.digits.len()).unwrap_or(i32::MAX);
    if d.dp > 0 {
        let m = nd.min(d.dp);
        out.extend(
            d.digits
                .iter()
                .take(usize::try_from(m).unwrap_or(0))
                .map(|&c| char::from(c)),
        );
        for _ in m..d.dp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            let j = d.dp + i;
            let ch = usize::try_from(j)
                .ok()
                .and_then(|j| d.digits.get(j))
                .copied()
                .unwrap_or(b'0');
            out.push(char::from(ch));
        }
    }
}

/// Go `strconv.FormatFloat(f, 'g', -1, bit_size)`.
///
/// In shortest mode `formatDigits` uses precision 6 for the choice of layout:
/// exponent form when the decimal exponent is below -4 or at least 6
/// (`1e+06`, `1.234567e+06`, `1e-05`), plain form otherwise (`100000`,
/// `0.0001`). `bit_size` 32 formats the value rounded to `f32`; any other
/// value is treated as 64 (Go panics there).
pub fn format_float(f: f64, bit_size: u32) -> String {
    let d = match shortest(f, bit_size) {
        Float::Special(s) => return s.to_owned(),
        Float::Finite(d) => d,
    };
    let nd = i32::try_from(d.digits.len()).unwrap_or(i32::MAX);
    let mut out = String::with_capacity(24);
    let exp = d.dp - 1;
    if !(-4..6).contains(&exp) {
        fmt_e(&mut out, &d, nd - 1);
    } else {
        fmt_f(&mut out, &d, (nd - d.dp).max(0));
    }
    out
}

/// Go `encoding/json` float64 encoding: shortest `'f'` layout, or shortest
/// `'e'` layout when `abs < 1e-6 || abs >= 1e21`, with a negative two-digit
/// exponent's leading zero removed (`1e-07` → `1e-7`). `None` for NaN and
/// ±Inf, which Go's encoder rejects with an `UnsupportedValueError`.
pub fn format_json_float(f: f64) -> Option<String> {
    let d = match shortest(f, 64) {
        Float::Special(_) => return None,
        Float::Finite(d) => d,
    };
    let nd = i32::try_from(d.digits.len()).unwrap_or(i32::MAX);
    let abs = f.abs();
    let mut out = String::with_capacity(24);
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        fmt_e(&mut out, &d, (nd - 1).max(0));
        let n = out.len();
        let b = out.as_bytes();
        if n >= 4
            && b.get(n - 4) == Some(&b'e')
            && b.get(n - 3) == Some(&b'-')
            && b.get(n - 2) == Some(&b'0')
        {
            out.remove(n - 2);
        }
    } else {
        fmt_f(&mut out, &d, (nd - d.dp).max(0));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (value, FormatFloat 'g' -1 64, FormatFloat 'g' -1 32, json.Marshal),
    /// recorded from Go.
    const CASES: &[(f64, &str, &str, Option<&str>)] = &[
        (0.0, "0", "0", Some("0")),
        (-0.0, "-0", "-0", Some("-0")),
        (1.0, "1", "1", Some("1")),
        (-1.0, "-1", "-1", Some("-1")),
        (1.1, "1.1", "1.1", Some("1.1")),
        (
            0.30000000000000004,
            "0.30000000000000004",
            "0.3",
            Some("0.30000000000000004"),
        ),
        (0.1, "0.1", "0.1", Some("0.1")),
        (
            0.3333333333333333,
            "0.3333333333333333",
            "0.33333334",
            Some("0.3333333333333333"),
        ),
        (
            -0.6666666666666666,
            "-0.6666666666666666",
            "-0.6666667",
            Some("-0.6666666666666666"),
        ),
        (100.0, "100", "100", Some("100")),
        (100000.0, "100000", "100000", Some("100000")),
        (123456.0, "123456", "123456", Some("123456")),
        (999999.0, "999999", "999999", Some("999999")),
        (1000000.0, "1e+06", "1e+06", Some("1000000")),
        (1234567.0, "1.234567e+06", "1.234567e+06", Some("1234567")),
        (
            123456789.0,
            "1.23456789e+08",
            "1.2345679e+08",
            Some("123456789"),
        ),
        (1e+20, "1e+20", "1e+20", Some("100000000000000000000")),
        (1e+21, "1e+21", "1e+21", Some("1e+21")),
        (1e+22, "1e+22", "1e+22", Some("1e+22")),
        (1.5e+21, "1.5e+21", "1.5e+21", Some("1.5e+21")),
        (
            9.999999999999999e+20,
            "9.999999999999999e+20",
            "1e+21",
            Some("999999999999999900000"),
        ),
        (0.0001, "0.0001", "0.0001", Some("0.0001")),
        (0.00012345, "0.00012345", "0.00012345", Some("0.00012345")),
        (1e-05, "1e-05", "1e-05", Some("0.00001")),
        (1.5e-05, "1.5e-05", "1.5e-05", Some("0.000015")),
        (1e-06, "1e-06", "1e-06", Some("0.000001")),
        (9.99e-07, "9.99e-07", "9.99e-07", Some("9.99e-7")),
        (1e-07, "1e-07", "1e-07", Some("1e-7")),
        (1.2345e-07, "1.2345e-07", "1.2345e-07", Some("1.2345e-7")),
        (1e-10, "1e-10", "1e-10", Some("1e-10")),
        (1e-100, "1e-100", "0", Some("1e-100")),
        (1e+100, "1e+100", "+Inf", Some("1e+100")),
        (1e+300, "1e+300", "+Inf", Some("1e+300")),
        (
            1.7976931348623157e+308,
            "1.7976931348623157e+308",
            "+Inf",
            Some("1.7976931348623157e+308"),
        ),
        (5e-324, "5e-324", "0", Some("5e-324")),
        (
            2.2250738585072014e-308,
            "2.2250738585072014e-308",
            "0",
            Some("2.2250738585072014e-308"),
        ),
        (
            3.4028234663852886e+38,
            "3.4028234663852886e+38",
            "3.4028235e+38",
            Some("3.4028234663852886e+38"),
        ),
        (
            3.4028235677973366e+38,
            "3.4028235677973366e+38",
            "+Inf",
            Some("3.4028235677973366e+38"),
        ),
        (3.5e+38, "3.5e+38", "+Inf", Some("3.5e+38")),
        (1e+39, "1e+39", "+Inf", Some("1e+39")),
        (
            1.401298464324817e-45,
            "1.401298464324817e-45",
            "1e-45",
            Some("1.401298464324817e-45"),
        ),
        (7e-46, "7e-46", "0", Some("7e-46")),
        (1e-46, "1e-46", "0", Some("1e-46")),
        (
            1.1754943508222875e-38,
            "1.1754943508222875e-38",
            "1.1754944e-38",
            Some("1.1754943508222875e-38"),
        ),
        (
            16777216.0,
            "1.6777216e+07",
            "1.6777216e+07",
            Some("16777216"),
        ),
        (
            16777217.0,
            "1.6777217e+07",
            "1.6777216e+07",
            Some("16777217"),
        ),
        (
            9007199254740992.0,
            "9.007199254740992e+15",
            "9.007199e+15",
            Some("9007199254740992"),
        ),
        (
            9007199254740994.0,
            "9.007199254740994e+15",
            "9.007199e+15",
            Some("9007199254740994"),
        ),
        (
            9.223372036854776e+18,
            "9.223372036854776e+18",
            "9.223372e+18",
            Some("9223372036854776000"),
        ),
        (
            1.8446744073709552e+19,
            "1.8446744073709552e+19",
            "1.8446744e+19",
            Some("18446744073709552000"),
        ),
        (
            1.2345678901234567e+19,
            "1.2345678901234567e+19",
            "1.2345679e+19",
            Some("12345678901234567000"),
        ),
        (4.35, "4.35", "4.35", Some("4.35")),
        (3.14158, "3.14158", "3.14158", Some("3.14158")),
        (
            6.02214076e23,
            "6.02214076e+23",
            "6.0221406e+23",
            Some("6.02214076e+23"),
        ),
        (-273.15, "-273.15", "-273.15", Some("-273.15")),
        (1709.65625, "1709.65625", "1709.6562", Some("1709.65625")),
        (4296.15625, "4296.15625", "4296.1562", Some("4296.15625")),
        (24001.0625, "24001.0625", "24001.062", Some("24001.0625")),
        (
            21.971694946289062,
            "21.971694946289062",
            "21.971695",
            Some("21.971694946289062"),
        ),
        (0.3, "0.3", "0.3", Some("0.3")),
        (1e+23, "1e+23", "1e+23", Some("1e+23")),
        (8.41e+21, "8.41e+21", "8.41e+21", Some("8.41e+21")),
        (5e-07, "5e-07", "5e-07", Some("5e-7")),
        (-5e-07, "-5e-07", "-5e-07", Some("-5e-7")),
        (2.5e-08, "2.5e-08", "2.5e-08", Some("2.5e-8")),
        (1e-308, "1e-308", "0", Some("1e-308")),
        (
            123456789012.0,
            "1.23456789012e+11",
            "1.2345679e+11",
            Some("123456789012"),
        ),
        (1e-06, "1e-06", "1e-06", Some("0.000001")),
        (1.0000001, "1.0000001", "1.0000001", Some("1.0000001")),
        (
            0.7999999999999999,
            "0.7999999999999999",
            "0.8",
            Some("0.7999999999999999"),
        ),
        (100000.5, "100000.5", "100000.5", Some("100000.5")),
        (65504.0, "65504", "65504", Some("65504")),
        (
            1000000000000000.0,
            "1e+15",
            "1e+15",
            Some("1000000000000000"),
        ),
        (1e+16, "1e+16", "1e+16", Some("10000000000000000")),
        (1e+17, "1e+17", "1e+17", Some("100000000000000000")),
        (5e-324, "5e-324", "0", Some("5e-324")),
        (f64::INFINITY, "+Inf", "+Inf", None),
        (f64::NEG_INFINITY, "-Inf", "-Inf", None),
        (f64::NAN, "NaN", "NaN", None),
        (
            -1709.65625,
            "-1709.65625",
            "-1709.6562",
            Some("-1709.65625"),
        ),
        (
            71.83340454101562,
            "71.83340454101562",
            "71.833405",
            Some("71.83340454101562"),
        ),
        (
            8.537582397460938,
            "8.537582397460938",
            "8.537582",
            Some("8.537582397460938"),
        ),
    ];

    #[test]
    fn matches_go() {
        for &(f, g64, g32, json) in CASES {
            assert_eq!(format_float(f, 64), g64, "64-bit {f:e}");
            assert_eq!(format_float(f, 32), g32, "32-bit {f:e}");
            assert_eq!(format_json_float(f).as_deref(), json, "json {f:e}");
        }
    }

    #[test]
    fn ties_round_to_even_digit() {
        // float32 1709.65625 lies exactly between 1709.6562 and 1709.6563.
        assert_eq!(format_float(1709.65625, 32), "1709.6562");
        // 8.5375823974609375 lies between ...937 and ...938.
        assert_eq!(
            format_float(f64::from_bits(0x4021_133e_0000_0000), 64),
            "8.537582397460938"
        );
        assert!(exact_eq(5, -1, 25, -1));
        assert!(!exact_eq(5, -1, 26, -1));
        assert!(exact_eq(1 << 10, 0, 1024, 0));
    }

    #[test]
    fn nan_with_sign_bit() {
        let neg_nan = f64::from_bits(0xfff8_0000_0000_0000);
        assert_eq!(format_float(neg_nan, 64), "NaN");
        assert_eq!(format_float(neg_nan, 32), "NaN");
        assert_eq!(format_json_float(neg_nan), None);
    }
}
