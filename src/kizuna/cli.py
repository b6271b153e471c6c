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

app = typer.Typer(help="kizuna (絆): CRM, loyalty and marketing automation for online shops.",
                  no_args_is_help=True, add_completion=False)  # fmt: skip
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

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
    preset: Annotated[str | None, typer.Option(help="Column preset: kizuna, cdnow, "
                                               "cdnow-sample, online-retail")] = None,
    errors: Annotated[Path | None, typer.Option(help="Write every rejected row to this CSV")] = None,
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
    lines = [f"{data['file']} ({data['preset']}, {data['encoding']}): {data['rows']:,} rows, "
             f"{data['rejected']:,} rejected"]  # fmt: skip
    for name, c in data["records"].items():
        lines.append(f"  {name}: {c['inserted']:,} inserted, {c['updated']:,} updated, "
                     f"{c['unchanged']:,} unchanged")  # fmt: skip
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


def main() -> None:
    """Entry point of the ``kizuna`` script."""
    try:
        app()
    except KizunaError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(2)
