"""Every export writes CSV through one writer, which turns would-be formulas into plain text."""

import ast
import csv
import io
from pathlib import Path

import pytest
from django.conf import settings

from prm.csvfile import csv_text, safe_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),
        ("Northwind Systems", "Northwind Systems"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_is_written_as_text(value, written):
    assert safe_cell(value) == written


def test_numbers_stay_numbers():
    assert list(csv.reader(io.StringIO(csv_text(["a", "b"], [[-5, None]])))) == [["a", "b"], ["-5", ""]]


def _calls_csv_writer(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"writer", "DictWriter"}
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "csv"
        for node in ast.walk(tree)
    )


def test_no_export_writes_csv_but_through_the_safe_writer():
    packages = ["prm", *settings.PRM_APPS]  # a new app is covered without anyone listing it
    writers = sorted(
        str(path.relative_to(ROOT))
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and _calls_csv_writer(path)
    )
    assert writers == ["prm/csvfile.py"], "write CSV with prm.csvfile.SafeWriter or csv_text"
