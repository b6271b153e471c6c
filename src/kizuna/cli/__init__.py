"""The ``kizuna`` command. Each command parses its input, calls one domain function, prints the
result (``--json`` for machines). Exit codes: 0 ok, 1 done with rejected rows, 2 unusable input.

Commands live by group in ``record``, ``run``, ``accounts`` and ``predict``; importing them
registers them on ``app``."""

from __future__ import annotations

import sys

import typer

from kizuna.cli import (  # noqa: F401  (registers the commands)
    accounts,
    analytics,
    automation,
    feedback,
    loyalty,
    predict,
    record,
    run,
)
from kizuna.cli.common import app
from kizuna.kit.errors import KizunaError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``kizuna`` script."""
    try:
        app()
    except KizunaError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(2)
