"""The ``kizuna`` command. Each command parses its input, calls one domain function, prints the
result (``--json`` for machines). Exit codes: 0 ok, 1 done with rejected rows, 2 unusable input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError
from kizuna.kit.store import open_store
from kizuna.settings import get_settings

app = typer.Typer(
    help="kizuna (絆): CRM, loyalty and marketing automation for online shops.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Dashboard users.", no_args_is_help=True)
keys_app = typer.Typer(
    help="API keys (stored hashed; the secret is shown once).", no_args_is_help=True
)
customers_app = typer.Typer(
    help="Customer records: merge, privacy, problem flag.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="apikeys")
app.add_typer(customers_app, name="customers")
clv_app = typer.Typer(
    help="Predicted lifetime value and churn risk (BTYD models).", no_args_is_help=True
)
app.add_typer(clv_app, name="clv")
recommend_app = typer.Typer(
    help="Recommendations: build the lists, evaluate them offline.", no_args_is_help=True
)
app.add_typer(recommend_app, name="recommend")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _sessions() -> Any:
    return open_store(get_settings().database_url)


def _emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(text)


def _fail(error: KizunaError, as_json: bool, code: int = 2) -> None:
    if as_json:
        typer.echo(json.dumps({"error": error.to_dict()}, ensure_ascii=False))
    else:
        where = f" (row {error.row})" if error.row else ""
        typer.echo(f"error{where}: {error.message}", err=True)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the record's tables to the latest schema."""
    _sessions()
    typer.echo(f"database ready: {get_settings().database_url}")


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="customers, products, orders or events")],
    file: Annotated[Path, typer.Argument(help="CSV (or .gz); UTF-8, UTF-8-BOM or Shift_JIS")],
    preset: Annotated[
        str | None, typer.Option(help="Column preset: kizuna, cdnow, cdnow-sample, online-retail")
    ] = None,
    errors: Annotated[
        Path | None, typer.Option(help="Write every rejected row to this CSV")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a file; bad rows are reported, good rows kept; re-importing changes nothing."""
    from kizuna.ingest.csv_import import import_file
    from kizuna.web.progress import terminal_progress

    try:
        with session_scope(_sessions()) as session, terminal_progress(not as_json) as progress:
            report = import_file(session, kind, file, preset, progress)
    except KizunaError as error:
        _fail(error, as_json)
        return
    if errors is not None:
        _write_errors(errors, report.to_dict()["errors"])
    _emit(report.to_dict(), as_json, _import_summary(report.to_dict(), errors))
    raise typer.Exit(report.exit_code)


def _import_summary(data: dict[str, Any], errors_file: Path | None) -> str:
    lines = [
        f"{data['file']} ({data['preset']}, {data['encoding']}): {data['rows']:,} rows, "
        f"{data['rejected']:,} rejected"
    ]
    for name, c in data["records"].items():
        lines.append(
            f"  {name}: {c['inserted']:,} inserted, {c['updated']:,} updated, "
            f"{c['unchanged']:,} unchanged"
        )
    for error in data["errors"][:20]:
        lines.append(f"  row {error['row']}, {error['field']}: {error['reason']}")
    if len(data["errors"]) > 20:
        more = f"; all in {errors_file}" if errors_file else " (use --errors FILE for all)"
        lines.append(f"  … {len(data['errors']) - 20:,} more rejected rows{more}")
    return "\n".join(lines)


def _write_errors(path: Path, errors: list[dict[str, Any]]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["row", "field", "reason"])
        writer.writeheader()
        writer.writerows(errors)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Serve the API and the dashboard."""
    import uvicorn

    from kizuna.web.app import create_app

    typer.echo(f"kizuna dashboard: http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run(create_app(warm_up=True), host=host, port=port, log_level="warning")


@app.command("demo")
def demo(
    customers: Annotated[int, typer.Option(help="How many customers to generate")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same shop)")] = 20261124,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard")
    ] = True,
    port: Annotated[int, typer.Option(help="Port of the dashboard")] = 8000,
    predict_after: Annotated[
        bool, typer.Option("--predict/--no-predict", help="Fit CLV and build recommendations")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Generate a realistic Japanese demo shop, load it, and serve the dashboard."""
    from kizuna.demo.load import run_demo
    from kizuna.web.progress import terminal_progress

    with terminal_progress(not as_json) as progress:
        report = run_demo(_sessions(), customers=customers, seed=seed, progress=progress)
    _emit(report.to_dict(), as_json, _demo_summary(report.to_dict()))
    if predict_after:
        _demo_predictions(as_json)
    if serve_after:
        serve(host="127.0.0.1", port=port)


def _demo_predictions(as_json: bool) -> None:
    """Run the nightly jobs once so the CLV and recommendation pages have data."""
    from kizuna.jobs import rebuild_recommendations, refit_clv

    try:
        scores = refit_clv()
        built = rebuild_recommendations()
    except KizunaError as error:
        typer.echo(f"predictions skipped: {error.message}", err=True)
        return
    if not as_json:
        typer.echo(
            f"  CLV scored for {scores['customers']:,} customers; "
            f"recommendations for {built['customers']:,}"
        )


def _demo_summary(data: dict[str, Any]) -> str:
    lines = [
        f"demo shop (seed {data['seed']}, today {data['today']}): {data['customers']:,} people"
    ]
    for name, c in data["records"].items():
        lines.append(f"  {name}: {c['inserted']:,} inserted, {c['updated']:,} updated, "
                     f"{c['unchanged']:,} unchanged")  # fmt: skip
    lines.append(f"  {sum(data['seconds'].values()):.1f} s")
    return "\n".join(lines)


@app.command("worker")
def worker(
    workers: Annotated[int, typer.Option(help="Worker processes")] = 2,
) -> None:
    """Run the task queue (sends, retries, scheduled jobs) until stopped; no cron needed."""
    from kizuna.kit import queue

    queue.configure(get_settings().queue_url)
    typer.echo(f"kizuna worker: queue {get_settings().queue_url}, {workers} workers")
    modules = ["kizuna.channels.tasks", "kizuna.automation.tasks", "kizuna.jobs"]
    queue.run_worker(modules, workers=workers, worker_type="process")


@users_app.command("create")
def users_create(
    email: str,
    role: Annotated[str, typer.Option(help="admin, marketer or support")] = "marketer",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a dashboard user."""
    from kizuna.accounts.service import do_create_user

    with session_scope(_sessions()) as session:
        user = do_create_user(session, email, password, role)
        data = {"id": user.id, "email": user.email, "role": user.role}
    _emit(data, as_json, f"created {user.email} ({user.role})")


@keys_app.command("create")
def keys_create(
    name: str,
    scope: Annotated[list[str], typer.Option(help="Repeat for several scopes")],
    as_json: JsonFlag = False,
) -> None:
    """Create an API key; prints its secret once."""
    from kizuna.accounts.service import do_create_api_key

    with session_scope(_sessions()) as session:
        key, secret = do_create_api_key(session, name, scope)
        data = {"prefix": key.prefix, "name": key.name, "scopes": key.scopes, "secret": secret}
    _emit(
        data, as_json, f"{secret}\n(keep it now: kizuna stores only its hash; prefix {key.prefix})"
    )


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List API keys (never their secrets)."""
    from kizuna.accounts.service import list_api_keys

    with session_scope(_sessions()) as session:
        data: list[dict[str, Any]] = [
            {
                "prefix": k.prefix,
                "name": k.name,
                "scopes": k.scopes,
                "created_at": k.created_at,
                "revoked_at": k.revoked_at,
            }
            for k in list_api_keys(session)
        ]
    text = "\n".join(
        f"{k['prefix']}  {k['name']}  {','.join(k['scopes'])}"
        f"{'  REVOKED' if k['revoked_at'] else ''}"
        for k in data
    )
    _emit(data, as_json, text or "no API keys")


@keys_app.command("revoke")
def keys_revoke(prefix: str, as_json: JsonFlag = False) -> None:
    """Revoke an API key by its prefix."""
    from kizuna.accounts.service import do_revoke_api_key

    with session_scope(_sessions()) as session:
        key = do_revoke_api_key(session, prefix)
        data = {"prefix": key.prefix, "revoked_at": key.revoked_at}
    _emit(data, as_json, f"revoked {prefix}")


@customers_app.command("export")
def customers_export(customer_id: int, actor: str = "cli") -> None:
    """Print everything stored about one customer as JSON (APPI disclosure; audited)."""
    from kizuna.customers.privacy import export_customer

    with session_scope(_sessions()) as session:
        data = export_customer(session, customer_id, actor=actor)
    _emit(data, True, "")


@customers_app.command("erase")
def customers_erase(
    customer_id: int,
    reason: Annotated[str, typer.Option()],
    actor: str = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Erase a customer's personal data; orders stay as anonymous facts (audited)."""
    from kizuna.customers.privacy import erase_customer

    with session_scope(_sessions()) as session:
        customer = erase_customer(session, customer_id, actor=actor, reason=reason)
        data = {"id": customer.id, "erased_at": customer.erased_at}
    _emit(data, as_json, f"erased personal data of customer #{customer_id}")


@customers_app.command("merge")
def customers_merge(
    survivor_id: int, merged_id: int, actor: str = "cli", as_json: JsonFlag = False
) -> None:
    """Merge customer MERGED_ID into SURVIVOR_ID (audited; undo with unmerge)."""
    from kizuna.customers.identity import do_merge

    with session_scope(_sessions()) as session:
        audit = do_merge(session, survivor_id, merged_id, actor=actor)
        data = {
            "merge_id": audit.id,
            "moved": {k: len(v) for k, v in audit.detail["moved"].items()},
        }
    _emit(data, as_json, f"merged #{merged_id} into #{survivor_id} (merge #{data['merge_id']})")


@customers_app.command("unmerge")
def customers_unmerge(merge_id: int, actor: str = "cli", as_json: JsonFlag = False) -> None:
    """Undo a merge by its merge id."""
    from kizuna.customers.identity import do_unmerge

    with session_scope(_sessions()) as session:
        customer = do_unmerge(session, merge_id, actor=actor)
        data = {"restored_id": customer.id}
    _emit(data, as_json, f"restored customer #{customer.id}")


@customers_app.command("flag")
def customers_flag(
    customer_id: int,
    reason: Annotated[str | None, typer.Option()] = None,
    clear: Annotated[bool, typer.Option("--clear")] = False,
    actor: str = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Flag (or --clear) a problem customer, with a reason; excluded from digital marketing."""
    from kizuna.customers.service import do_flag_problem

    with session_scope(_sessions()) as session:
        customer = do_flag_problem(
            session, customer_id, reason=reason, actor=actor, flagged=not clear
        )
        data = {"id": customer.id, "is_problem": customer.is_problem}
    _emit(data, as_json, f"customer #{customer_id}: problem={customer.is_problem}")


@clv_app.command("fit")
def clv_fit(
    model: Annotated[str, typer.Option(help="bgnbd, pnbd (purchases) or gg (spend)")] = "bgnbd",
    calibration_end: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; default: a quarter of the history is held out")
    ] = None,
    time_unit: Annotated[str, typer.Option(help="day or week")] = "week",
    as_json: JsonFlag = False,
) -> None:
    """Fit a model on the shop's history with a holdout backtest; store the fit."""
    from datetime import date

    from kizuna.clv.service import fit_model

    if model not in ("bgnbd", "pnbd", "gg") or time_unit not in ("day", "week"):
        _fail(
            KizunaError("use --model bgnbd|pnbd|gg and --time-unit day|week", field="model"),
            as_json,
        )
    cal = date.fromisoformat(calibration_end) if calibration_end else None
    zone = get_settings().shop_timezone
    with session_scope(_sessions()) as session:
        outcome = fit_model(session, model, cal, time_unit, zone)  # type: ignore[arg-type]
    data = outcome.to_dict()
    params = ", ".join(
        f"{k}={v:.4g} (±{outcome.standard_errors.get(k, 0):.2g})" for k, v in outcome.params.items()
    )
    error = outcome.holdout_error_pct
    text = (
        f"{model}: {params}\nlog-likelihood {outcome.log_likelihood:,.2f} over "
        f"{outcome.customers:,} customers (data to {outcome.data_end})\n"
        f"holdout after {outcome.calibration_end}: error "
        + (f"{error:+.1f}%" if error is not None else "n/a")
    )
    if not as_json:
        data.pop("report")
    _emit(data, as_json, text)


@clv_app.command("predict")
def clv_predict(
    horizon: Annotated[int, typer.Option(help="Days ahead for purchases and CLV")] = 365,
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate")] = 0.1,
    margin: Annotated[float, typer.Option(help="Gross margin applied to spend")] = 1.0,
    as_json: JsonFlag = False,
) -> None:
    """Score every customer (P(alive), purchases, CLV, churn risk, next order) and store it."""
    from kizuna.clv.service import predict

    zone = get_settings().shop_timezone
    with session_scope(_sessions()) as session:
        data = predict(
            session, horizon, annual_discount_rate=discount_rate, margin=margin, zone=zone
        )
    text = (
        f"{data['customers']:,} customers scored with {data['purchase_model']} + "
        f"{data['spend_model']} over {horizon} days: mean CLV {data['mean_clv']:,.0f}, "
        f"median P(alive) {data['median_p_alive']:.2f}, {data['at_risk']:,} at risk"
    )
    _emit(data, as_json, text)


@recommend_app.command("build")
def recommend_build(as_json: JsonFlag = False) -> None:
    """Rebuild related products, 'for you', alternatives and gift picks for everyone."""
    from kizuna.recommend import build_all

    with session_scope(_sessions()) as session:
        report = build_all(session).to_dict()
    _emit(report, as_json, f"recommendations built for {report['customers']:,} customers")


@recommend_app.command("evaluate")
def recommend_evaluate(
    cutoff: Annotated[str, typer.Option(help="Train before this date (YYYY-MM-DD)")] = "2011-09-01",
    end: Annotated[str | None, typer.Option(help="Score purchases until this date")] = None,
    k: Annotated[int, typer.Option(help="List length")] = 10,
    tune: Annotated[bool, typer.Option(help="Tune on a validation window first")] = False,
    preset: Annotated[str | None, typer.Option(help="online-retail: skip its fee codes")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Precision, recall, NDCG and coverage of each method against popularity, in one run."""
    from datetime import date

    from kizuna.recommend import RecommendConfig, evaluate
    from kizuna.recommend.config import ONLINE_RETAIL_NON_PRODUCTS

    config = RecommendConfig(
        exclude_skus=ONLINE_RETAIL_NON_PRODUCTS if preset == "online-retail" else ()
    )
    until = date.fromisoformat(end) if end else None
    with session_scope(_sessions()) as session:
        report = evaluate(session, date.fromisoformat(cutoff), until, k=k, config=config, tune=tune)
    data = report.to_dict()
    lines = [f"{'method':<20} P@{k:<6} R@{k:<6} NDCG@{k:<4} coverage"]
    for m in data["all_purchases"]:
        lines.append(
            f"{m['method']:<20} {m['precision']:.4f}  {m['recall']:.4f}  "
            f"{m['ndcg']:.4f}   {m['coverage']:.3f}"
        )
    lines.append(f"for you vs popularity, recall@{k}: {data['recall_lift_for_you']:+.0%}")
    _emit(data, as_json, "\n".join(lines))


def main() -> None:
    """Entry point of the ``kizuna`` script."""
    try:
        app()
    except KizunaError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(2)
