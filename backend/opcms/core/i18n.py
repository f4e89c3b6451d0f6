"""One language at a time: the messages the API sends, in the language the request asks for.

Every message a person may read (an error, a field problem, an import row's reason, a payment
suggestion's reason) is a **code** and its **parameters**; its text is rendered from the
catalog (:mod:`opcms.core.messages`: a Chinese and an English template per code, ``str.format``
style with named parameters) when the answer is written, in the request's language:

- ``Accept-Language`` picks it: ``en``, ``en-*`` → ``en-US``; ``zh*`` → ``zh-CN``; anything else
  or nothing → ``zh-CN`` (the product's UI is Chinese by default). Answers say which one in
  ``Content-Language``.
- Outside a request (a Celery worker, a script) the process default applies: ``zh-CN``, except
  the ``opcms`` command line, which speaks English (an operator's tool; ``opcms.cli`` sets it).

Raise sites keep an English text next to the code (``Conflict("…", code="…", params={…})``):
it is what a code without a catalog entry shows, so a new code works before it is translated
(``tests/backend/test_i18n.py`` lists the codes that miss an entry).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import string
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

ZH = "zh-CN"
EN = "en-US"
LANGUAGES = (ZH, EN)

_language: ContextVar[str | None] = ContextVar("opcms_language", default=None)
_process_default = ZH


# --- which language ------------------------------------------------------------------------------
def language_of_tag(tag: str) -> str | None:
    tag = tag.strip().lower()
    if tag == "en" or tag.startswith("en-") or tag.startswith("en_"):
        return EN
    if tag.startswith("zh"):
        return ZH
    return None


def negotiate(header: str | None) -> str:
    """The language of an ``Accept-Language`` header: the most wanted of ours (q-values
    honoured, ties in the order written), else Chinese."""
    if not header:
        return ZH
    best: tuple[float, int, str] | None = None
    for order, part in enumerate(header.split(",")[:32]):
        tag, _, rest = part.partition(";")
        quality = 1.0
        for option in rest.split(";"):
            name, _, value = option.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = language_of_tag(tag)
        if language is None or not quality > 0:
            continue
        if best is None or quality > best[0]:
            best = (quality, order, language)
    return best[2] if best else ZH


def current_language() -> str:
    return _language.get() or _process_default


def use_language(language: str) -> None:
    """This request (context) speaks ``language`` from here on."""
    _language.set(language if language in LANGUAGES else ZH)


def set_default_language(language: str) -> None:
    """The language of this process outside requests (the command line sets English)."""
    global _process_default
    _process_default = language if language in LANGUAGES else ZH


@contextlib.contextmanager
def speaking(language: str) -> Iterator[str]:
    token = _language.set(language if language in LANGUAGES else ZH)
    try:
        yield language
    finally:
        _language.reset(token)


# --- the catalog -----------------------------------------------------------------------------------
#: code → (zh-CN template, en-US template); filled by opcms.core.messages (and ``register``)
CATALOG: dict[str, tuple[str, str]] = {}


def register(entries: Mapping[str, tuple[str, str]]) -> None:
    """Add catalog entries (a code given twice must say the same thing)."""
    for code, texts in entries.items():
        if code in CATALOG and CATALOG[code] != texts:
            raise ValueError(f"message {code!r} is registered twice with different texts")
        CATALOG[code] = texts


def template(code: str, language: str | None = None) -> str | None:
    texts = CATALOG.get(code)
    if texts is None:
        return None
    return texts[0] if (language or current_language()) == ZH else texts[1]


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Clauses(tuple[Any, ...]):
    """Several problems in one message: joined with "；" (Chinese) or "; " (English)."""

    __slots__ = ()


def show(value: Any, language: str) -> Any:
    """A parameter as a message shows it (numbers keep their type: a template may format them)."""
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, Clauses):
        return ("；" if language == ZH else "; ").join(str(show(item, language)) for item in value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return ("是" if value else "否") if language == ZH else ("yes" if value else "no")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return ("、" if language == ZH else ", ").join(str(show(item, language)) for item in items)
    return value


_FORMATTER = string.Formatter()


def render(
    code: str | None,
    params: Mapping[str, Any] | None = None,
    *,
    fallback: str | None = None,
    language: str | None = None,
) -> str:
    """The text of ``code`` with ``params`` in ``language`` (default: the current one). A code
    without a catalog entry shows ``fallback`` (the raise site's English text), else the code."""
    language = language or current_language()
    pattern = template(code, language) if code else None
    if pattern is None:
        pattern = fallback if fallback is not None else (code or "")
        if not params:
            return pattern
    values = _Params({name: show(value, language) for name, value in (params or {}).items()})
    try:
        return _FORMATTER.vformat(pattern, (), values)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return pattern


class Message:
    """A text to render later, in the reader's language: a code, its parameters and the
    English text used when the code has no catalog entry."""

    __slots__ = ("code", "fallback", "params")

    def __init__(self, code: str, params: Mapping[str, Any] | None = None, fallback: str | None = None):
        self.code = code
        self.params = dict(params or {})
        self.fallback = fallback

    def render(self, language: str | None = None) -> str:
        return render(self.code, self.params, fallback=self.fallback, language=language)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.code!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash(self.code)


class Invalid(ValueError):
    """A value a rule refuses, as a code and parameters (a ``ValueError``: pydantic reports it
    on its field, and callers that catch ``ValueError`` still do). ``str()`` is its text in the
    current language; pydantic keeps the error itself in the detail's ``ctx``, which
    :func:`pydantic_message` reads back."""

    def __init__(self, code: str, fallback: str | None = None, **params: Any) -> None:
        self.message = Message(code, params, fallback)
        super().__init__(fallback or code)

    @property
    def code(self) -> str:
        return self.message.code

    @property
    def params(self) -> dict[str, Any]:
        return self.message.params

    def __str__(self) -> str:
        return self.message.render()


def as_message(value: Any) -> Message:
    """A message from what a raise site or a rule gave: a Message, an Invalid, or plain text."""
    if isinstance(value, Message):
        return value
    if isinstance(value, Invalid):
        return value.message
    text = str(value)
    return Message(text, fallback=text) if text in CATALOG else Message("text", {"text": text})


# --- JSON -------------------------------------------------------------------------------------------
def jsonable(
    params: Mapping[str, Any], *, rendered: bool = False, language: str | None = None
) -> dict[str, Any]:
    """``params`` as JSON: for an answer (``rendered``: nested messages as their text) or to be
    stored and rendered later (nested messages as ``{"$code", "$params"}``)."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        out[name] = _jsonable(value, rendered=rendered, language=language or current_language())
    return out


def _jsonable(value: Any, *, rendered: bool, language: str) -> Any:
    if isinstance(value, Message):
        if rendered:
            return value.render(language)
        return {"$code": value.code, "$params": jsonable(value.params), "$fallback": value.fallback}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item, rendered=rendered, language=language) for item in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, rendered=rendered, language=language) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def from_jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """Stored parameters back, nested messages as messages."""
    return {name: _from_jsonable(value) for name, value in params.items()}


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        if "$code" in value:
            return Message(value["$code"], from_jsonable(value.get("$params") or {}), value.get("$fallback"))
        return {k: _from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_jsonable(item) for item in value]
    return value


# --- kept in a text column ------------------------------------------------------------------------
_STORED_MARK = "\n#message "


def stored(message: Message, limit: int) -> str:
    """A message as a text column keeps it, to be rendered in the reader's language when read
    (:func:`loaded`): its English text, then a line with its code and parameters as JSON (the
    JSON alone when both do not fit; a plain text, or one too long, as its English text)."""
    english = message.render(EN)
    if message.code != "text":
        encoded = json.dumps(
            {"code": message.code, "params": jsonable(message.params)}, ensure_ascii=False, sort_keys=True
        )
        for text in (english + _STORED_MARK + encoded, _STORED_MARK.lstrip("\n") + encoded):
            if len(text) <= limit:
                return text
    return english[:limit]


def loaded(text: str) -> Message:
    """A message kept by :func:`stored`; a plain text is shown as written."""
    english, mark, encoded = text.partition(_STORED_MARK.lstrip("\n"))
    if mark:
        try:
            data = json.loads(encoded)
            return Message(str(data["code"]), from_jsonable(data.get("params") or {}), english.rstrip("\n"))
        except (ValueError, KeyError, TypeError):
            pass
    return Message("text", {"text": text}, text)


# --- pydantic -----------------------------------------------------------------------------------------
def pydantic_message(item: Mapping[str, Any]) -> Message:
    """The message of one pydantic error (an item of ``ValidationError.errors()``): our rule's
    own code when a validator raised :class:`Invalid`, else pydantic's type with its ``ctx``
    (the catalog has the common types; any other shows pydantic's English text)."""
    ctx = dict(item.get("ctx") or {})
    error = ctx.get("error")
    if isinstance(error, Invalid):
        return error.message
    kind = str(item.get("type") or "value_error")
    fallback = str(item.get("msg") or kind).removeprefix("Value error, ")
    params: dict[str, Any] = {}
    for name, value in ctx.items():
        if name == "error":
            continue
        if name == "expected" and isinstance(value, str):
            params[name] = value.replace("'", "")  # "'a', 'b' or 'c'"
        else:
            params[name] = value if isinstance(value, (int, float, str, Decimal)) else str(value)
    if kind in ("value_error", "assertion_error"):  # a rule's plain text: shown as written
        return Message("text", {"text": fallback}, fallback)
    return Message(kind, params, fallback)


def _load() -> None:
    from opcms.core.messages import MESSAGES

    register(MESSAGES)


_load()
