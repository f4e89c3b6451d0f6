"""What the two WeCom channels share: one JSON call, and which answers are worth retrying."""

from __future__ import annotations

from typing import Any

import httpx

# errcodes that say "later": -1 system busy, 45009 API frequency limit, 45033 too many concurrent calls
RETRYABLE_ERRCODES = frozenset({-1, 45009, 45033})
# the access token is invalid or expired: fetch a new one and send again
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})


class WeComCallFailed(Exception):
    def __init__(self, message: str, *, retryable: bool, errcode: int | None = None) -> None:
        super().__init__(message)
        self.message, self.retryable, self.errcode = message, retryable, errcode


async def call(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    """The JSON answer of a WeCom API call with ``errcode`` 0; :class:`WeComCallFailed` otherwise."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise WeComCallFailed("WeCom did not answer in time", retryable=True) from None
    except httpx.HTTPError as error:
        raise WeComCallFailed(
            f"cannot reach WeCom: {type(error).__name__}: {error}", retryable=True
        ) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise WeComCallFailed(f"WeCom answered HTTP {response.status_code}", retryable=True)
    if response.status_code >= 400:
        raise WeComCallFailed(f"WeCom answered HTTP {response.status_code}", retryable=False)
    try:
        document = response.json()
    except ValueError:
        raise WeComCallFailed("WeCom answered something that is not JSON", retryable=True) from None
    if not isinstance(document, dict):
        raise WeComCallFailed("WeCom answered something that is not a JSON object", retryable=True)
    errcode = document.get("errcode", 0)
    if errcode not in (0, None):
        errmsg = str(document.get("errmsg") or "")[:300]
        raise WeComCallFailed(
            f"WeCom errcode {errcode}: {errmsg}", retryable=errcode in RETRYABLE_ERRCODES, errcode=errcode
        )
    return document


def markdown_text(title: str, content: str) -> str:
    """WeCom markdown: the title in bold on its own line, then the content."""
    return f"**{title}**\n{content}" if title else content
