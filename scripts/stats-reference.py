#!/usr/bin/env python3
"""Reference values for bench/stats/ from SciPy and NumPy, as JSON on stdout.

    python3 scripts/stats-reference.py > test/fixtures/scipy-reference.json

test/stats.test.ts checks the harness's statistics against the committed
output, so CI needs no SciPy. The inputs are drawn here from fixed seeds and
stored beside the values, so the test reads both from one file. Bootstrap
references are Monte Carlo estimates themselves: they carry what the test
needs to bound the Monte Carlo error (resample counts, densities at the
interval's ends, the kurtosis of the bootstrap distribution).
"""

import json
import sys

import numpy as np
import scipy
from scipy import linalg, stats

MAD_SCALE = 1.4826  # criterion's, as bench/stats/univariate.ts
PERCENTILES = [0, 1, 2.5, 10, 25, 33.3, 50, 75, 90, 97.5, 99, 100]
rng = np.random.default_rng(20240514)


def floats(xs):
    return [float(x) for x in xs]


def timings(n, median_ns, spread):
    """Right-skewed like timing samples: lognormal around median_ns."""
    return median_ns * np.exp(spread * rng.standard_normal(n))


def descriptive(xs):
    xs = np.asarray(xs, dtype=float)
    case = {
        "sample": floats(xs),
        "mean": float(np.mean(xs)),
        "median": float(np.median(xs)),
        # scipy divides by `scale`: 1 / MAD_SCALE multiplies the MAD by it.
        "mad": float(stats.median_abs_deviation(xs, scale=1 / MAD_SCALE)),
        "percentiles": [[p, float(np.percentile(xs, p, method="linear"))] for p in PERCENTILES],
    }
    if len(xs) > 1:
        case["variance"] = float(np.var(xs, ddof=1))
        case["stdDev"] = float(np.std(xs, ddof=1))
    return case


def student_t():
    out = []
    for df in [0.7, 1, 2.5, 4.5, 10, 30, 123.4, 1e4, 1e7]:
        for t in [-40, -5, -2.228, -1, -0.1, 0, 0.3, 1.96, 3, 10]:
            out.append({
                "t": t,
                "df": df,
                "cdf": float(stats.t.cdf(t, df)),
                "twoTailed": float(2 * stats.t.sf(abs(t), df)),
            })
    return out


def welch(a, b):
    r = stats.ttest_ind(a, b, equal_var=False)
    return {"a": floats(a), "b": floats(b), "t": float(r.statistic), "df": float(r.df), "pValue": float(r.pvalue)}


def through_origin(iters, times):
    iters = np.asarray(iters, dtype=float)
    (fit,), *_ = linalg.lstsq(iters[:, None], np.asarray(times, dtype=float))
    return {"iters": floats(iters), "times": floats(times), "slope": float(fit)}


def kde(xs, points, grid_range=None):
    """scipy's gaussian_kde with bw_method the scalar of Silverman's rule as criterion writes it, (4 / 3n)^(1/5)."""
    xs = np.asarray(xs, dtype=float)
    k = stats.gaussian_kde(xs, bw_method=(4 / (3 * len(xs))) ** 0.2)
    h = float(np.sqrt(k.covariance[0, 0]))
    start, end = grid_range if grid_range else (xs.min() - 3 * h, xs.max() + 3 * h)
    grid = np.linspace(start, end, points)
    case = {"sample": floats(xs), "points": points, "bandwidth": h, "xs": floats(grid), "ys": floats(k(grid))}
    if grid_range:
        case["range"] = [float(start), float(end)]
    return case


def bootstrap_mean(xs, resamples, confidence=0.95):
    xs = np.asarray(xs, dtype=float)
    r = stats.bootstrap(
        (xs,), np.mean, method="percentile", n_resamples=resamples, confidence_level=confidence,
        batch=100_000, rng=np.random.default_rng(7),
    )
    dist = r.bootstrap_distribution
    tail = (1 - confidence) / 2

    def density(q):
        # The slope of the quantile function, from scipy's own replicates.
        lo, hi = np.percentile(dist, [100 * (q - 0.005), 100 * (q + 0.005)])
        return float(0.01 / (hi - lo))

    dev = xs - xs.mean()
    m2 = np.mean(dev**2)
    n = len(xs)
    return {
        "sample": floats(xs),
        "confidence": confidence,
        "resamples": resamples,
        "lower": float(r.confidence_interval.low),
        "upper": float(r.confidence_interval.high),
        "standardError": float(r.standard_error),
        "densityAtLower": density(tail),
        "densityAtUpper": density(1 - tail),
        # The bootstrap's limit: the mean of n draws from the sample has
        # variance m2 / n, and excess kurtosis (m4 / m2^2 - 3) / n.
        "exactStandardError": float(np.sqrt(m2 / n)),
        "exactExcessKurtosis": float((np.mean(dev**4) / m2**2 - 3) / n),
    }


def cluster_bootstrap(base, new):
    """Exact standard errors of the two-stage cluster bootstrap (clusters of equal size m, K of them).

    One draw of a cluster c then m values within it has a mean of variance
    Var_c(mu_c) + E_c[s2_c / m] (plug-in variances); the resample's mean
    averages K such draws. Paired, cluster c is drawn for both samples, so
    the new mean minus the base mean has Var_c(muN_c - muB_c) +
    E_c[(s2N_c + s2B_c) / m], over K.
    """
    base = np.asarray(base, dtype=float)
    new = np.asarray(new, dtype=float)
    k, m = base.shape

    def one(x):
        return (np.var(x.mean(axis=1)) + np.mean(np.var(x, axis=1)) / m) / k

    paired = (np.var(new.mean(axis=1) - base.mean(axis=1)) + np.mean(np.var(new, axis=1) + np.var(base, axis=1)) / m) / k
    return {
        "base": [floats(c) for c in base],
        "new": [floats(c) for c in new],
        "meanStandardError": float(np.sqrt(one(base))),
        "pairedDifferenceStandardError": float(np.sqrt(paired)),
        "unpairedDifferenceStandardError": float(np.sqrt(one(base) + one(new))),
    }


def main():
    ties = rng.integers(0, 12, 20)
    reference = {
        "generator": "scripts/stats-reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "descriptive": [
            descriptive(timings(37, 850, 0.3)),
            descriptive(ties),
            descriptive(1e9 + rng.normal(0, 3, 16)),
            descriptive([3.5]),
        ],
        "studentT": student_t(),
        "welch": [
            welch(rng.normal(100, 5, 12), rng.normal(104, 15, 20)),
            welch(timings(30, 1000, 0.2), timings(25, 1100, 0.4)),
            welch([1.0, 2.0], [1.5, 4.0, 9.0]),
            welch(1e6 + rng.normal(0, 1, 40), 1e6 + rng.normal(0.3, 2, 40)),
        ],
        "slope": [
            through_origin(
                np.arange(1, 101) * 10, [50 * i + 1000 + e for i, e in zip(np.arange(1, 101) * 10, rng.normal(0, 40, 100))]
            ),
            through_origin([3, 3, 7, 50, 200], timings(5, 4000, 0.1) * np.array([3, 3, 7, 50, 200]) / 3),
        ],
        "kde": [
            kde([1.0, 1.3, 2.2, 2.4, 2.5, 3.9, 7.5], 9, (0.0, 10.0)),
            kde(timings(50, 420, 0.25), 200),
        ],
        "bootstrap": [
            bootstrap_mean(timings(20, 1000, 0.5), 1_000_000),
            bootstrap_mean(rng.normal(300, 12, 60), 1_000_000, 0.9),
        ],
        "cluster": cluster_bootstrap(
            *(lambda drift: (
                [d * 100 + rng.normal(0, 2, 12) for d in drift],
                [d * 103 + rng.normal(0, 2, 12) for d in drift],
            ))([1.0, 1.4, 0.8, 1.1])
        ),
    }
    json.dump(reference, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
