"""Commands for predictions: CLV fits and scores, recommendations."""

from __future__ import annotations

from typing import Annotated

import typer

from kizuna.cli.common import JsonFlag, clv_app, emit, fail, open_sessions, recommend_app
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError
from kizuna.settings import get_settings


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
        fail(
            KizunaError("use --model bgnbd|pnbd|gg and --time-unit day|week", field="model"),
            as_json,
        )
    cal = date.fromisoformat(calibration_end) if calibration_end else None
    zone = get_settings().shop_timezone
    with session_scope(open_sessions()) as session:
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
    emit(data, as_json, text)


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
    with session_scope(open_sessions()) as session:
        data = predict(
            session, horizon, annual_discount_rate=discount_rate, margin=margin, zone=zone
        )
    text = (
        f"{data['customers']:,} customers scored with {data['purchase_model']} + "
        f"{data['spend_model']} over {horizon} days: mean CLV {data['mean_clv']:,.0f}, "
        f"median P(alive) {data['median_p_alive']:.2f}, {data['at_risk']:,} at risk"
    )
    emit(data, as_json, text)


@recommend_app.command("build")
def recommend_build(as_json: JsonFlag = False) -> None:
    """Rebuild related products, 'for you', alternatives and gift picks for everyone."""
    from kizuna.recommend import build_all

    with session_scope(open_sessions()) as session:
        report = build_all(session).to_dict()
    emit(report, as_json, f"recommendations built for {report['customers']:,} customers")


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
    with session_scope(open_sessions()) as session:
        report = evaluate(session, date.fromisoformat(cutoff), until, k=k, config=config, tune=tune)
    data = report.to_dict()
    lines = [f"{'method':<20} P@{k:<6} R@{k:<6} NDCG@{k:<4} coverage"]
    for m in data["all_purchases"]:
        lines.append(
            f"{m['method']:<20} {m['precision']:.4f}  {m['recall']:.4f}  "
            f"{m['ndcg']:.4f}   {m['coverage']:.3f}"
        )
    lines.append(f"for you vs popularity, recall@{k}: {data['recall_lift_for_you']:+.0%}")
    emit(data, as_json, "\n".join(lines))
