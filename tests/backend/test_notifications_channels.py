"""The channels against real fake servers on loopback (WeCom over HTTP, SMTP by aiosmtpd)."""

from __future__ import annotations

import pytest

from opcms.notifications.channels import (
    ChannelConfigError,
    OutgoingMessage,
    build_channel,
    channel_kinds,
)
from tests.backend.processes import free_port


def bot(wecom, **settings):
    return build_channel("wecom_bot", settings, {"webhook_url": wecom.webhook_url})


def app(wecom):
    return build_channel(
        "wecom_app",
        {"corp_id": wecom.corp_id, "agent_id": 7, "api_base": wecom.url},
        {"corp_secret": wecom.corp_secret},
    )


def test_the_four_kinds_are_registered():
    assert channel_kinds() == ["email", "sms", "wecom_app", "wecom_bot"]


# --- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind, settings, secrets, field",
    [
        ("wecom_bot", {}, {}, "secrets.webhook_url"),
        ("wecom_bot", {}, {"webhook_url": "ftp://x"}, "secrets.webhook_url"),
        ("wecom_bot", {"webhook_url": "http://x"}, {"webhook_url": "http://x"}, "settings.webhook_url"),
        ("wecom_app", {"agent_id": 1}, {"corp_secret": "s"}, "settings.corp_id"),
        ("wecom_app", {"corp_id": "c", "agent_id": 1}, {}, "secrets.corp_secret"),
        ("email", {"host": "h", "from_address": "not-an-address"}, {}, "settings.from_address"),
        ("email", {"host": "h", "port": 70000, "from_address": "a@b.cn"}, {}, "settings.port"),
        ("email", {"host": "h", "from_address": "a@b.cn"}, {"username": "u"}, "secrets.password"),
        ("sms", {"provider": "nope"}, {}, "settings.provider"),
    ],
)
def test_a_bad_configuration_names_the_field(kind, settings, secrets, field):
    # given a configuration the kind cannot work with, when a channel is built, then it is refused naming the field
    with pytest.raises(ChannelConfigError) as refused:
        build_channel(kind, settings, secrets)
    assert field in [d["field"] for d in refused.value.details]


# --- WeCom group bot ---------------------------------------------------------------------------
async def test_bot_posts_markdown_with_title_and_content(wecom):
    result = await bot(wecom).send(OutgoingMessage("逾期提醒", "请付款", ""))
    assert result.ok and not result.error
    assert wecom.messages == [{"msgtype": "markdown", "markdown": {"content": "**逾期提醒**\n请付款"}}]


@pytest.mark.parametrize(
    "failure, retryable", [("500", True), ("503", True), ("45009", True), ("93000", False)]
)
async def test_bot_failures_say_whether_to_retry(wecom, failure, retryable):
    # given WeCom failing the next message
    wecom.fail_next(failure)
    # when the bot sends, then the failure is reported (not raised) with its retry advice
    result = await bot(wecom).send(OutgoingMessage("t", "c", ""))
    assert not result.ok and result.retryable is retryable and failure in result.error
    assert wecom.messages == []


async def test_bot_with_a_wrong_key_is_refused_for_good(wecom):
    channel = build_channel("wecom_bot", {}, {"webhook_url": f"{wecom.url}/cgi-bin/webhook/send?key=wrong"})
    result = await channel.send(OutgoingMessage("t", "c", ""))
    assert not result.ok and not result.retryable and "93000" in result.error
    assert not (await channel.health_check()).ok


async def test_bot_unreachable_is_retryable_and_unhealthy():
    channel = build_channel(
        "wecom_bot", {"timeout_seconds": 2}, {"webhook_url": f"http://127.0.0.1:{free_port()}/x?key=k"}
    )
    result = await channel.send(OutgoingMessage("t", "c", ""))
    assert not result.ok and result.retryable
    assert not (await channel.health_check()).ok


async def test_bot_health_check_sends_no_message(wecom):
    health = await bot(wecom).health_check()
    assert health.ok, health.detail
    assert wecom.messages == []


# --- WeCom application message -----------------------------------------------------------------
async def test_app_caches_the_token_between_messages(wecom):
    channel = app(wecom)
    first = await channel.send(OutgoingMessage("t", "one", "zhangsan"))
    second = await channel.send(OutgoingMessage("t", "two", "zhangsan|lisi"))
    assert first.ok and second.ok and first.reference != second.reference
    assert len(wecom.calls_to("/cgi-bin/gettoken")) == 1
    assert [m["touser"] for m in wecom.messages] == ["zhangsan", "zhangsan|lisi"]
    assert wecom.messages[0]["agentid"] == 7 and wecom.messages[0]["msgtype"] == "markdown"


async def test_app_refreshes_an_expired_token_and_sends_again(wecom):
    # given a cached token that WeCom has since expired (it answers 42001 to it)
    channel = app(wecom)
    assert (await channel.send(OutgoingMessage("t", "one", "zhangsan"))).ok
    wecom.expire_tokens()
    # when the next message is sent
    result = await channel.send(OutgoingMessage("t", "two", "zhangsan"))
    # then a new token is fetched once and the message goes out on it
    assert result.ok, result.error
    assert len(wecom.calls_to("/cgi-bin/gettoken")) == 2
    sends = wecom.calls_to("/cgi-bin/message/send")
    assert [c.params["access_token"] for c in sends] == ["tok-1", "tok-1", "tok-2"]
    assert [c.body["markdown"]["content"] for c in sends[1:]] == ["**t**\ntwo", "**t**\ntwo"]


async def test_app_token_error_answered_once_is_refreshed(wecom):
    channel = app(wecom)
    wecom.fail_next("42001", path="message")
    result = await channel.send(OutgoingMessage("t", "c", "zhangsan"))
    assert result.ok and len(wecom.calls_to("/cgi-bin/gettoken")) == 2


async def test_app_refetches_only_once(wecom):
    # given WeCom refusing every token
    channel = app(wecom)
    wecom.fail_next("42001", times=5, path="message")
    result = await channel.send(OutgoingMessage("t", "c", "zhangsan"))
    # then the send fails (worth retrying later) after one refresh, not a loop
    assert not result.ok and result.retryable
    assert len(wecom.calls_to("/cgi-bin/message/send")) == 2


async def test_app_health_fetches_a_token_and_a_wrong_secret_is_unhealthy(wecom):
    assert (await app(wecom).health_check()).ok
    wrong = build_channel(
        "wecom_app", {"corp_id": wecom.corp_id, "agent_id": 7, "api_base": wecom.url}, {"corp_secret": "bad"}
    )
    health = await wrong.health_check()
    assert not health.ok and "40001" in health.detail
    result = await wrong.send(OutgoingMessage("t", "c", "zhangsan"))
    assert not result.ok and "40001" in result.error


async def test_app_needs_user_ids():
    channel = build_channel("wecom_app", {"corp_id": "c", "agent_id": 1}, {"corp_secret": "s"})
    assert (
        channel.check_target("") and channel.check_target("bad user") and channel.check_target("a|b") is None
    )


# --- e-mail --------------------------------------------------------------------------------------
def email(smtp):
    return build_channel(
        "email", {"host": "127.0.0.1", "port": smtp.port, "from_address": "billing@opcms.test"}, {}
    )


async def test_email_is_sent_over_smtp(smtp):
    result = await email(smtp).send(
        OutgoingMessage("发票逾期", "请付款 1,234.50 元", "finance@customer.cn", "high")
    )
    assert result.ok, result.error and result.reference.startswith("<")
    [message] = smtp.messages
    assert message["to"] == ["finance@customer.cn"] and message["from"] == "billing@opcms.test"
    assert "X-Priority: 1" in message["data"] and "Subject:" in message["data"]


@pytest.mark.parametrize("code, retryable", [(451, True), (550, False)])
async def test_email_refusals_say_whether_to_retry(smtp, code, retryable):
    smtp.fail_next(code)
    result = await email(smtp).send(OutgoingMessage("t", "c", "a@b.cn"))
    assert not result.ok and result.retryable is retryable and str(code) in result.error


async def test_email_server_down_is_retryable_and_unhealthy():
    channel = build_channel(
        "email",
        {"host": "127.0.0.1", "port": free_port(), "from_address": "a@b.cn", "timeout_seconds": 2},
        {},
    )
    result = await channel.send(OutgoingMessage("t", "c", "x@y.cn"))
    assert not result.ok and result.retryable
    assert not (await channel.health_check()).ok


async def test_email_health(smtp):
    assert (await email(smtp).health_check()).ok


async def test_email_target_must_be_an_address(smtp):
    result = await email(smtp).send(OutgoingMessage("t", "c", "not an address"))
    assert not result.ok and not result.retryable and smtp.messages == []


# --- SMS -----------------------------------------------------------------------------------------
async def test_sms_logging_provider_succeeds(caplog):
    channel = build_channel("sms", {"sign_name": "OPCMS"}, {})
    with caplog.at_level("INFO", logger="opcms.notifications.sms"):
        result = await channel.send(OutgoingMessage("提醒", "请付款", "+86 138-0000-0000"))
    assert result.ok and result.reference.startswith("log-")
    assert "+8613800000000" in caplog.text and "【OPCMS】提醒: 请付款" in caplog.text
    assert (await channel.health_check()).ok
    assert not (await channel.send(OutgoingMessage("t", "c", "abc"))).ok
