"""Benchmark plumbing: time a callable, measure peak memory, write one JSON file per measurement
into ``bench/results/`` and refresh the summary table in ``docs/benchmarks.md``.

A measurement is a dict with the keys in ``FIELDS``. ``ratio`` says how many times better kizuna
did than the baseline: ``value / baseline_value`` when higher is better (rows/s, events/s) and
``baseline_value / value`` when lower is better (seconds, MB). A ratio above 1 always means kizuna
won; below 1, the baseline did. The summary keeps the newest measurement of each
(capability, size, metric), so re-running one benchmark updates only its rows.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SUMMARY = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:summary:begin -->", "<!-- bench:summary:end -->"
FIELDS = (
    "capability",
    "size",
    "metric",
    "value",
    "unit",
    "baseline",
    "baseline_value",
    "ratio",
    "machine",
    "timestamp",
    "command",
)
_SUFFIXES = {"k": 1_000, "m": 1_000_000}


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs: the best, the median and every run."""

    best: float
    median: float
    runs: tuple[float, ...]


def time_call(
    fn: Callable[[], Any], repeat: int = 3, setup: Callable[[], Any] | None = None
) -> Timing:
    """Run ``fn`` ``repeat`` times (``setup`` before each, untimed) and return the timings."""
    runs = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return Timing(min(runs), statistics.median(runs), tuple(runs))


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    Linux's ``VmHWM`` first: ``ru_maxrss`` survives ``exec``, so in a child it is at least the
    parent's size when the child was spawned."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class CommandRun:
    """A finished subprocess: its argv, exit code, wall seconds, peak RSS (MiB) and output."""

    argv: tuple[str, ...]
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    def json_lines(self) -> list[Any]:
        """What the command printed as JSON: the whole stdout if it is one document, else every
        line that parses (how workers report their figures)."""
        try:
            return [json.loads(self.stdout)]
        except json.JSONDecodeError:
            pass
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith(("{", "[")):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return out


def run_command(
    argv: list[str],
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> CommandRun:
    """Run ``argv`` and measure it. Peak RSS comes from ``wait4``: the child and what it waited
    for, and at least this process's own size when it spawned the child (Linux keeps the high-water
    mark across ``exec``), so keep the calling process small or have the child report its own
    ``peak_rss_mb()``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd or ROOT
    )
    timer = threading.Timer(timeout, proc.kill) if timeout else None
    if timer:
        timer.start()
    outputs: dict[str, str] = {}
    reader = threading.Thread(target=lambda: outputs.update(err=proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    stdout = proc.stdout.read()  # type: ignore[union-attr]
    reader.join()
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if timer:
        timer.cancel()
    return CommandRun(
        tuple(argv), proc.returncode, seconds, usage.ru_maxrss / 1024, stdout, outputs["err"]
    )


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        info["memory_gib"] = round(mem_kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return info


def ratio(
    value: float | None, baseline_value: float | None, better: str = "higher"
) -> float | None:
    """How many times better ``value`` is than the baseline (None when either is missing or 0)."""
    if not value or not baseline_value:
        return None
    return value / baseline_value if better == "higher" else baseline_value / value


def record(
    capability: str,
    size: str,
    metric: str,
    value: float,
    unit: str,
    *,
    baseline: str | None = None,
    baseline_value: float | None = None,
    better: str = "higher",
    target: float | None = None,
    target_ratio: float | None = None,
    command: str | None = None,
    notes: str | None = None,
    extra: dict[str, Any] | None = None,
    folder: Path | None = None,
) -> dict[str, Any]:
    """Write one measurement as a JSON file in ``bench/results/`` and return it."""
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', not {better!r}")
    stamp = datetime.now(UTC)
    result: dict[str, Any] = {
        "capability": capability,
        "size": str(size),
        "metric": metric,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio(value, baseline_value, better),
        "better": better,
        "target": target,
        "target_ratio": target_ratio,
        "machine": machine(),
        "timestamp": stamp.isoformat(timespec="microseconds"),
        "command": command or shlex.join([Path(sys.executable).name, *sys.argv]),
        "notes": notes,
        "extra": extra or {},
    }
    folder = folder or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    name = "-".join(_slug(part) for part in (capability, str(size), metric))
    path = folder / f"{stamp:%Y%m%dT%H%M%S%f}Z-{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def record_dict(measurement: dict[str, Any]) -> dict[str, Any]:
    """``record`` for a dict a benchmark returned (keys as in ``record``'s parameters)."""
    known = (
        "baseline",
        "baseline_value",
        "better",
        "target",
        "target_ratio",
        "command",
        "notes",
        "extra",
    )
    options = {key: measurement[key] for key in known if key in measurement}
    return record(
        measurement["capability"],
        measurement["size"],
        measurement["metric"],
        measurement["value"],
        measurement["unit"],
        **options,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "x"


def parse_sizes(text: str) -> list[int]:
    """``"10k,100k,1m"`` → ``[10000, 100000, 1000000]``."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        factor = _SUFFIXES.get(part[-1], 1)
        number = part[:-1] if part[-1] in _SUFFIXES else part
        try:
            sizes.append(int(float(number) * factor))
        except ValueError:
            raise ValueError(f"size {part!r} is not a number like 10k, 100k or 1m") from None
    return sizes


def size_label(count: int) -> str:
    """``10000`` → ``"10k"``, ``1000000`` → ``"1m"``."""
    for suffix, factor in (("m", 1_000_000), ("k", 1_000)):
        if count >= factor and count % factor == 0:
            return f"{count // factor}{suffix}"
    return str(count)


def load_results(folder: Path | None = None) -> list[dict[str, Any]]:
    """Every measurement JSON in ``folder`` (unreadable files are skipped)."""
    results = (load_result(path) for path in sorted((folder or RESULTS).glob("*.json")))
    return [item for item in results if item is not None]


def load_result(path: Path) -> dict[str, Any] | None:
    """One measurement JSON, or None when the file is unreadable or not a measurement."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if isinstance(data, dict) and all(key in data for key in ("capability", "metric", "value")):
        return data
    return None


def latest(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest measurement per (capability, size, metric), in table order."""
    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for item in results:
        key = (item["capability"], str(item.get("size", "")), item["metric"])
        if key not in newest or item.get("timestamp", "") > newest[key].get("timestamp", ""):
            newest[key] = item
    # Within a capability and size, metrics keep the order their benchmark recorded them in.
    return sorted(
        newest.values(),
        key=lambda r: (r["capability"], _size_key(str(r.get("size", ""))), r.get("timestamp", "")),
    )


def _size_key(size: str) -> tuple[float, str]:
    match = re.match(r"^\s*([\d.,]+)\s*([kKmM]?)\b", size)
    if not match:
        return (float("inf"), size)
    number = float(match.group(1).replace(",", ""))
    return (number * _SUFFIXES.get(match.group(2).lower(), 1), size)


def fmt(value: Any) -> str:
    """A figure for the table: thousands separators, three significant digits below 100."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _target_cell(item: dict[str, Any]) -> str:
    parts = []
    better = item.get("better", "higher")
    if item.get("target") is not None:
        sign = "≥" if better == "higher" else "≤"
        met = (
            item["value"] >= item["target"]
            if better == "higher"
            else item["value"] <= item["target"]
        )
        parts.append(f"{sign} {fmt(item['target'])} {'✓' if met else '✗'}")
    if item.get("target_ratio") is not None:
        met = (item.get("ratio") or 0) >= item["target_ratio"]
        parts.append(f"×{fmt(item['target_ratio'])} {'✓' if met else '✗'}")
    return "; ".join(parts) or ""


def render_table(
    results: Iterable[dict[str, Any]],
    kept: dict[tuple[str, str, str], tuple[list[str], str]] | None = None,
) -> str:
    """The markdown summary: one row per capability / size / metric (newest measurement).
    ``kept`` rows (from the committed table, with their machine description) stay unless a
    result here measures the same capability, size and metric again."""
    rows = latest(results)
    fresh = {(item["capability"], str(item.get("size", "")), item["metric"]) for item in rows}
    kept = {key: row for key, row in (kept or {}).items() if key not in fresh}
    if not rows and not kept:
        return "_No results yet: run `.venv/bin/python -m bench.run`._\n"
    lines = [
        "| capability | size | metric | kizuna | baseline | baseline value | ratio | target "
        "| measured |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | --- | --- |",
    ]
    machines: dict[str, int] = {}
    table: dict[tuple[str, str, str], str] = {}
    for key, (cells, described) in kept.items():
        note = machines.setdefault(json.dumps(described), len(machines) + 1)
        stamp = re.sub(r"\s*\[m\d+\]$", "", cells[8])
        table[key] = "| " + " | ".join([*cells[:8], f"{stamp} [m{note}]".strip()]) + " |"
    for item in rows:
        key = json.dumps(item.get("machine", {}), sort_keys=True)
        note = machines.setdefault(key, len(machines) + 1)
        cells = (
            item["capability"],
            str(item.get("size", "")),
            item["metric"],
            f"{fmt(item['value'])} {item.get('unit', '')}".strip(),
            item.get("baseline") or "–",
            f"{fmt(item.get('baseline_value'))} {item.get('unit', '')}".strip()
            if item.get("baseline_value") is not None
            else "–",
            f"×{fmt(item['ratio'])}" if item.get("ratio") is not None else "–",
            _target_cell(item),
            f"{str(item.get('timestamp', ''))[:10]} [m{note}]",
        )
        row_key = (item["capability"], str(item.get("size", "")), item["metric"])
        table[row_key] = "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    lines.extend(table[key] for key in sorted(table, key=_row_order))
    lines.append("")
    for key, note in machines.items():
        info = json.loads(key)
        if isinstance(info, str):  # a machine described in the committed table
            lines.append(f"- m{note}: {info}")
            continue
        if not isinstance(info, dict) or not info:
            lines.append(f"- m{note}: {info or 'machine not recorded'}")
            continue
        lines.append(
            f"- m{note}: {info.get('cpu_count', '?')} CPUs ({info.get('cpu', 'cpu?')}), "
            f"{info.get('memory_gib', '?')} GiB, Python {info.get('python', '?')}, "
            f"{info.get('platform', '')}"
        )
    return "\n".join(lines) + "\n"


def refresh_summary(doc: Path | None = None, folder: Path | None = None) -> Path:
    """Rewrite the table between the markers of ``docs/benchmarks.md`` from the JSON files."""
    doc = doc or SUMMARY
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    table = render_table(load_results(folder), committed_rows(text))
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n## Summary\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")
    return doc


def committed_rows(text: str) -> dict[tuple[str, str, str], tuple[list[str], str]]:
    """The rows of the summary table already in ``docs/benchmarks.md`` (measured on other
    machines or in earlier sessions), each with its machine's description."""
    if BEGIN not in text or END not in text:
        return {}
    body = text.split(BEGIN, 1)[1].split(END, 1)[0]
    notes = dict(re.findall(r"^- (m\d+): (.*)$", body, flags=re.MULTILINE))
    rows: dict[tuple[str, str, str], tuple[list[str], str]] = {}
    for line in body.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) != 9 or cells[0] in ("capability", "---"):
            continue
        found = re.search(r"\[(m\d+)\]", cells[8])
        described = notes.get(found.group(1), "machine not recorded") if found else "unknown"
        rows[(cells[0], cells[1], cells[2])] = (cells, described)
    return rows


def _row_order(key: tuple[str, str, str]) -> tuple[str, tuple[float, str]]:
    """Capability, then size; metrics keep their order (the sort is stable)."""
    return (key[0], _size_key(key[1]))
