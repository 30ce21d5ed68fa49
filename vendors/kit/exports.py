"""Tables as CSV or XLSX downloads (openpyxl), with spreadsheet formula injection defused."""

import csv
import io

from django.http import Http404, HttpResponse
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_cell(value):
    """A cell as written: text starting with = + - @ is quoted, as spreadsheets run it as a
    formula (reasons and names quote people's text); numbers and dates stay typed."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return f"'{value}"
    return value


def table_export(rows: list[list], *, name: str, fmt: str, sheet: str) -> HttpResponse:
    """Rows (the first the header) as an attachment `name.fmt`, one sheet in XLSX."""
    if fmt not in FORMATS:
        raise Http404("Export as .csv or .xlsx.")
    rows = [[spreadsheet_cell(c) for c in row] for row in rows]
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        csv.writer(response).writerows(rows)
    else:
        workbook = Workbook(write_only=True)
        page = workbook.create_sheet(sheet)
        for row in rows:
            page.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
