"""CSV files people open in a spreadsheet: cells that would run as formulas are quoted,
and big files are written line by line (for a StreamingHttpResponse)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

# A spreadsheet runs a cell starting with one of these as a formula: prefix a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Line:
    """What csv.writer writes to: hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, one line at a time, every cell made safe."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])
