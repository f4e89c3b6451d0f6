"""Templates: Jinja2 in a sandbox, every variable declared, a missing one an error at once.

Rendering happens when a message is sent (:func:`opcms.notifications.service.send`), before
any row is stored: a template that cannot be rendered with the given variables is a 422
naming the variables, never a message that goes out with holes in it. Output is plain text
(no HTML escaping): channels carry text or markdown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
    meta,
)
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from opcms.notifications.errors import TemplateRenderError

TITLE_MAX = 255
# the content column is TEXT (64 KiB on MariaDB): a loop in a template must not overflow it
CONTENT_MAX_BYTES = 60_000
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


# Parsing and compiling a template costs milliseconds, rendering microseconds: a job sending
# thousands of messages with the same few templates parses each source once (keyed by the
# text itself, so an edited template is simply a new key; a syntax error is not cached).
@functools.lru_cache(maxsize=256)
def _used_names(source: str) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(_env.parse(source)))


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return _env.from_string(source)


def used_variables(source: str) -> set[str]:
    """The top-level names a template reads (its undeclared variables, in Jinja2 terms)."""
    return set(_used_names(source))


def check_template(title: str, body: str, variables: Iterable[str]) -> None:
    """422 if the title or body is not valid Jinja2, or uses a variable not in ``variables``."""
    used: set[str] = set()
    for field, source in (("title", title), ("body", body)):
        try:
            used |= used_variables(source)
        except TemplateSyntaxError as error:
            raise TemplateRenderError.field(
                field,
                f"not a valid template (line {error.lineno}): {error.message}",
                code="template_syntax_at",
                params={"line": error.lineno, "error": error.message},
            ) from None
    undeclared = sorted(used - set(variables))
    if undeclared:
        raise TemplateRenderError(
            f"the template uses undeclared variables: {', '.join(undeclared)}",
            key="template_undeclared_variables",
            params={"names": undeclared},
            details=[
                {
                    "field": "variables",
                    "message": f"{name!r} is used but not declared",
                    "code": "variable_undeclared",
                    "params": {"name": name},
                }
                for name in undeclared
            ],
        )


def render(title: str, body: str, variables: dict[str, Any], declared: Iterable[str] = ()) -> tuple[str, str]:
    """(title, content) rendered with ``variables``; :class:`TemplateRenderError` names what is missing."""
    try:
        used = used_variables(title) | used_variables(body)
    except TemplateSyntaxError as error:
        raise TemplateRenderError(
            f"the template is not valid: {error.message}",
            key="template_syntax",
            params={"error": error.message},
        ) from None
    missing = sorted((used | set(declared)) - set(variables))
    if missing:
        raise TemplateRenderError(
            f"missing template variables: {', '.join(missing)}",
            key="template_variables_missing",
            params={"names": missing},
            details=[
                {
                    "field": f"variables.{name}",
                    "message": "required by the template",
                    "code": "variable_required",
                }
                for name in missing
            ],
        )
    try:
        rendered_title = _compiled(title).render(variables).strip()
        content = _compiled(body).render(variables)
    except UndefinedError as error:  # a missing attribute or key inside a variable
        name = _UNDEFINED_NAME.search(str(error))
        field = f"variables.{name.group(1)}" if name else "variables"
        raise TemplateRenderError(
            f"template variable missing: {error.message}",
            key="template_variable_undefined",
            params={"error": str(error.message)},
            details=[{"field": field, "message": str(error.message)}],
        ) from None
    except SecurityError as error:
        raise TemplateRenderError(
            f"the template did something unsafe: {error}", key="template_unsafe", params={"error": str(error)}
        ) from None
    except TemplateError as error:
        raise TemplateRenderError(
            f"the template cannot be rendered: {error}",
            key="template_unrenderable",
            params={"error": str(error)},
        ) from None
    except Exception as error:  # noqa: BLE001 - a filter applied to the wrong type, a division by zero, …
        raise TemplateRenderError(
            f"the template cannot be rendered: {type(error).__name__}: {error}",
            key="template_unrenderable",
            params={"error": f"{type(error).__name__}: {error}"},
        ) from None
    if len(content.encode()) > CONTENT_MAX_BYTES:
        raise TemplateRenderError(
            f"the rendered content is longer than {CONTENT_MAX_BYTES} bytes",
            key="template_content_too_long",
            params={"limit": CONTENT_MAX_BYTES},
        )
    return rendered_title[:TITLE_MAX], content
