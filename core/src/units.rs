//! Unit conversions shared by the catalogs and the performance model.
//!
//! Quantities travel as `f64` or integers whose field names carry the unit (`ttft_ms`, `usd_per_hour`,
//! `tokens_per_s`, `memory_mib`); this module holds the conversion factors so that no other file has a
//! bare `1024.0 * 1024.0` in it.

/// Bytes in one MiB.
pub const BYTES_PER_MIB: f64 = 1024.0 * 1024.0;
/// Bytes in one GiB.
pub const BYTES_PER_GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// Bytes in one GB (decimal, as vendors quote bandwidth in GB/s).
pub const BYTES_PER_GB: f64 = 1e9;
/// FLOP in one TFLOP (and operations in one TOP).
pub const FLOP_PER_TFLOP: f64 = 1e12;
/// Milliseconds in one second.
pub const MS_PER_S: f64 = 1000.0;
/// Seconds in one hour.
pub const S_PER_HOUR: f64 = 3600.0;
/// Tokens in one million tokens.
pub const TOKENS_PER_MILLION: f64 = 1e6;

/// MiB to bytes.
pub fn mib_to_bytes(mib: f64) -> f64 {
    mib * BYTES_PER_MIB
}

/// GiB to bytes.
pub fn gib_to_bytes(gib: f64) -> f64 {
    gib * BYTES_PER_GIB
}

/// Bytes to GiB.
pub fn bytes_to_gib(bytes: f64) -> f64 {
    bytes / BYTES_PER_GIB
}

/// GB/s to bytes per second.
pub fn gbps_to_bytes_per_s(gb_per_s: f64) -> f64 {
    gb_per_s * BYTES_PER_GB
}

/// Seconds to milliseconds.
pub fn s_to_ms(s: f64) -> f64 {
    s * MS_PER_S
}

/// US dollars per million tokens from a cost per hour and a rate in tokens per second; `None` when
/// the rate is zero (nothing is produced, so no price per token exists).
pub fn usd_per_million_tokens(usd_per_hour: f64, tokens_per_s: f64) -> Option<f64> {
    (tokens_per_s > 0.0 && usd_per_hour.is_finite())
        .then(|| usd_per_hour / (tokens_per_s * S_PER_HOUR) * TOKENS_PER_MILLION)
}

/// A count with its noun, singular for one: `count(1, "replica")` is "1 replica", `count(3, "replica")`
/// "3 replicas".
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(gib_to_bytes(1.0), 1024.0 * mib_to_bytes(1.0));
        assert_eq!(s_to_ms(0.25), 250.0);
        // $3.60 an hour at 1 token/s is $1000 per million tokens.
        assert!((usd_per_million_tokens(3.6, 1.0).unwrap() - 1000.0).abs() < 1e-9);
        assert_eq!(usd_per_million_tokens(1.0, 0.0), None);
    }

    #[test]
    fn counts_read_naturally() {
        assert_eq!(count(1, "replica"), "1 replica");
        assert_eq!(count(0, "replica"), "0 replicas");
        assert_eq!(count(12, "device"), "12 devices");
    }
}
