"""Reading an import file: the columns each kind takes, and an uploaded CSV or XLSX read into
rows keyed by column, or refused as a whole with a message saying what is wrong.

``webapp.registry.importer`` checks the rows against the registry and applies them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from webapp import exports
from webapp.registry import naming
from webapp.values import unstorable_text

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 40


@dataclass(frozen=True)
class Column:
    """One column of an import file: its template header, other accepted headers, whether it
    must be there, and a note for the instructions sheet."""

    key: str
    header: str
    aliases: tuple[str, ...]
    required: bool
    note: str


COLUMNS: dict[str, list[Column]] = {
    "units": [
        Column("building", "棟", ("building", "樓棟"), True, "例如 3 或 3棟；不存在的棟會新增"),
        Column("entrance", "單元", ("entrance",), True, "例如 2 或 2單元"),
        Column("floor", "樓層", ("floor",), True, "整數，例如 15；地下一層寫 -1 或 B1"),
        Column("room", "房號", ("room", "房"), True, "例如 1502 或 1502室"),
        Column("status", "狀態", ("status",), False, "已入住、空置、裝修中；留空：新房屋為已入住"),
    ],
    "signs": [
        Column("category", "類別", ("category",), True, "樓棟號、樓層、門牌號、進出入口、電梯…"),
        Column("location", "位置", ("location",), True, "標識所在位置，例如 3棟正門外牆"),
        Column("building", "棟", ("building",), False, "選填；須為已登記的棟"),
        Column("floor", "樓層", ("floor",), False, "選填；整數"),
        Column("description", "說明", ("description", "notes", "備註"), False, "選填"),
    ],
    "keys": [
        Column(
            "key_class",
            "類別",
            ("class", "key class"),
            True,
            "業主鑰匙、公共區域門窗鑰匙、設施設備房鑰匙",
        ),
        Column("building", "棟", ("building",), False, "業主鑰匙、公共區域鑰匙必填"),
        Column("entrance", "單元", ("entrance",), False, "業主鑰匙必填"),
        Column("room", "房號", ("room",), False, "業主鑰匙必填"),
        Column("floor", "樓層", ("floor",), False, "公共區域鑰匙必填"),
        Column(
            "kind",
            "種類",
            ("kind",),
            False,
            "業主鑰匙必填：防盜鐵門、單元門、室內門、電子對講門、信報箱",
        ),
        Column(
            "equipment_room",
            "設備房",
            ("equipment room",),
            False,
            "設施設備房鑰匙必填，例如 配電房",
        ),
        Column("name", "名稱", ("name",), False, "選填，例如 天台門"),
        Column("copies", "份數", ("copies",), False, "選填，1 至 99，預設 1"),
    ],
    # Renovation permits (issue 20): matched on 許可證號 within the estate; the deposit's
    # received and refunded totals only ever grow (webapp/renovation/transfer.py).
    "permits": [
        Column("building", "棟", ("building",), True, "房屋所在的棟，例如 3棟"),
        Column("entrance", "單元", ("entrance",), True, "例如 2單元"),
        Column("room", "房號", ("room",), True, "例如 1502室"),
        Column("number", "許可證號", ("permit", "permit number"), True, "同一小區內不重複"),
        Column("owner_name", "業主", ("owner",), False, "選填"),
        Column("owner_phone", "業主電話", ("owner phone",), False, "選填"),
        Column("contractor", "施工單位", ("contractor",), False, "選填"),
        Column("contractor_phone", "施工單位電話", ("contractor phone",), False, "選填"),
        Column("starts_on", "開工日期", ("start", "starts"), True, "例如 2026-03-01"),
        Column("ends_on", "完工日期", ("end", "ends"), True, "核准的完工日期，不早於開工日期"),
        Column("hours", "施工時間", ("hours",), False, "例如 08:00-12:00, 14:00-18:00"),
        Column("scope", "核准範圍", ("scope",), False, "核准的裝修項目"),
        Column("deposit", "押金", ("deposit",), False, "整數金額"),
        Column("received", "已收押金", ("received",), False, "累計已收金額；只可增加"),
        Column("refunded", "已退押金", ("refunded",), False, "累計已退金額；只可增加"),
        Column("note", "備註", ("note", "notes"), False, "選填"),
    ],
}


class ImportRejected(Exception):
    """The file as a whole cannot be read (wrong type, empty, wrong headers, too large)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Sheet:
    """The rows of an upload, keyed by column, with their spreadsheet row numbers."""

    headers: dict[str, str]  # column key -> the header as written in the file
    rows: list[tuple[int, dict[str, str]]]
    ignored: list[str] = field(default_factory=list)


def file_type(filename: str) -> str | None:
    """'xlsx' or 'csv' from the file name, else None."""
    lowered = (filename or "").lower().strip()
    if lowered.endswith(".xlsx"):
        return "xlsx"
    if lowered.endswith(".csv"):
        return "csv"
    return None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = naming.clean(value)
    if unstorable_text(text):  # the edge guards forms; a file's cells are checked here
        raise ImportRejected(
            _l("A cell holds a NUL character, which no text may hold. Save the file again.")
        )
    # Exports guard cells against formula injection with a leading apostrophe.
    return exports.restore(text)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    if not data.startswith(b"PK"):
        raise ImportRejected(_l("This file is not an Excel workbook (.xlsx)."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected(_l("This Excel file could not be read. Is it damaged?")) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet_rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        return _capped([_cell(v) for v in values] for values in sheet_rows)
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise ImportRejected(_l("This Excel file could not be read. Is it damaged?")) from exc
    finally:
        workbook.close()


def _capped(rows) -> list[list[str]]:
    """The rows read so far, refused once they pass MAX_ROWS (and a heading row)."""
    kept = []
    for row in rows:
        kept.append(row)
        if len(kept) > MAX_ROWS + 1:
            raise ImportRejected(
                _l("The file has more than %(n)d rows. Split it into smaller files.", n=MAX_ROWS)
            )
    return kept


def _csv_rows(data: bytes) -> list[list[str]]:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise ImportRejected(_l("This file is not a CSV text file."))
    for encoding in ("utf-8-sig", "cp950"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected(_l("The CSV file must be saved as UTF-8 (or Big5)."))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        return _capped([_cell(v) for v in values[:MAX_COLUMNS]] for values in reader)
    except csv.Error as exc:
        raise ImportRejected(_l("This CSV file is malformed (%(why)s).", why=str(exc))) from exc


def _header_key(text: str) -> str:
    return re.sub(r"[*＊\s]|（.*）|\(.*\)", "", text).lower()


def read_upload(kind: str, filename: str, data: bytes) -> Sheet:
    """Read an uploaded file into a Sheet, or raise ImportRejected saying what is wrong."""
    ftype = file_type(filename)
    if ftype is None:
        raise ImportRejected(_l("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    if not data:
        raise ImportRejected(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportRejected(
            _l(
                "The file is larger than %(mb)d MB. Split it into smaller files.",
                mb=MAX_BYTES >> 20,
            )
        )
    rows = _xlsx_rows(data) if ftype == "xlsx" else _csv_rows(data)
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise ImportRejected(_l("The file is empty."))

    known = {}
    for column in COLUMNS[kind]:
        for name in (column.header, *column.aliases):
            known[_header_key(name)] = column
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(rows[0]):
        if not header:
            continue
        column = known.get(_header_key(header))
        if column is None:
            ignored.append(header)
            continue
        if column.key in headers:
            raise ImportRejected(
                _l("The column %(name)s appears twice in the header row.", name=header)
            )
        headers[column.key] = header
        positions[column.key] = index
    missing = [c.header for c in COLUMNS[kind] if c.required and c.key not in headers]
    if missing:
        raise ImportRejected(
            _l(
                "The header row must name the columns %(missing)s. Download the template to see "
                "the expected headers.",
                missing="、".join(missing),
            )
        )
    body = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(values):
            continue
        body.append(
            (
                number,
                {key: (values[i] if i < len(values) else "") for key, i in positions.items()},
            )
        )
    if not body:
        raise ImportRejected(_l("The file has a header row but no rows to import."))
    return Sheet(headers=headers, rows=body, ignored=ignored)
