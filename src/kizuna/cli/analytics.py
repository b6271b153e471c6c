"""Commands for ranks, migration, segments and the nightly rank snapshot (issue 8).

Labels follow ``KIZUNA_DEFAULT_LANGUAGE`` (ja by default). Exit codes: 0 ok, 2 bad input (a date
that is not YYYY-MM-DD, a segment document that does not validate, a snapshot in the past).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from kizuna.cli.common import JsonFlag, app, emit, fail, open_sessions
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.kit.i18n import translate
from kizuna.settings import get_settings

segment_app = typer.Typer(
    help="Segments: count members of a segment document.", no_args_is_help=True
)
app.add_typer(segment_app, name="segment")

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="YYYY-MM-DD (end of that day); default: today")
]


def _t(key: str, **values: Any) -> str:
    return translate(key, get_settings().default_language, **values)


def _day(value: str | None, name: str, as_json: bool) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(ValidationFailed(f"{name} has value {value!r}. Not a date (YYYY-MM-DD).",
                              field=name), as_json)  # fmt: skip
        raise  # unreachable: fail() exits


def _policy() -> Any:
    from kizuna.analytics.snapshots import current_policy

    with session_scope(open_sessions()) as session:
        return current_policy(session)


def _bench() -> Any:
    """The analytics workbench, fresh for the record as it is now."""
    from kizuna.analytics.queries import forget, workbench

    forget()  # one command, one fresh copy of the record
    with session_scope(open_sessions()) as session:
        return workbench(session)


def _label(row: dict[str, Any]) -> str:
    return str(row["label_ja"] if get_settings().default_language == "ja" else row["label_en"])


@app.command("ranks")
def ranks(as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    """Customers, share and 12-month revenue per rank at the end of a day."""
    from kizuna.analytics.queries import shop_today
    from kizuna.analytics.reports import rank_distribution

    day = _day(as_of, "as_of", as_json) or shop_today()
    policy = _policy()
    rows = rank_distribution(_bench(), day, policy)
    data = {"as_of": day.isoformat(), "policy_version": policy.version, "ranks": rows}
    head = [
        _t(f"analytics.{key}") for key in ("customers", "share", "revenue_12m", "revenue_share")
    ]
    lines = [f"{_t('analytics.rank'):<14}" + "".join(f"{h:>14}" for h in head)]
    for r in rows:
        cells = [f"{r['customers']:,}", f"{r['share']:.1%}", f"{r['spend_12m']:,}",
                 f"{r['revenue_share']:.1%}"]  # fmt: skip
        lines.append(f"{_label(r):<14}" + "".join(f"{c:>14}" for c in cells))
    total = sum(r["customers"] for r in rows)
    lines.append(_t("analytics.cli_total", customers=f"{total:,}", day=day.isoformat()))
    emit(data, as_json, "\n".join(lines))


@app.command("migration")
def migration(
    start: Annotated[str, typer.Option("--from", help="Start day YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="End day YYYY-MM-DD")],
    source: Annotated[
        str, typer.Option(help="auto (snapshots when one exists by --from), snapshots, recompute")
    ] = "auto",
    as_json: JsonFlag = False,
) -> None:
    """Who moved between ranks from one day to another: customers and revenue per pair."""
    from kizuna.analytics.reports import migration_report

    first, last = _day(start, "from", as_json), _day(end, "to", as_json)
    assert first is not None and last is not None
    if source not in ("auto", "snapshots", "recompute"):
        fail(ValidationFailed("use --source auto, snapshots or recompute", field="source"), as_json)
    try:
        data = migration_report(_bench(), first, last, _policy(), source)  # type: ignore[arg-type]
    except KizunaError as error:
        fail(error, as_json)
    lines = [_t("analytics.cli_migration", start=first.isoformat(), end=last.isoformat(),
                source=data["source"])]  # fmt: skip
    for c in data["cells"]:
        if c["customers"]:
            move = _t("analytics.direction." + c["direction"])
            pair = f"{c['from_rank']:>12} → {c['to_rank']:<12}"
            lines.append(f"  {pair} {c['customers']:>9,}  {c['revenue']:>14,}  {move}")
    emit(data, as_json, "\n".join(lines))


@segment_app.command("count")
def segment_count(
    file: Annotated[Path, typer.Argument(help="Segment document (JSON), as the builder saves it")],
    as_of: AsOf = None,
    sample_size: Annotated[int, typer.Option("--sample", help="Members to show")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Count a segment's members (split by rank) and show a few of them."""
    from kizuna.analytics.queries import count_segment, segment_sample
    from kizuna.analytics.segments.definition import SegmentDefinition

    day = _day(as_of, "as_of", as_json)
    try:
        definition = SegmentDefinition.from_json(file.read_bytes())
    except OSError as error:
        fail(ValidationFailed(f"cannot read {file}: {error.strerror}", field="file"), as_json)
    except json.JSONDecodeError as error:
        fail(ValidationFailed(f"{file} is not JSON: {error}", field="file"), as_json)
    except KizunaError as error:
        fail(error, as_json)
    policy = _policy()
    _bench()
    with session_scope(open_sessions()) as session:
        counted = count_segment(definition, as_of=day, policy=policy, session=session,
                                by_rank=True)  # fmt: skip
        members = segment_sample(definition, as_of=day, policy=policy, limit=sample_size)
    data = {"name": definition.name, **counted.to_dict(), "sample": members}
    lines = [_t("analytics.cli_segment", name=definition.name, members=f"{counted.members:,}",
                customers=f"{counted.customers:,}", share=f"{counted.share:.1%}")]  # fmt: skip
    lines += [f"  {rank}: {n:,}" for rank, n in counted.by_rank.items()]
    lines += [f"  #{m['customer_id']} {m['rank']} {m['spend_12m'] or 0:,}" for m in members]
    emit(data, as_json, "\n".join(lines))


@app.command("snapshot")
def snapshot(as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    """Store every customer's rank for a day (the nightly job; running a day again replaces it)."""
    from kizuna.analytics.snapshots import take_snapshot

    day = _day(as_of, "as_of", as_json)
    try:
        report = take_snapshot(None, day, _policy())
    except KizunaError as error:
        fail(error, as_json)
    data = report.to_dict()
    text = _t("analytics.cli_snapshot", day=data["as_of"], customers=f"{report.customers:,}",
              opened=f"{report.opened:,}", closed=f"{report.closed:,}",
              seconds=f"{report.seconds:.1f}")  # fmt: skip
    emit(data, as_json, text)
