"""Run every benchmark (``bench/bench_*.py``) and refresh the summary in ``docs/benchmarks.md``.

    .venv/bin/python -m bench.run [--sizes 10k,100k,1m] [--only import,clv,demo] [--repeat 3]

A benchmark module is run in the first way it supports:

1. it defines ``run(sizes)`` returning a list of measurement dicts: called in this process
   (``repeat`` is passed too when ``run`` accepts it);
2. otherwise it is run as a script, ``python -m bench.bench_<name>``, once per size with
   ``--customers N`` when its source mentions that option, or once with ``--sizes`` when it
   mentions that one, or once with no arguments.

Measurements come back as dicts with the keys of ``harness.record``. Dicts that a script prints
on stdout (one JSON object or list per line) are recorded unless they carry a ``timestamp``,
which means the script already wrote them with ``harness.record``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import harness

BENCH = Path(__file__).resolve().parent
DEFAULT_SIZES = "10k,100k,1m"


@dataclass(frozen=True)
class Benchmark:
    """A ``bench/bench_<name>.py`` module and how it can be run."""

    name: str
    path: Path
    has_run: bool
    has_main: bool
    option: str | None  # "--customers", "--sizes" or None

    @property
    def module(self) -> str:
        return f"bench.{self.path.stem}"


def discover(folder: Path = BENCH) -> list[Benchmark]:
    """The benchmark modules in ``folder``, read without importing them."""
    found = []
    for path in sorted(folder.glob("bench_*.py")):
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            names: set[str] = set()
        else:
            names = {
                node.name
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        option = (
            "--customers" if "--customers" in source else "--sizes" if "--sizes" in source else None
        )
        found.append(
            Benchmark(
                path.stem.removeprefix("bench_"), path, "run" in names, "main" in names, option
            )
        )
    return found


def run_module(bench: Benchmark, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Call the module's ``run(sizes)`` in this process."""
    module = importlib.import_module(bench.module)
    parameters = inspect.signature(module.run).parameters
    options = {"repeat": repeat} if "repeat" in parameters else {}
    results = module.run(sizes, **options) or []
    return [item if "timestamp" in item else harness.record_dict(item) for item in results]


def run_script(bench: Benchmark, sizes: list[int], timeout: float) -> list[dict[str, Any]]:
    """Run the module as a script (per size with ``--customers``) and collect what it reports."""
    if bench.option == "--customers":
        calls = [["--customers", str(size)] for size in sizes]
    elif bench.option == "--sizes":
        calls = [["--sizes", ",".join(harness.size_label(size) for size in sizes)]]
    else:
        calls = [[]]
    results: list[dict[str, Any]] = []
    for extra in calls:
        before = {path.name for path in harness.RESULTS.glob("*.json")}
        argv = [sys.executable, "-m", bench.module, *extra]
        print(f"  $ {' '.join(argv[1:])}", file=sys.stderr, flush=True)
        done = harness.run_command(argv, timeout=timeout)
        sys.stderr.write(done.stderr[-4000:])
        if done.returncode != 0:
            raise RuntimeError(f"{bench.module} {' '.join(extra)} exited {done.returncode}")
        results += _reported(done)
        written = {p.name for p in harness.RESULTS.glob("*.json")} - before
        loaded = (harness.load_result(harness.RESULTS / name) for name in sorted(written))
        results += [item for item in loaded if item is not None]
    return results


def _reported(done: harness.CommandRun) -> list[dict[str, Any]]:
    out = []
    for value in done.json_lines():
        for item in value if isinstance(value, list) else [value]:
            if _is_measurement(item) and "timestamp" not in item:
                command = " ".join(["python", *done.argv[1:]])
                out.append(harness.record_dict({"command": command, **item}))
    return out


def _is_measurement(item: Any) -> bool:
    return isinstance(item, dict) and {"capability", "metric", "value", "unit"} <= item.keys()


def select(benchmarks: list[Benchmark], only: str | None) -> list[Benchmark]:
    """The benchmarks named in ``only`` (comma-separated; all when empty); unknown names fail."""
    if not only:
        return benchmarks
    wanted = [name.strip().removeprefix("bench_") for name in only.split(",") if name.strip()]
    known = {b.name for b in benchmarks}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(
            f"unknown benchmark(s) {', '.join(unknown)}; have: {', '.join(sorted(known))}"
        )
    return [b for b in benchmarks if b.name in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run kizuna's benchmarks and refresh docs/benchmarks.md"
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="customers, e.g. 10k,100k,1m")
    parser.add_argument("--only", help="comma-separated names, e.g. import,clv,demo")
    parser.add_argument("--repeat", type=int, default=3, help="rounds for benchmarks that repeat")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per script run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    benchmarks = select(discover(), args.only)
    if args.list:
        for b in benchmarks:
            how = "run(sizes)" if b.has_run else f"script {b.option or ''}".strip()
            print(f"{b.name:16s} {how}")
        return 0
    sizes = harness.parse_sizes(args.sizes)
    failed = []
    for bench in benchmarks:
        start = time.perf_counter()
        print(f"== {bench.name} (sizes {args.sizes})", file=sys.stderr, flush=True)
        try:
            if bench.has_run:
                results = run_module(bench, sizes, args.repeat)
            else:
                results = run_script(bench, sizes, args.timeout)
        except Exception as exc:
            print(f"!! {bench.name} failed: {exc}", file=sys.stderr, flush=True)
            failed.append(bench.name)
            continue
        took = time.perf_counter() - start
        print(f"== {bench.name}: {len(results)} measurement(s) in {took:.0f} s", file=sys.stderr)
    path = harness.refresh_summary()
    print(f"summary: {path.relative_to(harness.ROOT)}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
