//! Queueing formulas: Erlang C for requests waiting for a batch slot, M/D/1 for prefills waiting for
//! the prefill stage, normal quantiles for batch-size fluctuations. All closed-form, no sampling.

/// Quantile `q` of a running batch whose mean is `mean` sequences: it fluctuates around its mean
/// like a Poisson count (normal approximation), never below the mean at `q` ≥ 0.5 and never above
/// `max`, the sequences the KV cache holds.
pub fn batch_quantile(mean: f64, q: f64, max: f64) -> f64 {
    (mean + normal_quantile(q).max(0.0) * mean.sqrt()).min(max)
}

/// The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383577518672690e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
    let plow = 0.02425;
    if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// The standard normal CDF (Abramowitz and Stegun 7.1.26 for erf; absolute error below 1.5e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * z);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Probability that an arrival waits in an M/M/c queue with `servers` servers and offered load
/// `offered` (= arrival rate x service time, in servers). 1 when `offered >= servers`. Exact Erlang B
/// recursion up to 200 servers, the Halfin-Whitt approximation above.
pub fn erlang_c(servers: u32, offered: f64) -> f64 {
    let c = servers as f64;
    if offered <= 0.0 {
        return 0.0;
    }
    if offered >= c {
        return 1.0;
    }
    if servers <= 200 {
        let mut b = 1.0;
        for k in 1..=servers {
            b = offered * b / (k as f64 + offered * b);
        }
        let rho = offered / c;
        (b / (1.0 - rho + rho * b)).clamp(0.0, 1.0)
    } else {
        let beta = (c - offered) / offered.sqrt();
        let phi = (-0.5 * beta * beta).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let cdf = normal_cdf(beta).max(1e-300);
        (1.0 / (1.0 + beta * cdf / phi)).clamp(0.0, 1.0)
    }
}

/// The `q`-quantile of the wait in M/M/c: 0 with probability `1 - P(wait)`, else exponential with rate
/// `(servers - offered) / service_s`. Infinite when the queue is unstable.
pub fn mmc_wait_quantile_s(servers: u32, offered: f64, service_s: f64, q: f64) -> f64 {
    mmc_wait_quantile_given_s(erlang_c(servers, offered), servers, offered, service_s, q)
}

/// As `mmc_wait_quantile_s`, with the probability of waiting already computed.
pub fn mmc_wait_quantile_given_s(p_wait: f64, servers: u32, offered: f64, service_s: f64, q: f64) -> f64 {
    let c = servers as f64;
    if offered >= c {
        return f64::INFINITY;
    }
    let tail = 1.0 - q;
    if p_wait <= tail {
        return 0.0;
    }
    service_s / (c - offered) * (p_wait / tail).ln()
}

/// The `q`-quantile of the wait in an M/D/1 queue with utilisation `rho` and service time `service_s`,
/// approximated as 0 with probability `1 - rho`, else exponential with the exact M/D/1 mean wait
/// divided by `rho`. Infinite when `rho >= 1`.
pub fn md1_wait_quantile_s(rho: f64, service_s: f64, q: f64) -> f64 {
    if rho >= 1.0 {
        return f64::INFINITY;
    }
    if rho <= 0.0 {
        return 0.0;
    }
    let mean_wait = rho * service_s / (2.0 * (1.0 - rho));
    let tail = 1.0 - q;
    if rho <= tail {
        return 0.0;
    }
    mean_wait / rho * (rho / tail).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.99) - 2.326348).abs() < 1e-5);
        assert!((normal_quantile(0.01) + 2.326348).abs() < 1e-5);
        assert!((normal_cdf(1.959964) - 0.975).abs() < 1e-6);
    }

    #[test]
    fn erlang() {
        // M/M/1: P(wait) = rho.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        // Textbook value: c = 2, a = 1 gives 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(erlang_c(4, 4.0), 1.0);
        let mut last = 0.0;
        for i in 1..400 {
            let p = erlang_c(300, i as f64 * 0.74);
            assert!(p >= last - 1e-9 && p <= 1.0);
            last = p;
        }
        assert!(mmc_wait_quantile_s(1, 0.5, 1.0, 0.99).is_finite());
        assert!(mmc_wait_quantile_s(1, 1.0, 1.0, 0.5).is_infinite());
        assert!(md1_wait_quantile_s(0.9, 1.0, 0.99) > md1_wait_quantile_s(0.5, 1.0, 0.99));
    }
}
