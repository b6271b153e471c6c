"""Commands that run kizuna: the server, the demo shop, the worker."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from kizuna.cli.common import JsonFlag, app, emit, open_sessions
from kizuna.kit.errors import KizunaError
from kizuna.settings import get_settings


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
    activity: Annotated[
        bool,
        typer.Option(
            "--activity/--no-activity", help="Points, stages, rank history and feedback too"
        ),
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Generate a realistic Japanese demo shop, load it, and serve the dashboard."""
    from kizuna.demo.load import run_demo
    from kizuna.web.progress import terminal_progress

    with terminal_progress(not as_json) as progress:
        report = run_demo(open_sessions(), customers=customers, seed=seed, progress=progress)
    data = report.to_dict()
    if activity:
        data["activity"] = _demo_activity(report.today, seed)
    emit(data, as_json, _demo_summary(data))
    if predict_after:
        _demo_predictions(as_json)
    if serve_after:
        serve(host="127.0.0.1", port=port)


def _demo_activity(today: date, seed: int) -> dict[str, Any]:
    """Points, stages, rank snapshots and feedback, so those pages have data."""
    from kizuna.demo.activity import seed_activity

    return seed_activity(open_sessions(), get_settings().database_url, today, seed)


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
    if "activity" in data:
        done = data["activity"]
        points, feedback = done["points"], done["feedback"]
        lines.append(
            f"  points: {points['opening_lots']:,} opening lots, {points['live_earns']} order "
            f"earns; {done['stages']['members']:,} members staged; {len(done['snapshots'])} rank "
            f"snapshots; {feedback['responses']} survey answers, {feedback['reviews']} reviews, "
            f"{feedback['tickets']} tickets ({sum(done['seconds'].values()):.1f} s)"
        )
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
