"""Text cleaning shared by the API and the Excel import: full-width folding and keys."""

from __future__ import annotations

import re
import unicodedata

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
