"""Commands over the record: schema, import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kizuna.cli.common import JsonFlag, app, db_app, emit, fail, open_sessions
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError
from kizuna.settings import get_settings


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the record's tables to the latest schema."""
    open_sessions()
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
        with session_scope(open_sessions()) as session, terminal_progress(not as_json) as progress:
            report = import_file(session, kind, file, preset, progress)
    except KizunaError as error:
        fail(error, as_json)
        return
    if errors is not None:
        _write_errors(errors, report.to_dict()["errors"])
    emit(report.to_dict(), as_json, _import_summary(report.to_dict(), errors))
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
