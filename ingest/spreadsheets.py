"""Spreadsheet templates and the streaming reader behind batch upload (批量上传, XZ-12, SPEC 3.3).

A department fills in a template generated from the catalogue, so the columns a file has are the
columns the catalogue item declares: the common columns every record carries (subject, legal
document, dates) and one column per content field, headed by its Chinese label. Row 2 describes
each column (type, required, allowed values, date format) for the clerk filling it in; row 3 is
hidden and holds the machine keys (`subjectCode`, the field names) and the item code, so that
columns are mapped by key even after a clerk re-labels or reorders them. A CSV is accepted with
either the Chinese labels or the keys as its header.

Files are read row by row (openpyxl `read_only`, the csv module), never whole: a 100,000-row
file costs the memory of one row. Row numbers are the ones the clerk sees in Excel (header rows
counted). Cells go to the collection pipeline (`resolvers.collection`) as read: it judges dates,
numbers, allowed values and prohibited information the same way for every channel, and each of
its problems is reported against the row and the column it names. Only what the pipeline cannot
see is caught here: an ID number Excel turned into a float, a value in a column without header.
`ingest.spreadsheet_import` drives the pipeline chunk by chunk.
"""

from __future__ import annotations

import codecs
import csv
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from domain.catalogue import CatalogueItem, FieldSpec
from domain.enums import Category
from domain.problems import Problem

DATA_SHEET = "数据"
HELP_SHEET = "说明"
VALUES_SHEET = "可选值"
ITEM_PROPERTY = "credit-gateway-item"
ITEM_MARKER = "#item:"  # last cell of the machine row: survives "save as CSV" from Excel
HEADER_ROWS = 3  # labels, descriptions, machine keys
CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
TEMPLATE_ROWS = 100_000  # rows the cell validations cover in a template


class SpreadsheetError(ValueError):
    """The file as a whole cannot be imported (unreadable, wrong item, missing columns)."""


@dataclass(frozen=True)
class Column:
    """One column of an item's layout. `key` is unique in the layout and is what the machine row
    holds; `target` is where the value goes: a RecordSubmission attribute, or `content.NAME`."""

    key: str
    label: str
    spec: FieldSpec  # type, required, allowed values, length
    target: str
    description: str

    @functools.cached_property  # asked for every cell of an import
    def content_field(self) -> str | None:
        return self.target[len("content."):] if self.target.startswith("content.") else None


# key, label, type, required, what the clerk writes; target is the snake_case attribute.
_COMMON = (
    ("subjectCode", "主体代码", "string", True, "统一社会信用代码或公民身份号码（18位）"),
    ("subjectName", "主体名称", "string", True, "法人和其他组织名称或自然人姓名"),
    ("documentNumber", "文书号", "string", True, "决定文书的文号，如 威环市监罚〔2025〕12号"),
    ("issuingAuthority", "决定机关", "string", True, "作出决定的机关全称"),
    ("decidedOn", "决定日期", "date", True, "决定作出的日期"),
    ("actEndedOn", "行为终止日期", "date", False, "失信行为终止的日期（披露期限自此起算）"),
    ("validFrom", "有效期自", "date", False, "决定或信息的有效期起始日期"),
    ("validUntil", "有效期至", "date", False, "决定或信息的有效期截止日期"),
    ("consentRef", "书面同意编号", "string", False, "信息主体书面同意的编号（含需同意方可归集的字段时填写）"),
)
_TYPE_ZH = {"string": "文本", "text": "长文本", "date": "日期，格式 YYYY-MM-DD", "integer": "整数",
            "decimal": "数字（可含小数）", "boolean": "是/否", "enum": "从下拉列表选择"}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _describe(spec: FieldSpec, what: str = "") -> str:
    parts = [_TYPE_ZH[spec.type], "必填" if spec.required else "选填"]
    if spec.type == "enum":
        parts.append("可选值：" + "、".join(spec.values))
    elif spec.length_limit:
        parts.append(f"最多{spec.length_limit}字")
    if spec.requires_consent:
        parts.append("须同时填写书面同意编号")
    return "；".join(([what] if what else []) + parts)


def layout(item: CatalogueItem) -> tuple[Column, ...]:
    """The columns of `item`'s template, in order.

    A content field may share a key or a label with a common column (licences have their own
    有效期自 / 有效期至): the content column keeps the catalogue's label and gets the key
    `content.NAME`; the common column's label is prefixed 记录 (记录有效期自). Labels shared by two
    content fields get the field name appended, so every header is unambiguous.
    """
    needs_consent = any(f.requires_consent for f in item.fields)
    content_labels = {f.label for f in item.fields}
    content_names = {f.name for f in item.fields}
    columns: list[Column] = []
    for key, label, kind, required, what in _COMMON:
        if key == "actEndedOn" and item.category is not Category.BAD:
            continue
        if key == "consentRef" and not needs_consent:
            continue
        if label in content_labels:
            label = "记录" + label
        spec = FieldSpec(name=key, label=label, type=kind, required=required)
        columns.append(Column(key, label, spec, _snake(key), _describe(spec, what)))
    seen = {c.label for c in columns}
    common_keys = {c.key for c in columns}
    for spec in item.fields:
        key = f"content.{spec.name}" if spec.name in common_keys else spec.name
        label = spec.label if spec.label not in seen else f"{spec.label}（{spec.name}）"
        seen.add(label)
        columns.append(Column(key, label, spec, f"content.{spec.name}", _describe(spec)))
    assert len({c.key for c in columns}) == len(columns) and content_names
    return tuple(columns)


# ------------------------------------------------------------------------------------ template


def write_template(item: CatalogueItem, path: str | Path) -> Path:
    """Write `item`'s .xlsx template: headers, descriptions, hidden keys, cell validation."""
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = layout(item)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    values_sheet = None
    last = TEMPLATE_ROWS + HEADER_ROWS
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(1, index, column.label)
        head.font = Font(bold=True, color="C00000" if column.spec.required else "000000")
        head.fill = PatternFill("solid", fgColor="DDEBF7")
        note = sheet.cell(2, index, column.description)
        note.font, note.alignment = Font(italic=True, color="595959"), Alignment(wrap_text=True)
        sheet.cell(3, index, column.key)
        sheet.column_dimensions[letter].width = max(14, min(40, 2 * len(column.label) + 6))
        cells = f"{letter}{HEADER_ROWS + 1}:{letter}{last}"
        rule = _validation(column.spec, DataValidation)
        if column.spec.type == "enum" and len(",".join(column.spec.values)) > 250:
            # Excel limits an inline list to 255 characters: long lists live on a hidden sheet.
            values_sheet = values_sheet or workbook.create_sheet(VALUES_SHEET)
            for row, value in enumerate(column.spec.values, start=1):
                values_sheet.cell(row, index, value)
            rule = DataValidation(type="list", allow_blank=True, formula1=(
                f"'{VALUES_SHEET}'!${letter}$1:${letter}${len(column.spec.values)}"))
        if rule is not None:
            rule.error, rule.errorTitle = column.description, column.label
            rule.prompt, rule.promptTitle = column.description, column.label
            rule.showErrorMessage = rule.showInputMessage = True
            rule.add(cells)
            sheet.add_data_validation(rule)
        if column.spec.type in ("string", "text", "enum"):
            # Text format: Excel would otherwise turn an 18-digit ID number into 3.71002E+17.
            sheet.column_dimensions[letter].number_format = "@"
        elif column.spec.type == "date":
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    sheet.cell(3, len(columns) + 1, ITEM_MARKER + item.code)
    sheet.row_dimensions[2].height = 60
    sheet.row_dimensions[3].hidden = True
    sheet.freeze_panes = f"A{HEADER_ROWS + 1}"
    if values_sheet is not None:
        values_sheet.sheet_state = "hidden"
    _help_sheet(workbook.create_sheet(HELP_SHEET), item)
    workbook.custom_doc_props.append(StringProperty(name=ITEM_PROPERTY, value=item.code))
    path = Path(path)
    workbook.save(path)
    return path


def _validation(spec: FieldSpec, DataValidation):
    if spec.type == "enum":
        return DataValidation(type="list", allow_blank=True, formula1='"' + ",".join(spec.values) + '"')
    if spec.type == "boolean":
        return DataValidation(type="list", allow_blank=True, formula1='"是,否"')
    if spec.type == "date":  # serial 1 = 1900-01-01, 73051 = 2099-12-31
        return DataValidation(type="date", operator="between", allow_blank=True, formula1="1", formula2="73051")
    if spec.type == "decimal":
        return DataValidation(type="decimal", operator="between", allow_blank=True,
                              formula1="-1E+15", formula2="1E+15")
    if spec.type == "integer":
        return DataValidation(type="whole", operator="between", allow_blank=True,
                              formula1="-2147483648", formula2="2147483647")
    if spec.length_limit:
        return DataValidation(type="textLength", operator="lessThanOrEqual", allow_blank=True,
                              formula1=str(spec.length_limit))
    return None


def _help_sheet(sheet, item: CatalogueItem) -> None:
    lines = [
        ("目录项编码", item.code), ("目录项名称", item.name), ("依据", item.basis),
        ("类别", item.category.value), ("填写说明", "从第4行起每行填写一条记录；第1行为列名，第2行为填写说明，"
                                          "第3行（隐藏）供系统识别各列，请勿删除或修改。"),
        ("日期", "填写日期格式的单元格，或文本 YYYY-MM-DD，如 2025-06-01。"),
        ("禁止归集", "不得填写宗教信仰、基因、指纹、血型、疾病和病史等信息；收入、存款、有价证券、商业保险、"
                  "不动产和纳税数额须取得信息主体书面同意（填写书面同意编号）。"),
    ]
    for row, (key, value) in enumerate(lines, start=1):
        sheet.cell(row, 1, key)
        sheet.cell(row, 2, value)
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 14, 100


# ------------------------------------------------------------------------------------- reading


class SheetRow(NamedTuple):
    """One data row: its number as shown in the file, values by column key, and the cells that
    cannot be handed on as (column label, column key, problem)."""

    number: int
    values: dict[str, Any]
    problems: list[tuple[str, str, Problem]]


@dataclass
class _Mapping:
    """Which file column holds which layout column; unknown headers pass through as content."""

    columns: list[Column | None]
    unknown: dict[int, str] = field(default_factory=dict)  # file column index -> header text


def file_item_code(path: str | Path) -> str | None:
    """The catalogue item a file says it is for (template property or machine row), if any."""
    path = Path(path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        workbook = _open_xlsx(path)
        try:
            for prop in workbook.custom_doc_props:
                if prop.name == ITEM_PROPERTY and prop.value:
                    return str(prop.value)
            rows = _sheet(workbook).iter_rows(min_row=1, max_row=HEADER_ROWS, values_only=True)
            return _marker(list(rows))
        finally:
            workbook.close()
    with _open_csv(path) as handle:
        reader = csv.reader(handle)
        return _marker([row for _, row in zip(range(HEADER_ROWS), reader)])


def _marker(rows: list) -> str | None:
    for row in rows:
        for cell in row or ():
            if isinstance(cell, str) and cell.startswith(ITEM_MARKER):
                return cell[len(ITEM_MARKER):].strip()
    return None


def read_rows(path: str | Path, item: CatalogueItem) -> Iterator[SheetRow]:
    """Stream the data rows of an .xlsx or .csv file for `item`; blank rows are skipped.

    Raises SpreadsheetError when the file cannot be read, is a template of another item, or lacks
    a required column or repeats one.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        workbook = _open_xlsx(path)
        try:
            for prop in workbook.custom_doc_props:
                if prop.name == ITEM_PROPERTY and prop.value and prop.value != item.code:
                    raise SpreadsheetError(f"{path.name} is a template for catalogue item {prop.value}, "
                                           f"not {item.code}")
            yield from _rows(_sheet(workbook).iter_rows(values_only=True), item, path)
        finally:
            workbook.close()
    elif suffix in CSV_SUFFIXES:
        with _open_csv(path) as handle:
            yield from _rows(csv.reader(handle), item, path)
    else:
        raise SpreadsheetError(f"{path.name}: only .xlsx and .csv files can be imported")


def check_header(path: str | Path, item: CatalogueItem) -> None:
    """Read as far as the first data row: a file that cannot be read, or whose header lacks a
    required column, is refused (SpreadsheetError) before a background import is accepted."""
    rows = read_rows(path, item)
    try:
        next(rows, None)
    finally:
        rows.close()


def count_rows(path: str | Path) -> int | None:
    """A cheap estimate of the number of data rows, for the progress bar (None if unknown)."""
    path = Path(path)
    if path.suffix.lower() in CSV_SUFFIXES:
        lines = 0
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
        return max(0, lines - 1)
    try:
        workbook = _open_xlsx(path)
    except SpreadsheetError:
        return None
    try:
        rows = _sheet(workbook).max_row  # from the sheet's <dimension>, if the writer gave one
        return max(0, rows - HEADER_ROWS) if rows else None
    finally:
        workbook.close()


def _open_xlsx(path: Path):
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise SpreadsheetError(f"{path}: no such file") from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors
        raise SpreadsheetError(f"{path.name} is not a readable .xlsx workbook: {exc}") from None


def _sheet(workbook):
    return workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]


def _open_csv(path: Path):
    """Open a CSV as text: UTF-8 (with or without BOM), else GB18030, which Excel on Chinese
    Windows writes. The choice is made on the first megabyte, so the file is still streamed."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
    except OSError as exc:
        raise SpreadsheetError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    return path.open("r", encoding=encoding, errors="strict", newline="")


def _rows(rows: Iterator, item: CatalogueItem, path: Path) -> Iterator[SheetRow]:
    columns = layout(item)
    number = 0
    mapping: _Mapping | None = None
    header: list[str] = []
    skippable = 0
    try:
        for raw in rows:
            number += 1
            raw = list(raw or ())
            if mapping is None:
                header = [_text(c) for c in raw]
                if not any(header):
                    continue  # blank lines above the header
                mapping = _map(header, columns, path)
                skippable = HEADER_ROWS - 1
                continue
            if skippable:
                skippable -= 1
                keys = _keys_row(raw, columns)
                if keys is not None:  # the machine row: it decides the mapping
                    mapping = _map(keys + header[len(keys):], columns, path, by_key=True, labels=header)
                    continue
                if _is_description(raw, mapping, columns):
                    continue
                skippable = 0
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in raw):
                continue
            yield _convert(number, raw, mapping)
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(f"{path.name}: line {number + 1} is neither UTF-8 nor GB18030 text "
                               f"({exc.reason})") from None
    except csv.Error as exc:
        raise SpreadsheetError(f"{path.name}: line {number}: malformed CSV ({exc})") from None
    if mapping is None:
        raise SpreadsheetError(f"{path.name} has no header row")


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return re.sub(r"\s+", "", str(cell)).rstrip("*＊")


def _keys_row(raw: list, columns: tuple[Column, ...]) -> list[str] | None:
    keys = {c.key for c in columns}
    cells = [_text(c) for c in raw]
    named = [c for c in cells if c and not c.startswith(ITEM_MARKER)]
    if named and "subjectCode" in named and all(c in keys or not c for c in named):
        return [c if not c.startswith(ITEM_MARKER) else "" for c in cells]
    return None


def _is_description(raw: list, mapping: _Mapping, columns: tuple[Column, ...]) -> bool:
    for index, column in enumerate(mapping.columns):
        if column is not None and column.key == "subjectCode":
            return index < len(raw) and _text(raw[index]) == _text(column.description)
    return False


def _map(header: list[str], columns: tuple[Column, ...], path: Path, *, by_key: bool = False,
         labels: list[str] | None = None) -> _Mapping:
    by_name: dict[str, Column] = {}
    for column in columns:
        by_name[column.key] = column
        if not by_key:
            by_name.setdefault(column.label, column)
            if column.content_field:  # a CSV may say `validFrom` for a licence's own 有效期自
                by_name.setdefault(column.content_field, column)
    mapping = _Mapping(columns=[])
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        column = by_name.get(name)
        mapping.columns.append(column)
        if column is None:
            shown = (labels or header)[index] if index < len(labels or header) else name
            if shown and not shown.startswith(ITEM_MARKER):
                mapping.unknown[index] = shown
            continue
        if column.key in found:
            raise SpreadsheetError(f"{path.name}: column {column.label} ({column.key}) appears twice "
                                   f"(columns {found[column.key] + 1} and {index + 1})")
        found[column.key] = index
    missing = [f"{c.label} ({c.key})" for c in columns if c.spec.required and c.key not in found]
    if missing:
        raise SpreadsheetError(f"{path.name}: required column(s) missing from the header: "
                               f"{', '.join(missing)}; start from `credit-gateway template`")
    return mapping


def _convert(number: int, raw: list, mapping: _Mapping) -> SheetRow:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str, Problem]] = []
    for index, cell in enumerate(raw):
        column = mapping.columns[index] if index < len(mapping.columns) else None
        if isinstance(cell, str):
            cell = cell.strip() or None
        if cell is None:
            continue
        if column is not None:
            value, problem = _cell(cell, column)
            if problem:
                problems.append((column.label, column.key, Problem(column.key, f"{column.label}: {problem}")))
            else:
                values[column.key] = value
        elif index in mapping.unknown:
            values[mapping.unknown[index]] = cell  # a column the template lacks: the pipeline refuses it
        else:
            problems.append((f"第{index + 1}列", "", Problem(None, f"column {index + 1} has a value but no header")))
    return SheetRow(number, values, problems)


def _cell(cell: Any, column: Column) -> tuple[Any, str | None]:
    """The value handed to the pipeline: as read, which checks types, dates and lengths itself and
    names the field. Only what the pipeline cannot see is caught here: an ID number that Excel
    turned into a float has already lost its last digits."""
    if column.key == "subjectCode" and isinstance(cell, float):
        return None, ("Excel stored the code as a number and lost its last digits; "
                      "format the column as text and type the code again")
    return cell, None
