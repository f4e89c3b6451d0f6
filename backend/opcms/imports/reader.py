"""Reading a customer list as finance keeps it: the first worksheet, its header row found
even under a title row, columns in any order and matched by header.

Headers match after trimming, full-width folding and ignoring case and spaces (``账期（天）``
is ``账期(天)``, `` 客户 编号 *`` is ``客户编号``); the English field names match too.
Unknown columns are ignored and reported; missing required columns refuse the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opcms.core.excel import (
    MAX_CELL_CHARS,
    FileRefused,
    as_refusal,
    cell_too_long,
    iter_values,
    open_workbook,
)
from opcms.core.text import fold_key
from opcms.customers.columns import COLUMNS, Column, header_index

#: the header row is looked for among the first rows (title rows, notes above it)
HEADER_SCAN_ROWS = 10


def header_key(value: Any) -> str:
    return fold_key(str(value)).replace(" ", "").strip("*")


_INDEX = {key.replace(" ", ""): column for key, column in header_index().items()}
REQUIRED = [c for c in COLUMNS if c.required]


@dataclass(frozen=True)
class SheetColumn:
    position: int  # 0-based index into a row's values
    column: Column
    header: str  # as written in the file


@dataclass
class Layout:
    header_row: int  # Excel row number of the header
    columns: list[SheetColumn]
    ignored: list[str] = field(default_factory=list)  # unknown headers, as written
    headers: tuple[Any, ...] = ()  # the header row's values, as read

    def by_field(self) -> dict[str, SheetColumn]:
        return {c.column.field: c for c in self.columns}


def _match(values: tuple[Any, ...]) -> list[tuple[int, Column, str]]:
    found = []
    for position, value in enumerate(values):
        if isinstance(value, str) and value.strip():
            column = _INDEX.get(header_key(value))
            if column is not None:
                found.append((position, column, value.strip()))
    return found


def find_layout(first_rows: list[tuple[int, tuple[Any, ...]]]) -> Layout:
    """The row among ``first_rows`` that names the most known columns is the header."""
    best: tuple[int, tuple[Any, ...], list[tuple[int, Column, str]]] | None = None
    for number, values in first_rows:
        found = _match(values)
        if found and (
            best is None or len({c.field for _, c, _ in found}) > len({c.field for _, c, _ in best[2]})
        ):
            best = (number, values, found)
    if best is None:
        names = ", ".join(c.header for c in REQUIRED)
        raise FileRefused(
            f"No header row found in the first {HEADER_SCAN_ROWS} rows; required columns missing: {names}",
            code="missing_columns",
            key="no_header_row",
            params={"rows": HEADER_SCAN_ROWS, "columns": [c.header for c in REQUIRED]},
            details=[
                {"field": c.header, "message": "required column missing", "code": "required_column_missing"}
                for c in REQUIRED
            ],
        )
    number, values, found = best
    columns: list[SheetColumn] = []
    seen: set[str] = set()
    ignored: list[str] = []
    for position, column, header in found:
        if column.field in seen:
            ignored.append(header)  # a second column with the same meaning: the first one wins
            continue
        seen.add(column.field)
        columns.append(SheetColumn(position, column, header))
    matched_positions = {c.position for c in columns}
    for position, value in enumerate(values):
        if position in matched_positions or value is None or (isinstance(value, str) and not value.strip()):
            continue
        text = str(value).strip()
        if text not in ignored:
            ignored.append(text)
    missing = [c for c in REQUIRED if c.field not in seen]
    if missing:
        raise FileRefused(
            f"Required columns missing: {', '.join(c.header for c in missing)} (header row {number})",
            code="missing_columns",
            params={"columns": [c.header for c in missing], "row": number},
            details=[
                {"field": c.header, "message": "required column missing", "code": "required_column_missing"}
                for c in missing
            ],
        )
    return Layout(header_row=number, columns=columns, ignored=ignored, headers=tuple(values))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(ref: str) -> int:
    index = 0
    for char in ref:
        if not char.isalpha():
            break
        index = index * 26 + (ord(char.upper()) - 64)
    return index - 1


def peek_layout(data: bytes, sheet_part: str, sheet_name: str = "") -> Layout:
    """The header of an inspected upload without loading the workbook: the first rows of the
    sheet and only the shared strings they use, streamed. (openpyxl reads every shared string
    up front: seconds for a big file, which the API need not spend before queueing it.) Their
    text is counted as it comes, like the full reading does: a cell over Excel's limit refuses
    the file."""
    import io
    import zipfile

    from defusedxml.ElementTree import iterparse

    rows: dict[int, dict[int, Any]] = {}
    shared: dict[int, list[int]] = {}  # shared-string index → (row, position) pairs, flattened
    refs: dict[tuple[int, int], str] = {}  # (row, position) → the cell's reference, to name it
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            with archive.open(sheet_part) as handle:
                row_number, position = 0, -1
                cell_type, value, ref = None, None, None
                for event, element in iterparse(handle, events=("start", "end")):
                    name = _local(element.tag)
                    if event == "start":
                        if name == "row":
                            row_number = int(element.get("r") or row_number + 1)
                            if row_number > HEADER_SCAN_ROWS:
                                break
                            position = -1
                        elif name == "c":
                            ref = element.get("r")
                            position = _column_index(ref) if ref else position + 1
                            cell_type, value = element.get("t"), None
                        continue
                    if name == "v":
                        value = element.text
                    elif name == "t" and cell_type == "inlineStr":
                        value = (value or "") + (element.text or "")
                    else:
                        if name == "c":
                            if cell_type == "s" and value is not None and value.strip().isdigit():
                                shared.setdefault(int(value), []).extend((row_number, position))
                                refs[row_number, position] = ref or f"R{row_number}C{position + 1}"
                            elif value is not None:
                                rows.setdefault(row_number, {})[position] = value
                            element.clear()
                        continue
                    if value is not None and len(value) > MAX_CELL_CHARS:
                        raise cell_too_long(sheet_name, ref)
            if shared and "xl/sharedStrings.xml" in archive.namelist():
                wanted = max(shared)
                with archive.open("xl/sharedStrings.xml") as handle:
                    index, phonetic, chars = -1, 0, 0
                    text: list[str] = []
                    for event, element in iterparse(handle, events=("start", "end")):
                        name = _local(element.tag)
                        if event == "start":
                            if name == "si":
                                index, text, chars = index + 1, [], 0
                            elif name == "rPh":
                                phonetic += 1
                            continue
                        if name == "rPh":
                            phonetic -= 1
                        elif name == "t" and not phonetic:
                            if index in shared:  # only the strings of the first rows are kept
                                chars += len(element.text or "")
                                if chars > MAX_CELL_CHARS:
                                    places = shared[index]
                                    raise cell_too_long(sheet_name, refs[places[0], places[1]])
                                text.append(element.text or "")
                            element.clear()
                        elif name == "si":
                            places = shared.get(index, [])
                            for at in range(0, len(places), 2):
                                rows.setdefault(places[at], {})[places[at + 1]] = "".join(text)
                            element.clear()
                            if index >= wanted:
                                break
    except FileRefused:
        raise
    except Exception as error:  # damaged XML, or entities defusedxml refuses
        raise as_refusal(error) from None
    first_rows = []
    for number in sorted(rows):
        cells = rows[number]
        first_rows.append((number, tuple(cells.get(i) for i in range(max(cells) + 1)) if cells else ()))
    return find_layout(first_rows)


class Sheet:
    """An opened upload: the first worksheet with its header found; data rows to come.

    ``source`` is a path or a binary file object of a workbook that passed
    :func:`opcms.core.excel.inspect_xlsx`.
    """

    def __init__(self, source: Any) -> None:
        self._source = source
        self.workbook = open_workbook(source)
        try:
            worksheets = self.workbook.worksheets
            if not worksheets:
                raise FileRefused("The workbook has no worksheet", code="no_worksheet")
            self.epoch = self.workbook.epoch
            # a formula saved without its result reaches the cleaning, which fails its row
            self._rows = iter_values(worksheets[0], formulas="mark")
            self._buffer: list[tuple[int, tuple[Any, ...]]] = []
            for number, values in enumerate(self._rows, start=1):
                self._buffer.append((number, values))
                if number >= HEADER_SCAN_ROWS:
                    break
            self.layout = find_layout(self._buffer)
        except BaseException:
            self.close()
            raise

    def data_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(Excel row number, values) for every row below the header, blank ones included."""
        header = self.layout.header_row
        buffered, self._buffer = self._buffer, []
        for number, values in buffered:
            if number > header:
                yield number, values
        next_number = buffered[-1][0] + 1 if buffered else 1
        yield from enumerate(self._rows, start=next_number)

    def close(self) -> None:
        self.workbook.close()
        if hasattr(self._source, "close"):  # a file handed over (openpyxl leaves it open)
            self._source.close()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
