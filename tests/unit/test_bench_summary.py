"""The benchmark summary keeps rows measured elsewhere: refreshing it from this machine's results
replaces only the rows measured again, and keeps every other committed row with its machine."""

from __future__ import annotations

from pathlib import Path

from bench import harness


def test_refresh_keeps_committed_rows_and_replaces_remeasured_ones(tmp_path: Path) -> None:
    doc, results = tmp_path / "benchmarks.md", tmp_path / "results"
    harness.record("import", "10k", "rows/s", 100.0, "rows/s", folder=results)
    harness.record("recommend", "1m", "p99", 5.0, "ms", better="lower", folder=results)
    harness.refresh_summary(doc, results)
    # another machine's run only re-measures the import
    (results / "other").mkdir()
    harness.record("import", "10k", "rows/s", 250.0, "rows/s", folder=results / "other")
    harness.refresh_summary(doc, results / "other")
    text = doc.read_text(encoding="utf-8")
    assert "| import | 10k | rows/s | 250 rows/s |" in text
    assert "| import | 10k | rows/s | 100 rows/s |" not in text
    assert "| recommend | 1m | p99 | 5 ms |" in text
    assert text.count("- m") == 2  # both machines described
    # refreshing again changes nothing
    harness.refresh_summary(doc, results / "other")
    assert doc.read_text(encoding="utf-8") == text
