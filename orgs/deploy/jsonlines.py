"""JSON with line numbers: a small recursive-descent reader that records the line of
every key and list item, so a refusal can name the file, line and field.

The standard library's decoder keeps no positions (object_pairs_hook sees values, not
where they were), so this reader walks the text itself and uses the standard library's
own string and number scanners for the tokens: the values it returns are exactly what
`json.loads` returns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

Path = tuple[str | int, ...]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Located:
    """A parsed document and the line each field starts on (path -> line)."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest parent that has one."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def loads_with_lines(text: str) -> Located:
    reader = _Reader(text)
    located = Located(value=None)
    located.value = reader.value((), located.lines)
    reader.skip()
    if reader.pos != len(text):
        raise JsonSyntaxError("Extra text after the JSON value.", reader.line())
    return located


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def skip(self) -> None:
        match = _WHITESPACE.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos

    def fail(self, what: str) -> JsonSyntaxError:
        return JsonSyntaxError(f"Invalid JSON: {what}.", self.line())

    def value(self, path: Path, lines: dict[Path, int]) -> Any:
        self.skip()
        lines.setdefault(path, self.line())
        char = self.text[self.pos : self.pos + 1]
        if char == "{":
            return self.object(path, lines)
        if char == "[":
            return self.array(path, lines)
        if char == '"':
            return self.string()
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return literal
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return json.loads(match.group())
        raise self.fail("expected a value" if char else "unexpected end of file")

    def string(self) -> str:
        try:
            text, self.pos = scanstring(self.text, self.pos + 1, True)
        except json.JSONDecodeError as exc:
            raise JsonSyntaxError(f"Invalid JSON: {exc.msg}.", exc.lineno) from None
        return str(text)

    def object(self, path: Path, lines: dict[Path, int]) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return result
        while True:
            self.skip()
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a quoted field name")
            key_line = self.line()
            key = self.string()
            if key in result:
                raise JsonSyntaxError(f"Field '{key}' is given twice.", key_line)
            lines[(*path, key)] = key_line
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':' after a field name")
            self.pos += 1
            result[key] = self.value((*path, key), lines)
            if self.separator("}"):
                return result

    def array(self, path: Path, lines: dict[Path, int]) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return result
        while True:
            result.append(self.value((*path, len(result)), lines))
            if self.separator("]"):
                return result

    def separator(self, closing: str) -> bool:
        """Consume ',' (False: more follows) or the closing bracket (True)."""
        self.skip()
        char = self.text[self.pos : self.pos + 1]
        self.pos += 1
        if char == closing:
            return True
        if char == ",":
            return False
        self.pos -= 1
        raise self.fail(f"expected ',' or '{closing}'")
