"""Request limits before parsing (issue 15): each kind of route caps its body before reading it
(413), takes only its media types (415), and JSON is bounded in depth and size before it is
built (400). Proven in process and against a real ``opcms api``, whose peak memory a flood of
41 MB login bodies must leave flat."""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from opcms.core.errors import BadRequest
from opcms.core.http import MAX_JSON_DEPTH, MAX_JSON_ITEMS, check_json_structure
from opcms.core.limits import SESSION_BODY_MAX_BYTES
from opcms.customers.models import Customer
from tests.backend.conftest import TMP
from tests.backend.factories import customer_rows, make_user, session_for, token_for, workbook_bytes
from tests.backend.processes import api_env, free_port, opcms, stop, wait_http

MB = 1024 * 1024
LOGIN = "/api/v1/auth/login"
CUSTOMERS = "/api/v1/customers"
IMPORTS = "/api/v1/imports/customers"
JSON_CAP = 1024 * 1024  # OPCMS_JSON_BODY_MAX_BYTES's default


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    # the one shape: code, message, details, and the message's params when it has any
    assert set(body) == {"error"} and set(body["error"]) - {"params"} == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- JSON bounded before it is built -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "refused"),
    [
        (nested(MAX_JSON_DEPTH), False),
        (nested(MAX_JSON_DEPTH + 1), True),
        ('{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH, False),
        ('{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1), True),
        (json.dumps(list(range(MAX_JSON_ITEMS - 1))), False),
        (json.dumps(list(range(MAX_JSON_ITEMS + 1))), True),
        (json.dumps({f"k{n}": n for n in range(MAX_JSON_ITEMS + 1)}), True),
        # brackets, commas and quotes inside strings are text, not structure; in any language
        (json.dumps({"text": "[[[{{{,,," * 5000 + '\\"]]' + '"' * 40}), False),
        (json.dumps({"备注": "【{[（" * 5000, "k\\": "[" * 40}, ensure_ascii=False), False),
    ],
)
def test_json_deeper_or_larger_than_the_bounds_is_refused_by_a_scan(text, refused):
    json.loads(text)  # every case is valid JSON: only its shape is in question
    if refused:
        with pytest.raises(BadRequest) as caught:
            check_json_structure(text.encode())
        assert caught.value.code == "json_too_complex"
    else:
        check_json_structure(text.encode())


@pytest.fixture
async def admin(db) -> str:
    return await token_for("admin")


async def test_deep_json_is_a_400_before_it_is_parsed(client, admin):
    # given JSON nested 5,000 levels deep (10 KB, under the cap of a write; deeper than the
    # parser's recursion limit)
    body = nested(5000)
    # when it is sent to a write route
    response = await client.post(
        CUSTOMERS, token=admin, content=body, headers={"Content-Type": "application/json"}
    )
    # then it is refused for its depth: the parser never sees it
    assert "deeper" in assert_error(response, 400, "json_too_complex")["message"]


async def test_json_with_too_many_values_is_a_400_and_a_normal_batch_passes(client, admin):
    # given a batch of more ids than any route takes, and one of the largest a route does take
    flood = {"customer_ids": list(range(1, MAX_JSON_ITEMS + 2)), "reason": "x"}
    batch = {"customer_ids": list(range(1, 1001)), "action": "soft_delete", "reason": "tidy"}
    # then the flood is refused before it is built, and the batch reaches the route
    response = await client.post(f"{CUSTOMERS}/batch", token=admin, json=flood)
    assert "values" in assert_error(response, 400, "json_too_complex")["message"]
    response = await client.post(f"{CUSTOMERS}/batch", token=admin, json=batch)
    assert response.status_code not in (400, 413, 415), response.text


async def test_invalid_json_keeps_its_answer(client, admin):
    for body in (b"{not json", b'{"a": "\xff"}', b"]]"):
        response = await client.post(
            CUSTOMERS, token=admin, content=body, headers={"Content-Type": "application/json"}
        )
        assert_error(response, 400, "invalid_json")


# --- body caps per kind of route (in process) ----------------------------------------------------
async def test_a_2_mb_json_write_is_a_413(client, admin):
    # given a 2 MB customer, valid JSON of a valid shape
    body = {"customer_code": "BIG1", "company_name": "大客户有限公司", "remark": "x" * (2 * MB)}
    # when it is created
    response = await client.post(CUSTOMERS, token=admin, json=body)
    # then it is refused for its size, in the one error shape, and nothing is written
    error = assert_error(response, 413, "payload_too_large")
    assert f"{JSON_CAP:,} bytes" in error["message"]
    assert await Customer.all().count() == 0


async def test_login_takes_a_few_kb(client, db):
    # a login body padded past the session cap is refused, with or without a Content-Length
    padded = {"username": "admin", "password": "p" * (SESSION_BODY_MAX_BYTES + 1)}
    assert_error(await client.post(LOGIN, json=padded), 413, "payload_too_large")

    async def chunks():
        data = json.dumps(padded).encode()
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    response = await client.post(LOGIN, content=chunks(), headers={"Content-Type": "application/json"})
    assert "Content-Length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")
    # an ordinary login is well under it
    await make_user("admin", username="admin")
    response = await client.post(LOGIN, json={"username": "admin", "password": "wrong-password-1"})
    assert_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("route", "content_type"),
    [
        (LOGIN, "text/plain"),
        (LOGIN, "application/x-www-form-urlencoded"),
        (LOGIN, None),
        (LOGIN, "application/json; charset=latin-1"),
        (CUSTOMERS, "text/plain"),
        (CUSTOMERS, "multipart/form-data; boundary=x"),
        (CUSTOMERS, "application/xml"),
    ],
)
async def test_a_json_route_takes_only_json(client, admin, route, content_type):
    # given a valid JSON body labelled as something else
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"username": "admin", "password": "x", "customer_code": "K1", "company_name": "K"})
    # when it is sent
    response = await client.post(route, token=admin, content=body.encode(), headers=headers)
    # then it is refused for its type, not read
    error = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"] or "UTF-8" in error["message"]
    assert await Customer.all().count() == 0


async def test_json_with_a_utf8_charset_is_accepted(client, admin):
    body = json.dumps({"customer_code": "K1", "company_name": "字符集有限公司"}).encode()
    for content_type in ("application/json; charset=utf-8", "Application/JSON;charset=UTF-8"):
        response = await client.post(
            CUSTOMERS, token=admin, content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code in (201, 409), response.text
    assert await Customer.all().count() == 1


async def test_an_upload_route_takes_only_a_form(client, admin):
    response = await client.post(IMPORTS, token=admin, json={"file": "customers.xlsx", "mode": "validate"})
    error = assert_error(response, 415, "unsupported_media_type")
    assert "multipart/form-data" in error["message"]


# --- against a real `opcms api` ------------------------------------------------------------------
@dataclass
class Answer:
    status: int | None  # None: no answer before the connection ended or the time ran out
    seconds: float
    head: bytes = b""


def raw_request(port: int, head: bytes, body: bytes, *, timeout: float = 10) -> Answer:
    """Send a request as an attacker does, the whole body without waiting (a thread pushes it),
    while the answer is read as soon as it comes."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def push() -> None:
        with contextlib.suppress(OSError):  # the server answered and closed: the rest is not wanted
            sock.sendall(head + body)

    pusher = threading.Thread(target=push, daemon=True)
    pusher.start()
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    except OSError:  # timed out, or reset before anything came
        pass
    finally:
        seconds = time.monotonic() - started
        sock.close()
    status_line = received.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else None
    return Answer(status, seconds, received)


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc (Linux only)")


@dataclass
class Api:
    port: int
    pid: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def api(database) -> Iterator[Api]:
    port = free_port()
    env = api_env(port, TMP / "limits")
    process = opcms("api", env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
        yield Api(port, process.pid)
    finally:
        stop(process)


def login_flood(size: int) -> bytes:
    """A login body of ``size`` bytes: millions of keys, as in the report of issue 15."""
    parts = [b'{"username":"admin","password":"x"']
    total, n = len(parts[0]), 0
    while total < size:
        part = b',"k%d":%d' % (n, n)
        parts.append(part)
        total += len(part)
        n += 1
    parts.append(b"}")
    return b"".join(parts)


@dataclass
class HealthWatch:
    """Polls /healthz while an attack runs; the slowest answer is what a probe would see."""

    port: int
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> HealthWatch:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _poll(self) -> None:
        while True:
            started = time.monotonic()
            try:
                response = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=10)
                if response.status_code != 200:
                    self.failures.append(str(response.status_code))
            except httpx.HTTPError as error:
                self.failures.append(repr(error))
            self.slowest = max(self.slowest, time.monotonic() - started)
            if self._stop.wait(0.02):
                return


@pytest.mark.slow
def test_41_mb_logins_are_refused_at_once_and_the_memory_stays_flat(api):
    # given a 41 MB login body of millions of keys (it grew the API by hundreds of MB)
    body = login_flood(41 * MB)
    head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    head = head % (LOGIN.encode(), len(body))
    before = peak_rss_kb(api.pid)
    with HealthWatch(api.port) as health:
        # when one is sent, while /healthz is polled
        first = raw_request(api.port, head, body, timeout=5)
        # then it is a 413 within a fraction of a second, before the body is read (unbounded,
        # one took half a minute and gigabytes: the four below wait for this answer)
        assert first.status == 413 and first.seconds < 1, first
        # and so is each of four sent at once
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: raw_request(api.port, head, body, timeout=5), range(4)))
        assert [answer.status for answer in answers] == [413] * 4, answers
        assert max(answer.seconds for answer in answers) < 1, answers
    after = peak_rss_kb(api.pid)
    # the process's peak memory barely moves, and the health probe never waited
    print(f"VmHWM before {before} kB, after {after} kB (+{(after - before) / 1024:.1f} MB)")
    assert after - before < 30 * 1024, f"peak RSS grew {(after - before) / 1024:.0f} MB"
    assert not health.failures and health.slowest < 1, (health.slowest, health.failures)


def chunked(payload: bytes, size: int = 4096) -> bytes:
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


@pytest.mark.slow
def test_a_chunked_body_over_the_cap_is_a_413_while_it_streams(api):
    # given a login body of 2 MB of valid JSON that announces no length
    head = (
        b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    # when it is streamed
    answer = raw_request(api.port, head % LOGIN.encode(), chunked(login_flood(2 * MB)))
    # then it is refused as soon as it passes the cap
    assert answer.status == 413, answer
    assert answer.seconds < 1, answer


@pytest.mark.slow
def test_an_unknown_caller_cannot_make_the_api_read_a_large_body(api):
    # given an upload of 15 MB announced without a token, of which only the first 100 KB come
    head = (
        b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        b"Content-Length: %d\r\n\r\n" % (IMPORTS.encode(), 15 * MB)
    )
    # when it is sent (and the rest never comes)
    answer = raw_request(api.port, head, b"x" * 100_000, timeout=5)
    # then the caller is refused at once instead of the body being awaited
    assert answer.status == 401, answer
    assert answer.seconds < 1, answer


def big_workbook(rows: int) -> bytes:
    data = customer_rows(rows)
    data[0].append("备注")
    for row in data[1:]:
        row.append(secrets.token_urlsafe(1500)[:2000])  # a long remark: little to compress
    return workbook_bytes(data)


@pytest.mark.slow
async def test_an_upload_of_a_few_mb_still_works(api, db):
    # given a workbook of a few MB (1,500 customers with long remarks)
    content = big_workbook(1500)
    assert 2 * MB < len(content) < 5 * MB
    token = (await session_for(await make_user("finance"))).access_token
    # when it is uploaded to the real API
    async with httpx.AsyncClient(base_url=api.base, timeout=120) as http:
        response = await http.post(
            IMPORTS,
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("customers.xlsx", content)},
            data={"mode": "validate"},
        )
    # then it is read and checked as before
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["total"] == 1500 and report["failed"] == 0, report["errors"][:3]
