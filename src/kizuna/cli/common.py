"""Shared pieces of the ``kizuna`` command: the app, its groups, output helpers."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

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


def open_sessions() -> Any:
    return open_store(get_settings().database_url)


def emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(text)


def fail(error: KizunaError, as_json: bool, code: int = 2) -> None:
    if as_json:
        typer.echo(json.dumps({"error": error.to_dict()}, ensure_ascii=False))
    else:
        where = f" (row {error.row})" if error.row else ""
        typer.echo(f"error{where}: {error.message}", err=True)
    raise typer.Exit(code)
