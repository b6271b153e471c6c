"""Enrolment: put the customers a trigger found into a journey, once per occurrence.

``enrol`` inserts ``journey_enrolments`` rows with ``ON CONFLICT DO NOTHING`` on (journey,
customer, occurrence), so a trigger seen twice (the ingest hook and the safety-net scan, or two
overlapping scans) enrols once. The holdout draw is not made here but when the first step falls
due (after a trigger's ``confirm``), so customers who never became eligible (the cart was
bought after all) are in neither arm.

``scan_journey`` runs one journey's trigger; ``scan_all`` runs every switched-on journey of a
kind (``daily`` for the date scanners, the rest for the safety-net scan of recent events).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from kizuna.automation.journeys import scanners  # noqa: F401  (registers the daily triggers)
from kizuna.automation.journeys.store import Loaded, enabled_for
from kizuna.automation.journeys.triggers import HANDLERS, Entry, Scan
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import now

_COLUMNS = (
    "journey_key",
    "journey_version",
    "customer_id",
    "occurrence",
    "status",
    "step",
    "due_at",
    "entered_at",
    "updated_at",
    "context",
)


@dataclass(slots=True)
class ScanReport:
    """Per journey: customers found, newly enrolled, and any note (a declared gap)."""

    found: dict[str, int] = field(default_factory=dict)
    enrolled: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {"found": self.found, "enrolled": self.enrolled, "notes": self.notes}


def enrol(
    session: Session, journey: Loaded, entries: Sequence[Entry], *, at: datetime | None = None
) -> int:
    """Enrol the entries not enrolled yet for their occurrence; returns how many were new."""
    if not entries:
        return 0
    bulk = Bulk(session)
    stamp = bulk.time(at or now())
    first = journey.journey.steps[0].id
    marks = ", ".join(["?"] * (len(_COLUMNS) - 1) + [bulk.json_mark()])
    sql = bulk.sql(
        f"INSERT INTO journey_enrolments ({', '.join(_COLUMNS)}) VALUES ({marks}) "
        "ON CONFLICT (journey_key, customer_id, occurrence) DO NOTHING"
    )
    unique = {(e.customer_id, e.occurrence): e for e in entries}
    inserted = 0
    for part in chunks(list(unique.values()), 5000):
        rows = [
            (
                journey.key,
                journey.version,
                e.customer_id,
                e.occurrence,
                "active",
                first,
                bulk.time(e.due_at),
                bulk.time(e.entered_at),
                stamp,
                bulk.json(e.context),
            )
            for e in part
        ]
        result = bulk.conn.exec_driver_sql(sql, rows)
        inserted += max(result.rowcount, 0)
    return inserted


def scan_journey(
    session: Session,
    journey: Loaded,
    *,
    at: datetime | None = None,
    ids: Sequence[int] | None = None,
) -> tuple[Scan, int]:
    """Run ``journey``'s trigger (narrowed to ``ids`` for the ingest hooks) and enrol what it
    finds; returns the scan and how many were newly enrolled."""
    at = at or now()
    trigger = journey.journey.trigger
    params = {**trigger.params, "_journey": journey.key}
    scan = HANDLERS[trigger.type].scan(session, params, at, ids)
    return scan, enrol(session, journey, scan.entries, at=at)


def scan_all(
    session: Session,
    *,
    daily: bool,
    at: datetime | None = None,
    keys: Sequence[str] | None = None,
) -> ScanReport:
    """Scan every switched-on journey whose trigger is daily (or, with ``daily=False``, every
    event trigger over its look-back window)."""
    at = at or now()
    kinds = [name for name, h in HANDLERS.items() if (h.source == "daily") == daily]
    report = ScanReport()
    for journey in enabled_for(session, kinds):
        if keys is not None and journey.key not in keys:
            continue
        scan, enrolled = scan_journey(session, journey, at=at)
        report.found[journey.key] = len(scan.entries)
        report.enrolled[journey.key] = enrolled
        if scan.note:
            report.notes[journey.key] = scan.note
    return report
