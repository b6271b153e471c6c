"""Computed, portable analytics: RFM, ranks, rank history, segments, cohorts, funnel, KPIs.

Named Ibis expressions written once and run on DuckDB (embedded default over SQLite),
PostgreSQL or Spark (``backends.connect``). Reads the record only; ``snapshots`` is the one
module that writes, and only to the tables in ``analytics.models``. See docs/analytics.md.
"""
