//! Decimal text to `f64`: a small, correctly rounded drop-in for `str::parse::<f64>`.
//!
//! std's parser (Eisel-Lemire with a 10 KB table of powers of five, plus a decimal slow path) is about
//! 10 KB of the web app's gzipped wasm. This one accepts exactly the strings std accepts and returns the
//! same bits: Clinger's exact fast path for the numbers people write (a mantissa of at most 2^53 and a
//! decimal exponent within ±22), and otherwise a floating-point estimate corrected by comparing the
//! decimal exactly with the halfway points between neighbouring doubles: in 128 bits for up to 19
//! digits and exponents within ±22 (a printed double's 17 digits), else with a small big integer
//! (no table; microseconds, and little that Tokenfleet reads takes it).
//! `tests/integration/float_oracle.rs` checks it bit for bit against std.

use std::cmp::Ordering;

/// The significant digits the slow path keeps. A halfway point between two doubles has at most 767
/// significant digits, so a decimal cut after 800 digits, with a `1` appended when anything non-zero
/// was cut, lies on the same side of every halfway point as the whole decimal.
const KEPT_DIGITS: usize = 800;
/// Larger written exponents all give zero or infinity (the digits cannot make up for them), so they
/// are capped to keep the arithmetic in range.
const EXPONENT_CAP: i64 = 1 << 40;
/// The bits of `f64::INFINITY`, just above the largest finite double's.
const INFINITY_BITS: u64 = 0x7ff0_0000_0000_0000;

/// Parses `text` as `text.parse::<f64>()` does: an optional sign, then `inf`, `infinity` or `nan` in
/// any case, or digits with an optional `.` and an optional exponent (`e`/`E`, optional sign, digits),
/// with at least one digit before the exponent and nothing else (no whitespace, no `_`). `None` when
/// std would return an error; otherwise the same value, to the bit.
pub fn parse_f64(text: &str) -> Option<f64> {
    let (negative, unsigned) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    let magnitude = if unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity") {
        f64::INFINITY
    } else if unsigned.eq_ignore_ascii_case(b"nan") {
        f64::NAN
    } else {
        finite(unsigned)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// An unsigned decimal number (`12`, `1.5`, `.5`, `5.`, `1e-3`, `2.5E+10`), or `None`.
fn finite(text: &[u8]) -> Option<f64> {
    // One pass over the digits and the point: the first 19 significant digits as an integer, how many
    // significant digits there are, and how many digits follow the point.
    let (mut mantissa, mut count, mut fraction_len) = (0u64, 0usize, 0usize);
    let (mut digit_seen, mut point_seen) = (false, false);
    let mut end = 0;
    for &byte in text {
        match byte {
            b'0'..=b'9' => {
                digit_seen = true;
                fraction_len += usize::from(point_seen);
                if count > 0 || byte != b'0' {
                    count += 1;
                    if count <= 19 {
                        mantissa = mantissa * 10 + u64::from(byte - b'0');
                    }
                }
            }
            b'.' if !point_seen => point_seen = true,
            _ => break,
        }
        end += 1;
    }
    if !digit_seen {
        return None;
    }
    let mut exponent: i64 = 0;
    if let [b'e' | b'E', rest @ ..] = &text[end..] {
        let (negative, written) = match rest {
            [b'-', written @ ..] => (true, written),
            [b'+', written @ ..] => (false, written),
            written => (false, written),
        };
        if written.is_empty() || !written.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for digit in written {
            exponent = (exponent * 10 + i64::from(digit - b'0')).min(EXPONENT_CAP);
        }
        if negative {
            exponent = -exponent;
        }
    } else if end != text.len() {
        return None;
    }
    // The number is the integer of its significant digits times 10^`exponent`.
    let exponent = exponent - fraction_len as i64;
    if count == 0 {
        return Some(0.0);
    }
    // The decimal exponent of the leading digit: at 10^309 every number is above the largest double,
    // below 10^-324 every number is under half the smallest subnormal.
    let leading_exponent = exponent + count as i64 - 1;
    if leading_exponent >= 309 {
        return Some(f64::INFINITY);
    }
    if leading_exponent < -324 {
        return Some(0.0);
    }
    // The first 19 digits times 10^`shift` are within 10^-18 of the number; scaled in steps of at
    // most 10^22 (exact doubles), one rounding each, the estimate is within a few doubles of it.
    let shift = exponent + (count - count.min(19)) as i64;
    let mut estimate = mantissa as f64;
    let mut steps = shift.unsigned_abs();
    while steps > 0 {
        let step = steps.min(22);
        let power = power_of_ten(step);
        estimate = if shift < 0 { estimate / power } else { estimate * power };
        steps -= step;
    }
    if count > 19 || !(-22..=22).contains(&exponent) {
        return Some(slow(&text[..end], count, exponent, estimate));
    }
    if mantissa <= 1 << 53 {
        // Clinger: both factors were exact doubles, so the one multiplication or division rounded
        // correctly.
        return Some(estimate);
    }
    // A mantissa of 17 to 19 digits: the number is `mantissa × 5^exponent × 2^exponent`, compared with
    // the halfway points exactly in 128 bits (both sides below 2^116 before the shift).
    let five = u128::from(5u64.pow(exponent.unsigned_abs() as u32));
    Some(nearest(estimate, |odd, power_of_two| {
        let (left, right) = match exponent < 0 {
            true => (u128::from(mantissa), u128::from(odd) * five),
            false => (u128::from(mantissa) * five, u128::from(odd)),
        };
        // A side shifted past 2^128 is above the other.
        let shifted = |side: u128, bits: i64| (bits < i64::from(side.leading_zeros())).then(|| side << bits);
        let shift = exponent - power_of_two;
        match shift >= 0 {
            true => shifted(left, shift).map_or(Ordering::Greater, |left| left.cmp(&right)),
            false => shifted(right, -shift).map_or(Ordering::Less, |right| left.cmp(&right)),
        }
    }))
}

/// The double nearest to a positive number, ties to even, stepping from `estimate` (a few doubles off):
/// the smallest double whose upper halfway point is not below the number, or infinity. `order`
/// compares the number with `(2m + 1) × 2^q`, given `2m + 1` and `q`, the point halfway between the
/// double `m × 2^(q + 1)` and the next one up.
fn nearest(estimate: f64, order: impl Fn(u64, i64) -> Ordering) -> f64 {
    let order_to_halfway = |bits: u64| {
        let biased_exponent = (bits >> 52) as i64;
        let fraction = bits & ((1 << 52) - 1);
        let (mantissa, power_of_two) = match biased_exponent {
            0 => (fraction, -1075),
            _ => (fraction | 1 << 52, biased_exponent - 1076),
        };
        order(2 * mantissa + 1, power_of_two)
    };
    let mut bits = estimate.to_bits();
    while bits < INFINITY_BITS && order_to_halfway(bits) == Ordering::Greater {
        bits += 1;
    }
    while bits > 0 && order_to_halfway(bits - 1) != Ordering::Greater {
        bits -= 1;
    }
    if bits & 1 == 1 && bits < INFINITY_BITS && order_to_halfway(bits) == Ordering::Equal {
        bits += 1;
    }
    f64::from_bits(bits)
}

/// 10^`k` for `k` at most 22, exactly: a product of exact powers 10^(2^i) whose every partial product is
/// a power of ten that a double holds exactly.
fn power_of_ten(k: u64) -> f64 {
    let (mut power, mut square, mut k) = (1.0, 10.0, k);
    while k > 0 {
        if k & 1 == 1 {
            power *= square;
        }
        square *= square;
        k >>= 1;
    }
    power
}

/// The double nearest to the number written with the digits (and point) of `mantissa` times
/// 10^`exponent`: `count` significant digits, below 10^309. Compared with the halfway points exactly
/// in big integers.
fn slow(mantissa: &[u8], count: usize, exponent: i64, estimate: f64) -> f64 {
    let digits = mantissa.iter().filter(|b| b.is_ascii_digit()).skip_while(|&&b| b == b'0');
    let mut integer = vec![];
    let mut kept = 0;
    let mut sticky = false;
    let (mut chunk, mut chunk_len) = (0u32, 0);
    for digit in digits {
        if kept == KEPT_DIGITS {
            sticky |= *digit != b'0';
            continue;
        }
        kept += 1;
        chunk = chunk * 10 + u32::from(digit - b'0');
        chunk_len += 1;
        if chunk_len == 9 {
            mul_add(&mut integer, 1_000_000_000, chunk);
            (chunk, chunk_len) = (0, 0);
        }
    }
    mul_add(&mut integer, 10u32.pow(chunk_len), chunk);
    let mut exponent = exponent + (count - kept) as i64;
    if sticky {
        mul_add(&mut integer, 10, 1);
        exponent -= 1;
    }
    // The number is `integer × 5^exponent × 2^exponent`: the power of five goes on the integer's
    // side, or on the halfway point's when negative, and the powers of two into one shift.
    let mut five_power = vec![1];
    let power = if exponent < 0 { &mut five_power } else { &mut integer };
    for _ in 0..exponent.unsigned_abs() / 13 {
        mul_add(power, 1_220_703_125, 0);
    }
    mul_add(power, 5u32.pow((exponent.unsigned_abs() % 13) as u32), 0);
    nearest(estimate, |odd, power_of_two| {
        let halfway = multiply(&five_power, &[odd as u32, (odd >> 32) as u32]);
        let shift = exponent - power_of_two;
        match shift >= 0 {
            true => compare(&shift_left(&integer, shift as usize), &halfway),
            false => compare(&integer, &shift_left(&halfway, -shift as usize)),
        }
    })
}

/// Compares two numbers in little-endian base-2^32 limbs (of any lengths).
fn compare(a: &[u32], b: &[u32]) -> Ordering {
    (0..a.len().max(b.len()))
        .rev()
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// `number = number × factor + addend`, on little-endian base-2^32 limbs.
fn mul_add(number: &mut Vec<u32>, factor: u32, addend: u32) {
    let mut carry = u64::from(addend);
    for limb in number.iter_mut() {
        let product = u64::from(*limb) * u64::from(factor) + carry;
        *limb = product as u32;
        carry = product >> 32;
    }
    if carry > 0 {
        number.push(carry as u32);
    }
}

/// `a × b`, on little-endian base-2^32 limbs.
fn multiply(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut product = vec![0u32; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            let sum = u64::from(product[i + j]) + u64::from(x) * u64::from(y) + carry;
            product[i + j] = sum as u32;
            carry = sum >> 32;
        }
        product[i + b.len()] = carry as u32;
    }
    product
}

/// `number × 2^bits`, on little-endian base-2^32 limbs.
fn shift_left(number: &[u32], bits: usize) -> Vec<u32> {
    let mut shifted = vec![0u32; bits / 32];
    let mut carry = 0u32;
    for &limb in number {
        let wide = u64::from(limb) << (bits % 32);
        shifted.push(wide as u32 | carry);
        carry = (wide >> 32) as u32;
    }
    shifted.push(carry);
    shifted
}
