"""Commands for marketing automation: journeys (list, switch, install the ready-made ones),
one-off campaigns from a document, and the holdout uplift of a journey.

Exit codes: 0 ok, 2 unusable input (a campaign document that does not validate names the
field; an unknown journey)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from kizuna.cli.common import JsonFlag, app, emit, fail, open_sessions
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.kit.money import format_money
from kizuna.settings import get_settings

journeys_app = typer.Typer(
    help="Journeys: list them with their results, switch them on or off.", no_args_is_help=True
)
campaign_app = typer.Typer(help="One-off campaigns to a segment.", no_args_is_help=True)
app.add_typer(journeys_app, name="journeys")
app.add_typer(campaign_app, name="campaign")

ACTOR = "cli"
COUNTS = ("audience", "pending", "held", "dropped", "holdout", "duplicates", "skipped")


@journeys_app.command("list")
def journeys_list(as_json: JsonFlag = False) -> None:
    """Each journey: key, name, on/off, enrolled, sends, conversions, uplift with its CI."""
    from kizuna.automation.journeys.service import list_journeys

    with session_scope(open_sessions()) as session:
        lines = list_journeys(session)
    emit(lines, as_json, journeys_table(lines))


def journeys_table(lines: list[dict[str, Any]]) -> str:
    """The journeys as a text table (one line each)."""
    if not lines:
        return "no journeys yet: run 'kizuna journeys install' for the ready-made ones"
    header = f"{'key':<20} {'on':<4} {'enrolled':>9} {'sends':>8} {'conv.':>7}  uplift (95% CI)"
    rows = [header]
    for line in lines:
        lift = line["uplift"]
        interval = (
            f"{lift['conversion_diff'] * 100:+.1f} pts "
            f"[{lift['low'] * 100:+.1f}, {lift['high'] * 100:+.1f}] {lift['verdict']}"
        )
        rows.append(
            f"{line['key']:<20} {'on' if line['enabled'] else 'off':<4} {line['enrolled']:>9,} "
            f"{line['sends']:>8,} {line['conversions']:>7,}  {interval}"
        )
    return "\n".join(rows)


def _switch(key: str, enabled: bool, as_json: bool) -> None:
    from kizuna.automation.journeys.service import set_journey_enabled

    try:
        with session_scope(open_sessions()) as session:
            line = set_journey_enabled(session, key, enabled, actor=ACTOR)
    except KizunaError as error:
        fail(error, as_json)
    emit(line, as_json, f"{key}: {'on' if line['enabled'] else 'off'} ({line['name']})")


@journeys_app.command("enable")
def journeys_enable(key: str, as_json: JsonFlag = False) -> None:
    """Switch a journey on."""
    _switch(key, True, as_json)


@journeys_app.command("disable")
def journeys_disable(key: str, as_json: JsonFlag = False) -> None:
    """Switch a journey off (customers in it leave at their next step)."""
    _switch(key, False, as_json)


@journeys_app.command("install")
def journeys_install(
    enable: Annotated[bool, typer.Option(help="Switch the installed journeys on")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Store the ready-made journeys the shop does not have yet (off unless --enable)."""
    from kizuna.automation.journeys.service import install_presets

    with session_scope(open_sessions()) as session:
        report = install_presets(session, actor=ACTOR, enable=enable)
    emit(report, as_json, f"installed {len(report['installed'])} journeys: "
         + (", ".join(report["installed"]) or "none new"))  # fmt: skip


def read_campaign(path: Path) -> Any:
    """The validated campaign document in ``path`` (TOML or JSON); ``ValidationFailed`` names
    the field or the line that is wrong."""
    from kizuna.automation.campaigns import CampaignDoc

    if not path.is_file():
        raise ValidationFailed(f"no such file: {path}", field="file")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(f"{path} is not valid TOML: {exc}", field="file") from exc
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})", field="file"
        ) from exc
    try:
        return CampaignDoc.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ValidationFailed(f"{where}: {first['msg']}{more}", field=where) from exc


@campaign_app.command("send")
def campaign_send(
    file: Annotated[Path, typer.Argument(help="Campaign document (.toml or .json)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the audience; store and send nothing")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Send a campaign document now, or schedule it when its scheduled_at is in the future."""
    from kizuna.automation import campaigns

    try:
        doc = read_campaign(file)
        if dry_run:
            with session_scope(open_sessions()) as session:
                people = campaigns.audience(session, doc)
                session.rollback()
            emit(_dry_run(doc, people), as_json, _dry_run_text(doc, people))
            return
        with session_scope(open_sessions()) as session:
            result = campaigns.send_file(session, file, actor=ACTOR)
    except KizunaError as error:
        fail(error, as_json)
    _enqueue(result.get("pending", []))
    data = {**result, "pending": len(result.get("pending", []))}
    emit(data, as_json, _sent_text(data))


def _dry_run(doc: Any, people: dict[int, str]) -> dict[str, Any]:
    by_rank: dict[str, int] = {}
    for rank in people.values():
        by_rank[rank or "-"] = by_rank.get(rank or "-", 0) + 1
    return {
        "key": doc.key,
        "dry_run": True,
        "audience": len(people),
        "by_rank": dict(sorted(by_rank.items())),
        "holdout_share": doc.holdout_share,
        "variants": [v.name for v in doc.variants],
        "scheduled_at": doc.scheduled_at.isoformat() if doc.scheduled_at else None,
    }


def _dry_run_text(doc: Any, people: dict[int, str]) -> str:
    data = _dry_run(doc, people)
    ranks = ", ".join(f"{k} {v:,}" for k, v in data["by_rank"].items())
    return (
        f"{doc.key}: audience {data['audience']:,} customers ({ranks or 'none'}); "
        f"{doc.holdout_share:.0%} will be held out; nothing stored or sent (dry run)"
    )


def _sent_text(data: dict[str, Any]) -> str:
    if data["status"] == "scheduled":
        return f"{data['key']}: scheduled for {data['scheduled_at']}"
    return (
        f"{data['key']}: audience {data['audience']:,}; {data['pending']:,} queued, "
        f"{data['held']:,} held, {data['dropped']:,} dropped by the guards, "
        f"{data['holdout']:,} held out, {data['duplicates']:,} already sent"
    )


def _enqueue(pending: list[int]) -> None:
    """Ring the worker's doorbell for the committed messages (the outbox is the record: a
    worker that is not running picks them up with ``channels.dispatch_due`` when it starts)."""
    if pending:
        from kizuna.channels import tasks

        tasks.enqueue_ids(pending)


@campaign_app.command("results")
def campaign_results(key: str, as_json: JsonFlag = False) -> None:
    """What a campaign did: sends, attributed revenue, uplift over the holdout, A/B winner."""
    from kizuna.automation import campaigns

    try:
        with session_scope(open_sessions()) as session:
            data = campaigns.results(session, key)
    except KizunaError as error:
        fail(error, as_json)
    lift, winner = data["uplift"], data["winner"]
    lines = [
        f"{key} ({data['status']}): "
        + ", ".join(f"{k} {data['counts'][k]:,}" for k in COUNTS if k in data["counts"]),
        f"uplift: {lift['verdict']}: {lift['note']}",
    ]
    if winner is not None:
        lines.append(f"A/B: {winner['variant'] or 'no winner yet'}: {winner['note']}")
    emit(data, as_json, "\n".join(lines))


@app.command("uplift")
def uplift(
    journey: Annotated[str, typer.Argument(help="Journey key")],
    days: Annotated[
        int | None, typer.Option(help="Conversion window in days (default: the journey's)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Treatment vs holdout: conversion rate and revenue per customer, difference with 95% CI."""
    from kizuna.automation.journeys.service import uplift_report

    if days is not None and days < 1:
        fail(ValidationFailed("--days must be at least 1", field="days"), as_json)
    try:
        with session_scope(open_sessions()) as session:
            report = uplift_report(session, journey, days=days)
    except KizunaError as error:
        fail(error, as_json)
    emit(report, as_json, uplift_text(report, get_settings().currency))


def uplift_text(report: dict[str, Any], currency: str) -> str:
    """The uplift report in words: both arms, the two differences with intervals, the verdict."""
    money = lambda v: format_money(round(v), currency)  # noqa: E731
    lines = [
        f"{report['journey']}: orders within {report['days']} days of entering "
        f"({report['experiment']})",
        f"{'arm':<10} {'customers':>10} {'converted':>10} {'rate':>8} {'revenue/customer':>17}",
    ]
    for arm in ("treatment", "holdout"):
        a = report[arm]
        lines.append(
            f"{arm:<10} {a['customers']:>10,} {a['converters']:>10,} "
            f"{a['conversion_rate'] * 100:>7.1f}% {money(a['revenue_per_customer']):>17}"
        )
    if report["verdict"] == "sample_too_small":
        lines.append(report["note"])
        return "\n".join(lines)
    conv, rev = report["conversion_uplift"], report["revenue_uplift"]
    level = f"{report['confidence']:.0%}"
    yes = {True: "significant", False: "not significant"}
    lines += [
        f"conversion: {conv['diff'] * 100:+.1f} points ({level} CI {conv['low'] * 100:+.1f} to "
        f"{conv['high'] * 100:+.1f}), {yes[bool(report['conversion_significant'])]}",
        f"revenue per customer: {money(rev['diff'])} ({level} CI {money(rev['low'])} to "
        f"{money(rev['high'])}), {yes[bool(report['revenue_significant'])]}",
        f"verdict: {report['verdict']}: {report['note']}",
    ]
    return "\n".join(lines)
