"""Export lists to CSV and XLSX, and the import templates.

An export uses the import's own zh-Hant headers first, so it can be edited in Excel and
imported back; the columns after them (標籤, 短碼, 啟用...) are for reading and are ignored
on import.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from webapp import exports, vocab
from webapp.models import Key, Sign, Unit
from webapp.registry.import_file import COLUMNS

XLSX_MIME, CSV_MIME = exports.XLSX_MIME, exports.CSV_MIME

EXTRA = {
    "units": ["標籤", "短碼", "啟用"],
    "signs": ["標籤", "短碼", "啟用"],
    "keys": ["標籤", "鑰匙狀態", "持有人", "短碼", "啟用"],
    "permits": ["房屋", "狀態", "結束日期", "結束原因", "押金餘額"],
}
SHEET_TITLES = {"units": "房屋", "signs": "標識", "keys": "鑰匙", "permits": "裝修許可"}
CHOICES = {
    ("units", "status"): "unit_status",
    ("signs", "category"): "sign_category",
    ("keys", "key_class"): "key_class",
    ("keys", "kind"): "owner_key_kind",
}


def headers(kind: str) -> list[str]:
    """The export's header row: the import columns, then the read-only ones."""
    return [c.header for c in COLUMNS[kind]] + EXTRA[kind]


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def unit_row(unit: Unit, short: str) -> list:
    return [
        unit.building.name,
        unit.entrance,
        unit.floor,
        unit.room,
        vocab.zh("unit_status", unit.status),
        unit.label,
        short,
        _yes(unit.active),
    ]


def sign_row(sign: Sign, short: str) -> list:
    return [
        vocab.zh("sign_category", sign.category),
        sign.location,
        sign.building.name if sign.building else "",
        sign.floor if sign.floor is not None else "",
        sign.description or "",
        sign.label,
        short,
        _yes(sign.active),
    ]


def key_row(key: Key, short: str) -> list:
    unit = key.unit
    building = unit.building.name if unit else (key.building.name if key.building else "")
    floor = unit.floor if unit else key.floor
    return [
        vocab.zh("key_class", key.key_class),
        building,
        unit.entrance if unit else "",
        unit.room if unit else "",
        floor if floor is not None else "",
        vocab.zh("owner_key_kind", key.kind) if key.kind else "",
        key.equipment_room or "",
        key.name or "",
        key.copies,
        key.label,
        vocab.zh("key_status", key.status),
        key.holder_name or "",
        short,
        _yes(key.active),
    ]


ROW_MAKERS = {"units": unit_row, "signs": sign_row, "keys": key_row}


def to_csv(kind: str, rows: list[list]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese correctly (the one CSV writer)."""
    return exports.to_csv(headers(kind), rows)


_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="0E4A5A")
_EXTRA_FILL = PatternFill("solid", fgColor="6A7A82")


def _style_header(sheet, kind: str, widths: list[int]) -> None:
    n_import = len(COLUMNS[kind])
    for index, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL if index <= n_import else _EXTRA_FILL
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _widths(kind: str, rows: list[list]) -> list[int]:
    names = headers(kind)
    widths = [len(h) * 2 + 4 for h in names]
    for row in rows[:500]:
        for i, value in enumerate(row):
            text = str(value)
            wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
            widths[i] = min(max(widths[i], wide + 2), 48)
    return widths


def to_xlsx(kind: str, rows: list[list]) -> bytes:
    """A workbook with a styled, frozen header row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLES[kind]
    sheet.append([exports.cell(h) for h in headers(kind)])
    for row in rows:
        # Styled here (the import format), but every cell made inert as exports' writers do.
        sheet.append([exports.cell(v) for v in row])
    _style_header(sheet, kind, _widths(kind, rows))
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_xlsx(kind: str) -> bytes:
    """An empty import template: zh-Hant headers, drop-down lists, and an instructions sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLES[kind]
    columns = COLUMNS[kind]
    sheet.append([c.header for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.header) * 3)
        vocabulary = CHOICES.get((kind, column.key))
        if vocabulary:
            names = ",".join(zh for zh, _en in vocab.VOCABULARIES[vocabulary].values())
            rule = DataValidation(type="list", formula1=f'"{names}"', allow_blank=True)
            rule.error = "請從清單中選擇"
            sheet.add_data_validation(rule)
            letter = get_column_letter(index)
            rule.add(f"{letter}2:{letter}5001")
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("說明")
    notes.append(["欄位", "必填", "說明"])
    for cell in notes[1]:
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
    for column in columns:
        notes.append([column.header, "是" if column.required else "", column.note])
    notes.append([])
    notes.append(["", "", "第一列為標題列，請勿修改；資料由第二列開始。"])
    notes.append(["", "", "重複匯入同一檔案不會產生重複資料：已存在的項目只會更新有變動的欄位。"])
    notes.append(["", "", "整份檔案無誤才會寫入；有任何錯誤時，系統會列出列號、欄位與原因。"])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 70
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv(kind: str) -> bytes:
    """An empty CSV template: the header row only, UTF-8 with a BOM."""
    out = io.StringIO(newline="")
    csv.writer(out).writerow([c.header for c in COLUMNS[kind]])
    return out.getvalue().encode("utf-8-sig")
