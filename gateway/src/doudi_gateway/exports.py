"""Reports officials can open: one table, rendered as CSV or XLSX.

Every export the API serves goes through here, so every one of them is the
same: UTF-8 with a BOM (Excel on Chinese Windows reads it right), Chinese
headers, Chinese labels instead of codes (the code keeps a column of its own
where a machine reads it), ID numbers already masked by the service, and any
text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``, tab, CR) neutralised with a leading apostrophe (OWASP CSV injection).
The XLSX has a title row (what, jurisdiction, period), a line saying when and
by whom it was generated, a frozen header row and real numbers for money.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from doudi_common.dates import SHANGHAI
from doudi_contracts.vocabularies import VOCABULARIES
from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """``kind``: ``text``, ``money`` (yuan string, 2 places), ``int``,
    ``number`` (an int, or a Decimal where it has a point), or ``code``
    (labelled from ``vocabulary``; the code gets its own column)."""

    key: str
    header: str
    kind: str = "text"
    vocabulary: str | None = None


@dataclass
class Table:
    title: str
    scope: str
    period: str
    columns: Sequence[Column]
    rows: Iterable[dict[str, Any]]
    generated_by: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(SHANGHAI))
    filename: str = "export"


def neutralise(text: str) -> str:
    """A text cell no spreadsheet will evaluate."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _label(column: Column, code: Any) -> str:
    if code is None or code == "":
        return ""
    vocabulary = VOCABULARIES.get(column.vocabulary or "")
    if vocabulary is None or str(code) not in vocabulary.codes:
        return str(code)
    return vocabulary.label(str(code))


def headers(table: Table) -> list[str]:
    out = []
    for column in table.columns:
        out.append(column.header)
        if column.kind == "code":
            out.append(column.header + "代码")
    return out


def cells(table: Table, row: dict[str, Any]) -> list[Any]:
    """One row's cells: labels and codes for code columns, Decimal for money,
    int for counts, neutralised text otherwise."""
    out: list[Any] = []
    for column in table.columns:
        value = row.get(column.key)
        if column.kind == "code":
            out += [neutralise(_label(column, value)), "" if value is None else str(value)]
        elif column.kind in ("money", "int", "number") and value not in (None, ""):
            text = str(value)
            if NUMBER.match(text):
                try:
                    decimal = column.kind == "money" or (column.kind == "number" and "." in text)
                    out.append(Decimal(text) if decimal else int(text))
                    continue
                except (InvalidOperation, ValueError):
                    pass
            out.append(neutralise(text))
        else:
            out.append(neutralise("" if value is None else str(value)))
    return out


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(table))
    for row in table.rows:
        writer.writerow([f"{c:.2f}" if isinstance(c, Decimal) else c for c in cells(table, row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31]
    sheet.append([f"{table.title}（{table.scope}，{table.period}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    stamp = table.generated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    sheet.append([f"生成时间：{stamp}　生成人：{table.generated_by}"])
    sheet.append(headers(table))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values = cells(table, row)
        sheet.append(values)
        for cell, value in zip(sheet[sheet.max_row], values, strict=True):
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_stem(table: Table) -> str:
    """The table's file name without extension, safe in a header."""
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9._-]", "_", table.filename))


def response(table: Table, fmt: str) -> Response:
    """The table as an attachment in ``fmt`` (``csv`` or ``xlsx``)."""
    if fmt == "xlsx":
        body, content_type, ext = to_xlsx(table), XLSX_TYPE, "xlsx"
    else:
        body, content_type, ext = to_csv(table), CSV_TYPE, "csv"
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{file_stem(table)}.{ext}"'})
