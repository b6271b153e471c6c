"""``kizuna loyalty``: a member's status, the nightly expiry and the monthly stage evaluation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from kizuna.cli.common import JsonFlag, app, emit, fail, open_sessions
from kizuna.customers.queries import find_by_external_id
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError, NotFound

loyalty_app = typer.Typer(help="Loyalty: points, member stages, expiry.", no_args_is_help=True)
app.add_typer(loyalty_app, name="loyalty")


@loyalty_app.command("status")
def status(
    customer: Annotated[str, typer.Argument(help="The shop's customer id (or #ID for kizuna's)")],
    lang: Annotated[str, typer.Option(help="ja or en")] = "ja",
    as_json: JsonFlag = False,
) -> None:
    """A member's stage, the gap to the next stage, balance, expiring points and benefits."""
    from kizuna.loyalty.queries import loyalty_status

    if lang not in ("ja", "en"):
        fail(KizunaError("use --lang ja or --lang en", field="lang"), as_json)
    try:
        with session_scope(open_sessions()) as session:
            found = _customer_id(session, customer)
            data = loyalty_status(session, found)
    except KizunaError as error:
        fail(error, as_json)
        return
    emit(data.as_dict(), as_json, "\n".join(data.lines(lang)))


def _customer_id(session: object, customer: str) -> int:
    if customer.startswith("#") and customer[1:].isdigit():
        return int(customer[1:])
    row = find_by_external_id(session, customer)  # type: ignore[arg-type]
    if row is None:
        raise NotFound(f"no customer with id {customer!r}", field="customer")
    return row.id


@loyalty_app.command("expire")
def expire(as_json: JsonFlag = False) -> None:
    """Release timed-out holds and expire every lot that is due (the nightly job)."""
    from kizuna.loyalty.tasks import expire_points

    run = expire_points(open_sessions())
    text = (
        f"{run.points:,} points expired in {run.lots:,} lots of {run.customers:,} customers; "
        f"{run.holds_released:,} holds released ({run.seconds:.2f} s)"
    )
    emit(asdict(run), as_json, text)


@loyalty_app.command("evaluate-stages")
def evaluate_stages(as_json: JsonFlag = False) -> None:
    """Evaluate every member's stage now (the monthly job): joins, promotions, demotions."""
    from kizuna.loyalty.tasks import evaluate_stages as run_evaluation

    run = run_evaluation(open_sessions())
    text = (
        f"{run.members:,} members: {run.joined:,} joined, {run.promoted:,} promoted, "
        f"{run.demoted:,} demoted, {run.grace_started:,} in grace ({run.seconds:.2f} s)"
    )
    emit(asdict(run), as_json, text)
