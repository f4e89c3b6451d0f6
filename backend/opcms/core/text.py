"""Text cleaning shared by the API and the Excel import: full-width folding and keys."""

from __future__ import annotations

import re
import unicodedata

from opcms.core.i18n import Message

_SPACES = re.compile(r"\s+")


def fold(value: str) -> str:
    """Full-width → half-width (NFKC), trimmed, inner runs of white space made one space.

    ``"ＡＢＣ１２３（北京）"`` → ``"ABC123(北京)"``; ``"　A  B "`` → ``"A B"``.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def fold_key(value: str) -> str:
    """A comparison key: folded and case-insensitive (names, headers, dictionary synonyms)."""
    return fold(value).casefold()


def blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


# --- characters no stored text may hold ------------------------------------------------------------
#: bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make a name
#: read differently from what it is ("Trojan Source"); no business text needs them
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# C0 controls, DEL and C1 controls; a multi-line text (a remark, an address, a template body)
# may hold tab, line feed and carriage return
_REFUSED_IN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_REFUSED_IN_LINES = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
#: the same sets as the inside of a regex class in the API document, written with escapes that
#: ECMAScript and Python read alike (a JSON Schema pattern is an ECMAScript regex)
REFUSED_IN_LINE_CLASS = r"\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
REFUSED_IN_LINES_CLASS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def refused_character(value: str, *, multiline: bool = False) -> Message | None:
    """Why ``value`` cannot be stored as text, or None: a control character (tab and line
    breaks only where the text is multi-line) or a bidi control."""
    found = (_REFUSED_IN_LINES if multiline else _REFUSED_IN_LINE).search(value)
    if found is None:
        return None
    character = f"U+{ord(found.group()):04X}"
    if _BIDI.match(found.group()):
        return Message(
            "bidi_control_refused",
            {"character": character},
            f"must not contain bidirectional control characters ({character})",
        )
    return Message(
        "control_character_refused",
        {"character": character},
        f"must not contain control characters ({character})",
    )
