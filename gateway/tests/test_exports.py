"""Exports officials open (doudi_gateway.exports): CSV with BOM, Chinese
headers and labels (the code in its own column), formulas neutralised; XLSX
with a title row, a generated-by line, a frozen header and numeric money."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from doudi_gateway.exports import Column, Table, neutralise, to_csv, to_xlsx

COLUMNS = (Column("name", "姓名"), Column("care_mode", "照护方式", "code", "care_modes"),
           Column("amount", "金额（元）", "money"), Column("days", "天数", "int"))
HOSTILE = '=HYPERLINK("http://evil.example","点我")'


def table(rows):
    return Table("公示名单", "330106001", "2026-03", COLUMNS, rows, generated_by="li",
                 filename="notice")


ROWS = [{"name": HOSTILE, "care_mode": "centralized", "amount": "1234.50", "days": 31},
        {"name": "@SUM(A1)", "care_mode": "neighbor", "amount": "-20.00", "days": 3},
        {"name": "王芳", "care_mode": None, "amount": None, "days": None}]


def test_csv_has_a_bom_chinese_headers_labels_and_codes():
    raw = to_csv(table(ROWS))
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "照护方式", "照护方式代码", "金额（元）", "天数"]
    assert rows[1][1:] == ["集中供养", "centralized", "1234.50", "31"]
    assert rows[2][1:3] == ["居家邻里照护", "neighbor"] and rows[2][3] == "-20.00"
    assert rows[3] == ["王芳", "", "", "", ""]


def test_csv_neutralises_formulas_in_text_cells():
    rows = list(csv.reader(io.StringIO(to_csv(table(ROWS)).decode("utf-8-sig"))))
    assert rows[1][0] == "'" + HOSTILE and rows[2][0] == "'@SUM(A1)"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(start + "x").startswith("'")
    assert neutralise("张三") == "张三"


def test_a_money_cell_that_is_not_a_number_is_text_and_neutralised():
    rows = list(csv.reader(io.StringIO(to_csv(table([{"amount": "=1+1"}])).decode("utf-8-sig"))))
    assert rows[1][3] == "'=1+1"


def test_xlsx_title_frozen_header_numbers_and_no_formulas():
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(to_xlsx(table(ROWS))))
    sheet = book.active
    assert sheet["A1"].value == "公示名单（330106001，2026-03）"
    assert sheet["A2"].value.startswith("生成时间：") and "生成人：li" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["姓名", "照护方式", "照护方式代码", "金额（元）", "天数"]
    assert sheet.freeze_panes == "A4"
    assert sheet["A4"].value == "'" + HOSTILE and sheet["A4"].data_type == "s"
    assert sheet["D4"].value == Decimal("1234.50") or sheet["D4"].value == 1234.5
    assert sheet["D4"].number_format == "#,##0.00" and sheet["E4"].value == 31
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
