"""The subset of Lucene query syntax that user search (`q`) and log search (`q`/`search`) use.

Supported: `field:value`, `field:"exact phrase"`, `field:(a OR b)`, ranges
`field:[A TO B]` (inclusive) / `field:{A TO B}` (exclusive) with `*` for an open end,
`*` wildcards in bare values, `NOT`/`-` before a clause, and clauses joined by `AND`,
`OR` or whitespace (AND, as Auth0's log search documents). Bare words without a field
search the caller's default fields. Anything else is a 400 `invalid_query_string`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from sandbox.errors import SandboxError, invalid_query

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<range>[\[{][^\]}]*[\]}]) |
        (?P<quoted>"(?:[^"\\]|\\.)*") |
        (?P<word>[^\s()"\[\]{}]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Term:
    """One value test: exact (quoted), pattern (bare, maybe with *), or a range."""

    kind: str  # "exact" | "bare" | "range"
    value: str = ""
    low: str | None = None
    high: str | None = None
    inclusive: bool = True


@dataclass(frozen=True)
class Clause:
    field: str | None  # None: the default fields
    terms: tuple[Term, ...]  # any of them (an OR group)
    negated: bool = False


@dataclass(frozen=True)
class Query:
    groups: tuple[tuple[Clause, ...], ...]  # OR of AND-groups


def _bad(q: str, why: str) -> SandboxError:
    return invalid_query(f"Query validation error: 'Invalid query ({why}): {q}' on property q.")


def _tokens(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        match = _TOKEN.match(q, pos)
        if match is None or match.end() == pos:
            raise _bad(q, f"unexpected character at {pos}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _term(kind: str, text: str, q: str) -> Term:
    if kind == "quoted":
        return Term("exact", re.sub(r"\\(.)", r"\1", text[1:-1]))
    if kind == "range":
        inclusive = text[0] == "["
        parts = re.split(r"\s+TO\s+", text[1:-1].strip())
        if len(parts) != 2:
            raise _bad(q, "range needs 'A TO B'")
        low, high = (p.strip().strip('"') for p in parts)
        return Term(
            "range",
            low=None if low == "*" else low,
            high=None if high == "*" else high,
            inclusive=inclusive,
        )
    return Term("bare", text)


def parse(q: str) -> Query:
    tokens = _tokens(q)
    groups: list[list[Clause]] = [[]]
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word" and text in ("AND", "&&"):
            i += 1
            continue
        if kind == "word" and text in ("OR", "||"):
            groups.append([])
            i += 1
            continue
        negated = False
        if kind == "word" and text == "NOT":
            negated, i = True, i + 1
            if i >= len(tokens):
                raise _bad(q, "NOT without a clause")
            kind, text = tokens[i]
        elif kind == "word" and text.startswith("-") and len(text) > 1:
            negated, text = True, text[1:]
        field: str | None = None
        if kind == "word" and ":" in text:
            field, _, rest = text.partition(":")
            if rest:
                kind, text = "word", rest
            else:
                i += 1
                if i >= len(tokens):
                    raise _bad(q, f"no value for {field}")
                kind, text = tokens[i]
        if kind == "lparen":
            terms: list[Term] = []
            i += 1
            while i < len(tokens) and tokens[i][0] != "rparen":
                sub_kind, sub_text = tokens[i]
                if not (sub_kind == "word" and sub_text in ("OR", "||")):
                    terms.append(_term(sub_kind, sub_text, q))
                i += 1
            if i >= len(tokens):
                raise _bad(q, "unbalanced parenthesis")
            clause = Clause(field, tuple(terms), negated)
        elif kind == "rparen":
            raise _bad(q, "unbalanced parenthesis")
        else:
            clause = Clause(field, (_term(kind if kind != "word" else "bare", text, q),), negated)
        groups[-1].append(clause)
        i += 1
    if any(not g for g in groups):
        raise _bad(q, "empty clause")
    return Query(tuple(tuple(g) for g in groups))


def values_at(obj: Any, path: str) -> list[Any]:
    """All values at a dotted path; lists on the way are walked (identities.connection)."""
    current: list[Any] = [obj]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, list):
                nxt.extend(i.get(part) for i in item if isinstance(i, dict) and part in i)
            elif isinstance(item, dict) and part in item:
                nxt.append(item[part])
        current = nxt
    flat: list[Any] = []
    for item in current:
        flat.extend(item if isinstance(item, list) else [item])
    return [v for v in flat if v is not None]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(a: str, b: str) -> int:
    try:
        x, y = float(a), float(b)
        return (x > y) - (x < y)
    except ValueError:
        return (a > b) - (a < b)


def term_matches(term: Term, value: Any, *, prefix: bool) -> bool:
    text = _as_text(value)
    if term.kind == "exact":
        return text.lower() == term.value.lower()
    if term.kind == "range":
        if term.low is not None:
            c = _compare(text, term.low)
            if c < 0 or (c == 0 and not term.inclusive):
                return False
        if term.high is not None:
            c = _compare(text, term.high)
            if c > 0 or (c == 0 and not term.inclusive):
                return False
        return True
    pattern = term.value.lower()
    if "*" in pattern or "?" in pattern:
        return fnmatchcase(text.lower(), pattern)
    return text.lower().startswith(pattern) if prefix else text.lower() == pattern


def matches(
    obj: Any,
    query: Query,
    *,
    default_fields: Sequence[str] = (),
    prefix: bool = False,
    exact_fields: frozenset[str] = frozenset(),
) -> bool:
    """Whether `obj` (an API-shaped dict) satisfies the query.

    `prefix` makes unquoted values match the start of a field, except in `exact_fields`
    (codes and ids, where `type:s` must not also find `sapi`).
    """

    def clause_ok(clause: Clause) -> bool:
        fields: Iterable[str] = (clause.field,) if clause.field else default_fields
        found = any(
            term_matches(term, value, prefix=prefix and field not in exact_fields)
            for field in fields
            for value in values_at(obj, field)
            for term in clause.terms
        )
        return found != clause.negated

    return any(all(clause_ok(c) for c in group) for group in query.groups)
