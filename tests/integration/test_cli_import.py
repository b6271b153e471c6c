"""``kizuna import``: exit codes 0/1/2, the text summary, ``--json`` and ``--errors FILE``."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from kizuna.cli import app
from kizuna.settings import get_settings

HEADER = "customer_id,family_name,email,gender\n"
GOOD = HEADER + "C1,山田,taro@example.jp,男\nC2,佐藤,hanako@example.jp,女\n"
MIXED = HEADER + "C1,山田,taro@example.jp,男\nC2,佐藤,bad-mail,女\nC3,鈴木,ichiro@example.jp,X\n"


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``KIZUNA_DATABASE_URL`` set to a fresh SQLite file for the command."""
    monkeypatch.setenv("KIZUNA_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


def kizuna(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


class TestExitCodes:
    def test_clean_file_exits_0_with_a_summary(self, database: str, tmp_path: Path) -> None:
        path = write(tmp_path, "customers.csv", GOOD, "cp932")
        result = kizuna("import", "customers", path)
        assert result.exit_code == 0, result.output
        assert result.stdout == (
            f"{path} (kizuna, cp932): 2 rows, 0 rejected\n"
            "  customers: 2 inserted, 0 updated, 0 unchanged\n"
        )

    def test_rejected_rows_exit_1_and_are_listed(self, database: str, tmp_path: Path) -> None:
        path = write(tmp_path, "customers.csv", MIXED)
        result = kizuna("import", "customers", path)
        assert result.exit_code == 1
        assert result.stdout == (
            f"{path} (kizuna, utf-8): 3 rows, 2 rejected\n"
            "  customers: 1 inserted, 0 updated, 0 unchanged\n"
            "  row 3, email: 'bad-mail' is not an email address\n"
            "  row 4, gender: 'X' is not a gender (female, male, other or unknown)\n"
        )

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(
                ("customers", "wrong.csv"),
                "error (row 1): required column(s) customer_id missing; the header has: id, name",
                id="wrong_columns",
            ),
            pytest.param(
                ("customers", "missing.csv"),
                "error: {tmp}/missing.csv does not exist or is not a file",
                id="missing_file",
            ),
            pytest.param(
                ("people", "wrong.csv"),
                "error: unknown import kind 'people'; use customers, products, orders, events",
                id="unknown_kind",
            ),
            pytest.param(
                ("orders", "wrong.csv", "--preset", "shopify"),
                "error: unknown preset "
                "'shopify'; available: cdnow, cdnow-sample, kizuna, online-retail",
                id="unknown_preset",
            ),
        ],
    )
    def test_unusable_input_exits_2_with_the_reason_on_stderr(
        self, database: str, tmp_path: Path, args: tuple[str, ...], message: str
    ) -> None:
        write(tmp_path, "wrong.csv", "id,name\nC1,山田\n")
        kind, name, *rest = args
        result = kizuna("import", kind, tmp_path / name, *rest)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == message.format(tmp=tmp_path) + "\n"


class TestJson:
    def test_report_shape(self, database: str, tmp_path: Path) -> None:
        path = write(tmp_path, "customers.csv", MIXED)
        result = kizuna("import", "customers", path, "--json")
        assert result.exit_code == 1
        assert json.loads(result.stdout) == {
            "kind": "customers",
            "file": str(path),
            "preset": "kizuna",
            "encoding": "utf-8",
            "rows": 3,
            "rejected": 2,
            "records": {"customers": {"inserted": 1, "updated": 0, "unchanged": 0}},
            "errors": [
                {"row": 3, "field": "email", "reason": "'bad-mail' is not an email address"},
                {
                    "row": 4,
                    "field": "gender",
                    "reason": "'X' is not a gender (female, male, other or unknown)",
                },
            ],
            "exit_code": 1,
        }

    def test_orders_report_orders_and_returns(self, database: str, tmp_path: Path) -> None:
        text = (
            "order_number,record,customer_id,placed_at,sku,quantity,unit_price\n"
            "A-1,,C1,2024-01-05 10:00,BEAN-1,2,1800\nR-1,return,C1,2024-01-09,BEAN-1,-1,1800\n"
        )
        result = kizuna("import", "orders", write(tmp_path, "orders.csv", text), "--json")
        assert result.exit_code == 0
        assert json.loads(result.stdout)["records"] == {
            "orders": {"inserted": 1, "updated": 0, "unchanged": 0},
            "returns": {"inserted": 1, "updated": 0, "unchanged": 0},
        }

    def test_reimport_reports_everything_unchanged(self, database: str, tmp_path: Path) -> None:
        path = write(tmp_path, "customers.csv", GOOD)
        kizuna("import", "customers", path, "--json")
        result = kizuna("import", "customers", path, "--json")
        assert result.exit_code == 0
        assert json.loads(result.stdout)["records"] == {
            "customers": {"inserted": 0, "updated": 0, "unchanged": 2}
        }

    def test_unusable_input_is_a_json_error(self, database: str, tmp_path: Path) -> None:
        path = write(tmp_path, "wrong.csv", "id,name\nC1,山田\n")
        result = kizuna("import", "customers", path, "--json")
        assert result.exit_code == 2
        assert json.loads(result.stdout) == {
            "error": {
                "code": "unusable_input",
                "message": "required column(s) customer_id missing; the header has: id, name",
                "field": "customer_id",
                "row": 1,
            }
        }


class TestErrorsFile:
    def test_every_rejected_row_is_written(self, database: str, tmp_path: Path) -> None:
        # given 25 bad rows, more than the summary lists
        rows = "".join(f"C{i},山田,bad{i},男\n" for i in range(25))
        path = write(tmp_path, "customers.csv", HEADER + rows)
        errors = tmp_path / "rejected.csv"
        # when imported with --errors
        result = kizuna("import", "customers", path, "--errors", errors)
        # then the summary lists 20 and points at the file, which has all 25
        assert result.exit_code == 1
        assert result.stdout.splitlines()[-1] == f"  … 5 more rejected rows; all in {errors}"
        with errors.open(encoding="utf-8", newline="") as handle:
            written = list(csv.DictReader(handle))
        assert len(written) == 25
        assert written[0] == {
            "row": "2",
            "field": "email",
            "reason": "'bad0' is not an email address",
        }
        assert written[-1]["row"] == "26"

    def test_a_clean_import_writes_only_the_header(self, database: str, tmp_path: Path) -> None:
        errors = tmp_path / "rejected.csv"
        result = kizuna("import", "customers", write(tmp_path, "c.csv", GOOD), "--errors", errors)
        assert result.exit_code == 0
        assert errors.read_bytes() == b"row,field,reason\r\n"

    def test_without_errors_file_the_summary_suggests_one(
        self, database: str, tmp_path: Path
    ) -> None:
        rows = "".join(f"C{i},山田,bad{i},男\n" for i in range(21))
        result = kizuna("import", "customers", write(tmp_path, "c.csv", HEADER + rows))
        assert result.stdout.splitlines()[-1] == (
            "  … 1 more rejected rows (use --errors FILE for all)"
        )


def test_the_installed_command_uses_kizuna_database_url(sqlite_url: str, tmp_path: Path) -> None:
    # given a file with one bad row, and the database named only in the environment
    path = write(tmp_path, "customers.csv", MIXED, "cp932")
    env = {**os.environ, "KIZUNA_DATABASE_URL": sqlite_url}
    workdir = tmp_path / "work"
    workdir.mkdir()
    # when run as a real process, twice
    runs = [
        subprocess.run(
            [sys.executable, "-m", "kizuna", "import", "customers", str(path), "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=workdir,
            check=False,
        )
        for _ in range(2)
    ]
    # then both exit 1, and the second finds the first one's rows in that database
    assert [run.returncode for run in runs] == [1, 1]
    reports = [json.loads(run.stdout) for run in runs]
    assert reports[0]["encoding"] == "cp932"
    assert [r["records"]["customers"] for r in reports] == [
        {"inserted": 1, "updated": 0, "unchanged": 0},
        {"inserted": 0, "updated": 0, "unchanged": 1},
    ]
    assert list(workdir.iterdir()) == []  # no default kizuna.db in the working directory
