"""Benchmark: BTYD fit time (and peak memory) of kizuna.clv against the tool a user would use.

For each model (bgnbd, pnbd, gg) and size, customers are simulated from the model itself as a
day-level summary (acquired over a year, observed 180-545 days, whole days), the way a shop's
order history summarises. Size 2357 uses the real CDNOW sample summary (weeks) when present.

Baseline: ``lifetimes`` 0.11.3 run in its own interpreter (``--lifetimes-python``, or the
``KIZUNA_BENCH_LIFETIMES_PYTHON`` variable under ``bench.run``): it is never installed in kizuna's
environment (measured with numpy 1.26, pandas 2.0, scipy 1.11 in a throwaway venv). Without one,
the baseline is kizuna's own likelihood fitted without grouping (``FitOptions(group=False)``),
i.e. ``scipy.optimize`` on one row per customer; the JSON says which.

Writes ``bench/results/clv-<model>-<size>.json`` with capability, size, metric, value, unit,
baseline, baseline_value and ratio (baseline / kizuna: > 1 means kizuna is faster; times are the
best of 3 runs up to 100k customers, one run above), plus peak traced memory and the
log-likelihoods of both fits (``ll_rel_diff`` = relative difference of the optimum reached).

    .venv/bin/python bench/bench_clv.py --sizes 10000 100000 1000000 \\
        --lifetimes-python /path/to/venv-with-lifetimes/bin/python
    .venv/bin/python -m bench.run --only clv          # through the shared harness
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from kizuna.clv import BetaGeoModel, CustomerSummary, FitOptions, GammaGammaModel, ParetoNBDModel
from kizuna.clv.models.simulate import simulate_bgnbd, simulate_pnbd, simulate_spend

RESULTS = Path(__file__).resolve().parent / "results"
CDNOW = (
    Path(__file__).resolve().parents[2]
    / "shared/data/cdnow/cdnow_customers_summary_with_transactions.csv.gz"
)
# CDNOW's published estimates, per day (α and β times 7), drive the simulations.
TRUTH = {
    "bgnbd": {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426},
    "pnbd": {"r": 0.553, "alpha": 10.578 * 7, "s": 0.606, "beta": 11.669 * 7},
    "gg": {"p": 6.25, "q": 3.74, "v": 15.44},
}
MODELS = {"bgnbd": BetaGeoModel, "pnbd": ParetoNBDModel, "gg": GammaGammaModel}
LIFETIMES_FITTER = {"bgnbd": "BetaGeoFitter", "pnbd": "ParetoNBDFitter", "gg": "GammaGammaFitter"}

# Runs inside the lifetimes interpreter: load the arrays, fit, print seconds and parameters.
LIFETIMES_SCRIPT = """
import json, sys, time, warnings
import numpy as np
import lifetimes
warnings.filterwarnings("ignore")
d = np.load(sys.argv[1])
times = []
for _ in range(int(sys.argv[3])):
    fitter = getattr(lifetimes, sys.argv[2])()
    t = time.perf_counter()
    if sys.argv[2] == "GammaGammaFitter":
        use = (d["x"] > 0) & (d["m"] > 0)
        fitter.fit(d["x"][use], d["m"][use])
    else:
        fitter.fit(d["x"], d["t_x"], d["T"])
    times.append(time.perf_counter() - t)
print(json.dumps({"seconds": min(times), "params": fitter.params_.to_dict()}))
"""


def summary_for(model: str, size: int, seed: int = 0) -> CustomerSummary:
    """The benchmark data: CDNOW itself for 2357, else simulated day-level customers."""
    if size == 2357 and CDNOW.exists():
        with gzip.open(CDNOW, "rt") as f:
            f.readline()
            data = np.loadtxt(f, delimiter=",")
        return CustomerSummary(
            frequency=data[:, 1], recency=data[:, 2], T=data[:, 3], monetary=data[:, 4]
        )
    rng = np.random.default_rng(seed)
    ages = rng.integers(180, 546, size).astype(float)
    simulate = simulate_pnbd if model == "pnbd" else simulate_bgnbd
    base = simulate(TRUTH["pnbd" if model == "pnbd" else "bgnbd"], ages, rng=rng,
                    time_unit="day", whole_days=True)  # fmt: skip
    spend = simulate_spend(TRUTH["gg"], base.frequency, rng=rng)
    return CustomerSummary(frequency=base.frequency, recency=base.recency, T=base.T,
                           monetary=spend, time_unit="day")  # fmt: skip


def fit_kizuna(model: str, s: CustomerSummary, *, group: bool = True) -> dict[str, Any]:
    """Best-of-``repeats`` fit time, then peak traced memory (a separate, traced fit)."""
    options = FitOptions(group=group)
    times = []
    for _ in range(_repeats(len(s))):
        started = time.perf_counter()
        fitted = MODELS[model](options).fit(s)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    MODELS[model](options).fit(s)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    r = fitted.result
    return {"seconds": min(times), "peak_mb": peak / 2**20, "params": r.params,
            "log_likelihood": r.log_likelihood, "n_groups": r.n_groups}  # fmt: skip


def _repeats(size: int) -> int:
    return 3 if size <= 100_000 else 1


def fit_lifetimes(model: str, s: CustomerSummary, python: str, timeout: float) -> dict[str, Any]:
    """Fit with lifetimes in its own interpreter; ``seconds`` is None on timeout or failure."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.npz"
        np.savez(path, x=s.frequency, t_x=s.recency, T=s.T, m=s.monetary)
        cmd = [python, "-c", LIFETIMES_SCRIPT, str(path), LIFETIMES_FITTER[model],
               str(_repeats(len(s)))]  # fmt: skip
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            return {"seconds": None, "error": f"timed out after {timeout:.0f} s"}
        except subprocess.CalledProcessError as exc:
            return {"seconds": None, "error": exc.stderr.strip().splitlines()[-1]}
    found = json.loads(out.stdout.strip().splitlines()[-1])
    found["log_likelihood"] = MODELS[model]().with_params(**found["params"]).log_likelihood(s)
    return found


def run_one(model: str, size: int, lifetimes_python: str | None, timeout: float) -> dict[str, Any]:
    s = summary_for(model, size)
    ours = fit_kizuna(model, s)
    if lifetimes_python:
        baseline_name = "lifetimes 0.11.3"
        theirs = fit_lifetimes(model, s, lifetimes_python, timeout)
    else:
        baseline_name = "kizuna ungrouped (scipy BFGS, one row per customer)"
        theirs = fit_kizuna(model, s, group=False)
    base_s = theirs.get("seconds")
    base_ll = theirs.get("log_likelihood")
    return {
        "capability": f"clv.fit.{model}",
        "size": size,
        "metric": "fit_seconds",
        "value": ours["seconds"],
        "unit": "s",
        "baseline": baseline_name,
        "baseline_value": base_s,
        "ratio": base_s / ours["seconds"] if base_s else None,
        "peak_memory_mb": ours["peak_mb"],
        "distinct_rows": ours["n_groups"],
        "data": "CDNOW sample (weeks)" if size == 2357 and CDNOW.exists() else "simulated (days)",
        "log_likelihood": ours["log_likelihood"],
        "baseline_log_likelihood": base_ll,
        "ll_rel_diff": abs(ours["log_likelihood"] - base_ll) / abs(base_ll) if base_ll else None,
        "params": ours["params"],
        "baseline_params": theirs.get("params"),
        "baseline_error": theirs.get("error"),
    }


def run(sizes: list[int], repeat: int = 3) -> list[dict[str, Any]]:
    """Measurements for ``bench.run`` (its harness writes the files). The lifetimes interpreter
    comes from ``KIZUNA_BENCH_LIFETIMES_PYTHON``; without it the baseline is the ungrouped fit."""
    python = os.environ.get("KIZUNA_BENCH_LIFETIMES_PYTHON")
    out = []
    for size in sizes:
        for model in MODELS:
            row = run_one(model, size, python, 900.0)
            keep = ("capability", "size", "metric", "value", "unit", "baseline", "baseline_value")
            extra = {k: v for k, v in row.items() if k not in keep and k != "ratio"}
            diff = row["ll_rel_diff"]
            agree = f"log-likelihood equal to {diff:.1e} relative" if diff is not None else ""
            notes = f"{row['data']}; {agree or row['baseline_error']}"
            out.append({k: row[k] for k in keep} | {"better": "lower", "notes": notes,
                                                   "extra": extra})  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2357, 10_000, 100_000, 1_000_000])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--lifetimes-python", help="interpreter that can import lifetimes")
    parser.add_argument("--baseline-timeout", type=float, default=600.0)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        for model in args.models:
            row = run_one(model, size, args.lifetimes_python, args.baseline_timeout)
            (args.out / f"clv-{model}-{size}.json").write_text(json.dumps(row, indent=2))
            ratio = f"{row['ratio']:.1f}x" if row["ratio"] else row["baseline_error"]
            print(f"{model:6} {size:>9,}  kizuna {row['value']:7.2f} s  "
                  f"baseline {row['baseline_value'] or float('nan'):8.2f} s  {ratio}  "
                  f"peak {row['peak_memory_mb']:6.0f} MB  ll diff {row['ll_rel_diff']}",
                  flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
