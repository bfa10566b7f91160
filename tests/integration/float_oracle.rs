//! core's `float::parse_f64` against std's `str::parse::<f64>`, the parser it replaced: on edge cases,
//! random digit strings of every length up to 900 digits, exact halfway points between neighbouring
//! doubles and decimals just above and below them, printed doubles, and malformed text, both must
//! accept the same strings and return the same bits.
//!
//! The default run is sized for a debug `cargo test` (about half a million inputs);
//! `TOKENFLEET_PARSE_F64_CASES=<n>` sets the number of cases of each generated kind, about 13 inputs
//! each (`TOKENFLEET_PARSE_F64_CASES=2000000 cargo test --release -p tokenfleet-tests float_oracle`).

use tokenfleet_core::float::parse_f64;

use crate::generate::Rng;

fn check(text: &str) {
    let ours = parse_f64(text).map(f64::to_bits);
    let std = text.parse::<f64>().ok().map(f64::to_bits);
    assert_eq!(ours, std, "parse_f64({text:?}) differs from std (bits)");
}

/// Cases of each generated kind: `TOKENFLEET_PARSE_F64_CASES`, or `default`.
fn cases(default: u64) -> u64 {
    std::env::var("TOKENFLEET_PARSE_F64_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

/// Doubles whose neighbourhoods are worth a look: zero, the subnormals' ends, the smallest and largest
/// normals, 2^53 and its neighbours, one, the largest finite double.
const SPECIAL_BITS: [u64; 14] = [
    0,
    1,
    2,
    0x000f_ffff_ffff_fffe,
    0x000f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x0010_0000_0000_0001,
    0x4330_0000_0000_0000,
    0x432f_ffff_ffff_ffff,
    0x4330_0000_0000_0001,
    0x3ff0_0000_0000_0000,
    0x3fef_ffff_ffff_ffff,
    0x7fef_ffff_ffff_fffe,
    0x7fef_ffff_ffff_ffff,
];

#[test]
fn edge_cases_agree_with_std() {
    let fixed = [
        "0",
        "-0",
        "+0",
        "00",
        "0.",
        ".0",
        "1",
        "1.",
        ".5",
        "-.5",
        "+.5",
        "1e5",
        "1E5",
        "1e+5",
        "1e-5",
        "1.e3",
        "1.5E-3",
        "inf",
        "-INF",
        "+inf",
        "Infinity",
        "-infinity",
        "INFINITY",
        "nan",
        "-NaN",
        "+nan",
        "NAN",
        "",
        ".",
        "-",
        "+",
        "e5",
        "E5",
        "1e",
        "1e+",
        "1e-",
        ".e1",
        "-.e1",
        "+-1",
        "--1",
        "1e+-5",
        " 1",
        "1 ",
        "1_0",
        "0x10",
        "infinit",
        "infinityy",
        "nana",
        "in",
        "1.2.3",
        "1e5.5",
        "1e5e5",
        "1,5",
        "١",
        "1\0",
        "2.2250738585072014e-308",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "9007199254740993",
        "9007199254740992",
        "9007199254740991",
        "9007199254740994",
        "9007199254740995",
        "18014398509481985",
        "1e-400",
        "-1e-400",
        "1e400",
        "-1e400",
        "9999999999e-10000",
        "9999999999e10000",
        "0.1",
        "0.3",
        "123456789012345678901234567890",
        "1e22",
        "1e23",
        "9007199254740993e22",
        "8.5e-1",
        "0e99999999999999999999",
        "0e-99999999999999999999",
        "1e99999999999999999999",
        "1e-99999999999999999999",
        "0.00000000000000000000000000000000000001e38",
        "1e308",
        "1e309",
        "1e-323",
        "1e-324",
        "3e-324",
        "2.5e-324",
        "1e-325",
        "1.797693135e308",
        "17976931348623158e292",
        "1.8e308",
        "9.9e308",
        "2e-324",
        "4.9e-324",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946",
    ];
    for text in fixed {
        check(text);
    }
    for zeros in 0..=420 {
        let tiny = format!("0.{}1", "0".repeat(zeros));
        let big = format!("1{}", "0".repeat(zeros));
        for text in [&tiny, &big, &format!("{tiny}e300"), &format!("{big}e-400"), &format!("-{tiny}e-20")] {
            check(text);
        }
    }
}

#[test]
fn random_digit_strings_agree_with_std() {
    let mut rng = Rng::new(0xF10A7);
    for _ in 0..cases(150_000) {
        let len = match rng.below(10) {
            0..=5 => 1 + rng.below(20),
            6..=7 => 1 + rng.below(60),
            _ => 1 + rng.below(900),
        } as usize;
        let mut digits: Vec<u8> = (0..len).map(|_| b'0' + rng.below(10) as u8).collect();
        if rng.chance(20) {
            // Long runs of zeros or nines, where rounding decisions hide.
            let fill = if rng.chance(50) { b'0' } else { b'9' };
            let from = rng.below(len as u64) as usize;
            digits[from..].iter_mut().for_each(|d| *d = fill);
            if rng.chance(50) {
                *digits.last_mut().expect("at least one digit") = b'1';
            }
        }
        let digits = String::from_utf8(digits).expect("ASCII digits");
        let exponent = match rng.below(6) {
            0 => 0,
            1 => rng.below(61) as i64 - 30,
            2 => rng.below(801) as i64 - 400,
            3 => rng.below(2001) as i64 - 1000,
            4 => rng.next() as i64 % 100_000_000_000_000,
            _ => -(len as i64) + rng.below(40) as i64 - 20,
        };
        check(&render(&mut rng, &digits, exponent));
    }
}

#[test]
fn halfway_points_and_their_neighbours_agree_with_std() {
    let mut rng = Rng::new(0x4A1F);
    let count = cases(6_000);
    for i in 0..count + SPECIAL_BITS.len() as u64 {
        let bits = match SPECIAL_BITS.get(i as usize) {
            Some(&bits) => bits,
            None => random_double_bits(&mut rng),
        };
        let (digits, exponent) = halfway(bits);
        let len = digits.len();
        let pad = "0".repeat(rng.below(30) as usize);
        let nines = "9".repeat(rng.below(30) as usize);
        let cut = 1 + rng.below(len as u64) as usize;
        let variants = [
            (digits.clone(), exponent),
            (format!("{digits}{pad}1"), exponent - pad.len() as i64 - 1),
            (format!("{}{nines}9", decrement(&digits)), exponent - nines.len() as i64 - 1),
            (digits[..cut].to_string(), exponent + (len - cut) as i64),
            (increment(&digits[..cut]), exponent + (len - cut) as i64),
        ];
        for (digits, exponent) in variants {
            check(&render(&mut rng, &digits, exponent));
        }
    }
}

#[test]
fn printed_doubles_agree_with_std() {
    let mut rng = Rng::new(0x5EED);
    for i in 0..cases(30_000) + SPECIAL_BITS.len() as u64 {
        let bits = match SPECIAL_BITS.get(i as usize) {
            Some(&bits) => bits,
            None => random_double_bits(&mut rng),
        };
        let x = f64::from_bits(bits);
        let precision = rng.below(40) as usize;
        check(&format!("{x}"));
        check(&format!("{x:e}"));
        check(&format!("{x:.precision$e}"));
        check(&format!("{:.precision$}", x * 10f64.powi(rng.below(40) as i32 - 20)));
        check(&format!("{}", (rng.next() >> rng.below(64)) as f64));
        check(&format!("{}", rng.next() >> rng.below(64)));
    }
}

#[test]
fn malformed_and_mutated_text_agrees_with_std() {
    let mut rng = Rng::new(0xBAD);
    let alphabet: Vec<char> = "0123456789..eE+-_ xinfatyINFAY,\t".chars().collect();
    for _ in 0..cases(200_000) {
        let text: String = if rng.chance(50) {
            (0..rng.below(12)).map(|_| *rng.pick(&alphabet)).collect()
        } else {
            let digits = (1 + rng.next() % 1_000_000_000).to_string();
            let exponent = rng.below(41) as i64 - 20;
            let mut text: Vec<char> = render(&mut rng, &digits, exponent).chars().collect();
            let at = rng.below(text.len() as u64 + 1) as usize;
            match rng.below(3) {
                0 => text.insert(at, *rng.pick(&alphabet)),
                1 if at < text.len() => _ = text.remove(at),
                _ if at < text.len() => text[at] = *rng.pick(&alphabet),
                _ => text.push(*rng.pick(&alphabet)),
            }
            text.into_iter().collect()
        };
        check(&text);
    }
}

/// Bits of a positive finite double: uniform, or near the ends of the exponent range, or with an
/// extreme mantissa.
fn random_double_bits(rng: &mut Rng) -> u64 {
    let exponent = match rng.below(4) {
        0 => *rng.pick(&[0, 1, 2, 3, 1023, 1075, 1076, 2044, 2045, 2046]),
        _ => rng.below(2047),
    };
    let fraction = match rng.below(4) {
        0 => *rng.pick(&[0, 1, 2, (1 << 52) - 1, (1 << 52) - 2, 1 << 51]),
        _ => rng.next() & ((1 << 52) - 1),
    };
    exponent << 52 | fraction
}

/// `digits × 10^exponent` written as a person or a program might: a sign, leading zeros, the point
/// anywhere, and an exponent (`e` or `E`, signed or not) or none.
fn render(rng: &mut Rng, digits: &str, exponent: i64) -> String {
    let sign = *rng.pick(&["", "", "-", "+"]);
    let zeros = "0".repeat(if rng.chance(15) { rng.below(25) as usize } else { 0 });
    let point = rng.below(digits.len() as u64 + 1) as usize;
    let (integer, fraction) = digits.split_at(point);
    let shown = exponent + fraction.len() as i64;
    let point = if fraction.is_empty() && rng.chance(70) { "" } else { "." };
    let marker = if rng.chance(50) { "e" } else { "E" };
    let plus = if shown >= 0 && rng.chance(30) { "+" } else { "" };
    let exponent = if shown == 0 && rng.chance(60) { String::new() } else { format!("{marker}{plus}{shown}") };
    format!("{sign}{zeros}{integer}{point}{fraction}{exponent}")
}

/// The halfway point between the positive double with these `bits` and the next one up, exactly, as
/// decimal digits and a power of ten.
fn halfway(bits: u64) -> (String, i64) {
    let biased = (bits >> 52) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, power_of_two) = if biased == 0 { (fraction, -1075) } else { (fraction | 1 << 52, biased - 1076) };
    let odd = 2 * mantissa + 1;
    let mut number = vec![odd as u32, (odd >> 32) as u32];
    // (2m + 1) × 2^q is (2m + 1) × 5^-q × 10^q when q < 0.
    let (factor, chunk, steps) = if power_of_two < 0 { (5u32, 13, -power_of_two) } else { (2u32, 31, power_of_two) };
    for step in (0..steps).step_by(chunk) {
        let times = (steps - step).min(chunk as i64) as u32;
        let mut carry = 0u64;
        for limb in number.iter_mut() {
            let product = u64::from(*limb) * u64::from(factor.pow(times)) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            number.push(carry as u32);
        }
    }
    let mut chunks = vec![];
    while number.iter().any(|&limb| limb != 0) {
        let mut remainder = 0u64;
        for limb in number.iter_mut().rev() {
            let wide = remainder << 32 | u64::from(*limb);
            *limb = (wide / 1_000_000_000) as u32;
            remainder = wide % 1_000_000_000;
        }
        chunks.push(remainder);
    }
    let mut digits = chunks.pop().map(|top| top.to_string()).unwrap_or_default();
    for chunk in chunks.iter().rev() {
        digits += &format!("{chunk:09}");
    }
    (digits, power_of_two.min(0))
}

/// The decimal digit string one more (in the last place) than `digits`.
fn increment(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return String::from_utf8(bytes).expect("ASCII digits");
        }
    }
    format!("1{}", String::from_utf8(bytes).expect("ASCII digits"))
}

/// The decimal digit string one less (in the last place) than `digits`, which is not zero.
fn decrement(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'0' {
            *byte = b'9';
        } else {
            *byte -= 1;
            break;
        }
    }
    String::from_utf8(bytes).expect("ASCII digits")
}
