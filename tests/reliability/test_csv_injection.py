"""Issue 13, defect 3: CSV files narratives writes cannot run formulas in a spreadsheet.

Every text cell (ids, passage text, carried-through input columns and their names, stringified
list and dict cells) that starts with ``= + - @``, a tab or a carriage return gets a leading
apostrophe (the OWASP rule); plain numbers are left alone. JSONL and Parquet stay exact, and the
CSV files narratives reads back (its own tag output in ``summarize``, filled-in annotation sheets)
are read exactly. ``evaluate`` writes no CSV (JSON, Markdown, HTML).

Before the fix every cell was written verbatim.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from _reliability import write_jsonl

from narratives._internal.csvsafe import TRIGGERS, neutralise, restore
from narratives.cli._app import main

OK = "Kazakhstan is an artificial state that Lenin drew on a map."
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '+HYPERLINK("http://x","y")',
    "-2+3+cmd",
    "@SUM(1+1)",
    "\tx",
    "\rx",
]


def _rows():
    return [
        {
            "id": p,
            "text": f"{p} {OK}",
            "outlet": p,
            "=evil": "@SUM(A1)",
            "tags": [p, "ok"],
            "score": -3,
        }
        for p in PAYLOADS
    ]


def _dangerous(cell: str) -> bool:
    if not cell or cell[0] not in TRIGGERS:
        return False
    try:
        float(cell)  # a plain number cannot be a formula
    except ValueError:
        return True
    return False


def _cells(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row]


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_tag_csv_output_has_no_formula_cells(capsys, tmp_path, tiny_model_dir, unit):
    src = write_jsonl(tmp_path / "in.jsonl", _rows())
    out = tmp_path / "out.csv"
    code = main(["tag", str(src), "-o", str(out), "--model", str(tiny_model_dir), "--unit", unit])
    assert code == 0, capsys.readouterr().err
    cells = _cells(out)
    assert not [c for c in cells if _dangerous(c)]
    assert "'=cmd|' /C calc'!A0" in cells and "'=evil" in cells and "'\rx" in cells
    assert "-3" in cells  # numbers untouched
    # JSONL and Parquet stay exact
    for ext in ("jsonl", "parquet"):
        exact = tmp_path / f"out.{ext}"
        main(["tag", str(src), "-o", str(exact), "--model", str(tiny_model_dir), "--unit", unit])
        df = pd.read_parquet(exact) if ext == "parquet" else pd.read_json(exact, lines=True)
        assert list(dict.fromkeys(df["id"])) == PAYLOADS
        assert set(df["outlet"]) == set(PAYLOADS) and set(df["=evil"]) == {"@SUM(A1)"}
    capsys.readouterr()


def test_summarize_csv_has_no_formula_cells_and_reads_csv_output_exactly(
    capsys, tmp_path, tiny_model_dir
):
    src = write_jsonl(tmp_path / "in.jsonl", _rows())
    for ext in ("csv", "jsonl"):
        assert (
            main(
                ["tag", str(src), "-o", str(tmp_path / f"t.{ext}"), "--model", str(tiny_model_dir)]
            )
            == 0
        )
    tables = {}
    for ext in ("csv", "jsonl"):
        table = tmp_path / f"s-{ext}.csv"
        assert (
            main(["summarize", str(tmp_path / f"t.{ext}"), "--by", "outlet", "-o", str(table)]) == 0
        )
        assert not [c for c in _cells(table) if _dangerous(c)]
        tables[ext] = table.read_text(encoding="utf-8")
    # the CSV tag output was read back exactly: same groups, same table as from the JSONL output
    assert tables["csv"] == tables["jsonl"]
    assert "'=cmd|' /C calc'!A0" in tables["csv"]
    capsys.readouterr()


def test_annotation_sheet_has_no_formula_cells_and_reads_back_exactly(tmp_path):
    """``narratives sample -o S.csv`` (a sheet to fill in) and reading it back in ``validate``."""
    from narratives.io._annotation_tools import _read_csv, export_tasks

    sample = pd.DataFrame(
        {
            "sample_id": ["s1", "s2"],
            "text": ["=cmd|' /C calc'!A0 " + OK, "'-already quoted"],
            "outlet": ["@SUM(A1)", "plain"],
        }
    )
    sheet = tmp_path / "sheet.csv"
    export_tasks(
        sample, sheet, "csv", ["artificial_state"], predictions=False, extra_fields=["outlet"]
    )
    cells = _cells(sheet)
    assert not [c for c in cells if _dangerous(c)] and "'@SUM(A1)" in cells
    back = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    back.loc[0, "labels"] = "artificial_state"
    back.to_csv(sheet, index=False)  # the annotator filled in a label (values kept as read)
    rows, rejects = _read_csv(sheet, ["artificial_state"], "none")
    assert not rejects
    assert [r["text"] for r in rows] == sample["text"].tolist()
    assert [r.get("outlet") for r in rows] == ["@SUM(A1)", "plain"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        "=x",
        "'=x",
        "''=x",
        "'x",
        "-3",
        "-3.5e2",
        "+1",
        "-",
        "--x",
        "\t",
        "@",
        "a=b",
        7,
        None,
        1.5,
    ],
)
def test_neutralise_is_undone_by_restore(value):
    written = neutralise(value)
    assert not (isinstance(written, str) and _dangerous(written))
    assert restore(written) == value
    assert json.dumps(restore(written)) == json.dumps(value)
