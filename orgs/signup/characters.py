"""Characters a person cannot see: the ones that reorder text (bidi controls) and the other
invisible format and control characters. Shared by the name and email rules of sign-up, so
a name or an address never looks different from what is stored."""

from __future__ import annotations

import unicodedata

# The explicit direction marks, embeddings, overrides and isolates (Unicode UAX #9), and
# the Arabic letter mark: they can make "moc.emca" display as "acme.com".
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)
# Format, control, private-use and surrogate code points: nothing a person can see or type
# on purpose (zero-width spaces, soft hyphens, NUL, ...).
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs"})


def first_bidi_control(text: str) -> str | None:
    return next((char for char in text if char in BIDI_CONTROLS), None)


def first_invisible(text: str) -> str | None:
    return next((char for char in text if unicodedata.category(char) in INVISIBLE_CATEGORIES), None)


def describe(char: str) -> str:
    """ "U+200B ZERO WIDTH SPACE": how a message names a character nobody can see."""
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code
