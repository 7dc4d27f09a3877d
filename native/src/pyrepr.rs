//! Python's `repr` and `str` of decoded JSON values, for the details of rejected events.
//!
//! The rejection details quote values as Python formats them (`v 1.0 is not
//! supported`, `type '5' is not ...`), so floats, strings, lists and dicts are
//! written exactly as CPython writes them.

use std::fmt::Write;

use crate::chars::is_printable;
use crate::json::Json;

/// `repr(value)` of a Python float.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Shortest round-trip digits, then CPython's layout: fixed for -4 <= exponent < 16.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    let decpt = exp + 1;
    if (-3..=16).contains(&decpt) {
        let n = digits.len() as i32;
        let body = if decpt <= 0 {
            format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
        } else if decpt >= n {
            format!("{}{}.0", digits, "0".repeat((decpt - n) as usize))
        } else {
            format!(
                "{}.{}",
                &digits[..decpt as usize],
                &digits[decpt as usize..]
            )
        };
        return format!("{sign}{body}");
    }
    let (first, rest) = digits.split_at(1);
    let frac = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
}

/// `int(x)` of an integral float, as decimal text (exact for any magnitude).
pub fn float_int_text(x: f64) -> String {
    if x.abs() < 9.0e18 {
        return format!("{}", x as i64);
    }
    let bits = x.abs().to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    // Little-endian base-1e9 limbs of mantissa * 2^exp (exp > 0 here).
    let mut limbs: Vec<u64> = vec![mantissa % 1_000_000_000, mantissa / 1_000_000_000];
    for _ in 0..exp {
        let mut carry = 0;
        for limb in limbs.iter_mut() {
            let v = *limb * 2 + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    while limbs.len() > 1 && *limbs.last().unwrap() == 0 {
        limbs.pop();
    }
    let mut out = String::from(if x < 0.0 { "-" } else { "" });
    let mut iter = limbs.iter().rev();
    write!(out, "{}", iter.next().unwrap()).unwrap();
    for limb in iter {
        write!(out, "{limb:09}").unwrap();
    }
    out
}

/// `repr(s)` of a Python str.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\x7f' => write!(out, "\\x{:02x}", c as u32).unwrap(),
            c if c.is_ascii() || is_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => write!(out, "\\x{:02x}", c as u32).unwrap(),
            c if (c as u32) <= 0xffff => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c => write!(out, "\\U{:08x}", c as u32).unwrap(),
        }
    }
    out.push(quote);
    out
}

/// `repr(value)` of the Python object `json.loads` makes of a JSON value.
pub fn repr(value: &Json) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

/// `str(value)`: the string itself for strings, else `repr`.
pub fn str_of(value: &Json) -> String {
    match value {
        Json::Str(s) => s.to_string(),
        other => repr(other),
    }
}

fn write_repr(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("None"),
        Json::Bool(true) => out.push_str("True"),
        Json::Bool(false) => out.push_str("False"),
        Json::Int(i) => write!(out, "{i}").unwrap(),
        Json::BigInt(text) => out.push_str(text),
        Json::Float(f) => out.push_str(&float_repr(*f)),
        Json::Str(s) => out.push_str(&str_repr(s)),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            // A dict keeps the first position of a repeated key and its last value.
            let mut first = true;
            for (i, (key, _)) in members.iter().enumerate() {
                if members[..i].iter().any(|(k, _)| k == key) {
                    continue;
                }
                if !first {
                    out.push_str(", ");
                }
                first = false;
                out.push_str(&str_repr(key));
                out.push_str(": ");
                write_repr(value.get(key).expect("the key is present"), out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_cpython() {
        let cases = [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (123456.789, "123456.789"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (x, text) in cases {
            assert_eq!(float_repr(x), text, "{x}");
        }
        assert_eq!(float_int_text(1e20), "100000000000000000000");
        assert_eq!(float_int_text(-3.0), "-3");
    }

    #[test]
    fn strings_and_containers_like_cpython() {
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a\n\u{7f}é\u{200b}"), "'a\\n\\x7fé\\u200b'");
        let (value, _) =
            crate::json::parse(r#"{"a": [1, 2.0, null, true], "b": "x", "a": {}}"#, false).unwrap();
        assert_eq!(repr(&value), "{'a': {}, 'b': 'x'}");
    }
}
