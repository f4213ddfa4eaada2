"""Alert events POSTed to a webhook: a real local HTTP server whose answers each test scripts.

The receiver is the handoff webhook tests' `HookServer` (it records every request with the status
it got), so these tests say how many attempts an event took, that each kept its key, and which
events reached the fallback file. Backoff waits are made tiny through `JsonWebhook`'s own
limits; no test asserts on the clock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrail.errors import AlertDeliveryError, UserError
from guardrail.governance.alerts import ALERT_EVENT, alert_event
from guardrail.governance.delivery import alert_webhook_url, deliver_alerts
from guardrail.governance.report import GovernanceReport
from guardrail.handoff.webhook import JsonWebhook
from guardrail.registry import Registry
from tests.conftest import registry_with_settings
from tests.governance.test_report import T0, decision, outcome, report
from tests.handoff.test_sinks import FAST, HookServer, hook_server

TOKEN = "s3cr3t-token-in-the-url"  # webhook URLs carry secrets: never in a log or an error


@pytest.fixture(scope="module")
def two_kinds(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """The shipped registry alerting on two incident kinds, so one report raises two alerts."""
    return registry_with_settings(tmp_path_factory.mktemp("reg") / "segments",
                                  "incidents: [unsafe_action]",
                                  "incidents: [unsafe_action, biased_routing]")


@pytest.fixture
def fired(two_kinds: Registry) -> GovernanceReport:
    records = [decision(f"c{i}", T0) for i in range(3)]
    outcomes = [outcome("c0", "incident", T0, incident="unsafe_action"),
                outcome("c1", "incident", T0, incident="biased_routing")]
    result = report(records, outcomes, two_kinds)
    assert [a.subject for a in result.alerts] == ["biased_routing", "unsafe_action"]
    return result


@pytest.fixture
def server() -> Iterator[HookServer]:
    with hook_server() as httpd:
        yield httpd


def secret_url(server: HookServer) -> str:
    return f"{server.url}?token={TOKEN}"


def expected_events(result: GovernanceReport) -> list[dict[str, Any]]:
    """The events as `alert_event` makes them, without the send time."""
    return [_without_time(alert_event(a, result)) for a in result.alerts]


def _without_time(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "sent_at"}


def test_each_alert_is_posted_as_json_under_its_own_key(
        server: HookServer, fired: GovernanceReport) -> None:
    with JsonWebhook(server.url, **FAST) as webhook:
        assert deliver_alerts(fired, webhook) == 2
    assert [_without_time(r["body"]) for r in server.delivered] == expected_events(fired)
    assert all(r["body"]["event"] == ALERT_EVENT for r in server.requests)
    assert server.keys == [r["body"]["key"] for r in server.requests]
    assert len(set(server.keys)) == 2
    assert {r["content_type"] for r in server.requests} == {"application/json"}


def test_a_url_sink_posts_with_the_default_policy(
        server: HookServer, fired: GovernanceReport) -> None:
    assert alert_webhook_url(server.url) == server.url
    assert deliver_alerts(fired, server.url) == 2
    assert len(server.delivered) == 2


def test_the_key_is_stable_for_the_same_alert_and_period(fired: GovernanceReport) -> None:
    first, again = alert_event(fired.alerts[0], fired), alert_event(fired.alerts[0], fired)
    other = alert_event(fired.alerts[1], fired)
    assert first["key"] == again["key"] != other["key"]


def test_a_500_is_retried_with_the_same_key(
        server: HookServer, fired: GovernanceReport) -> None:
    server.script(500, 200)
    with JsonWebhook(server.url, **FAST) as webhook:
        assert deliver_alerts(fired, webhook) == 2
    assert [r["status"] for r in server.requests] == [500, 200, 200]
    assert server.keys[0] == server.keys[1] != server.keys[2]
    assert [_without_time(r["body"]) for r in server.delivered] == expected_events(fired)


def test_refused_after_retries_goes_to_the_fallback_and_is_not_silent(
        server: HookServer, fired: GovernanceReport, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    server.script(500)
    fallback = tmp_path / "undelivered.jsonl"
    with caplog.at_level(logging.DEBUG, logger="guardrail"), \
            JsonWebhook(secret_url(server), **FAST, attempts=3) as webhook, \
            pytest.raises(AlertDeliveryError) as info:
        deliver_alerts(fired, webhook, fallback=fallback)
    error = info.value
    # Delivery stops at the failing event: every event is still to send.
    assert (error.sent, error.undelivered, error.spooled) == (0, 2, True)
    assert error.fallback == str(fallback)
    assert error.retryable
    assert error.status == 500
    assert len(server.requests) == 3
    saved = [json.loads(line) for line in fallback.read_text("utf-8").splitlines()]
    assert [_without_time(e) for e in saved] == expected_events(fired)
    for text in (str(error), caplog.text):
        assert TOKEN not in text
        assert server.url not in text
    assert saved[0]["key"] in caplog.text


def test_without_a_fallback_the_error_says_nothing_was_kept(
        server: HookServer, fired: GovernanceReport) -> None:
    server.script(200, 400)  # the first event is taken, the second refused for good
    with JsonWebhook(server.url, **FAST) as webhook, \
            pytest.raises(AlertDeliveryError, match="no fallback") as info:
        deliver_alerts(fired, webhook)
    assert (info.value.sent, info.value.undelivered, info.value.spooled) == (1, 1, False)
    assert not info.value.retryable
    assert info.value.status == 400
    assert [r["status"] for r in server.requests] == [200, 400]


def test_an_unwritable_fallback_says_the_events_are_lost(
        server: HookServer, fired: GovernanceReport, tmp_path: Path) -> None:
    server.script(503)
    with JsonWebhook(server.url, **FAST, attempts=2) as webhook, \
            pytest.raises(UserError, match=r"not delivered.*not saved"):
        deliver_alerts(fired, webhook, fallback=tmp_path / "missing" / "alerts.jsonl")


@pytest.mark.parametrize("sink", ["ftp://pager.example/hook", "https:///hook", "http://"])
def test_other_urls_are_refused_without_showing_them(sink: str, fired: GovernanceReport) -> None:
    with pytest.raises(UserError) as info:
        deliver_alerts(fired, sink)
    assert "pager.example" not in str(info.value)
    assert "hook" not in str(info.value)


def test_a_fallback_beside_a_file_sink_is_refused(
        fired: GovernanceReport, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="fallback"):
        deliver_alerts(fired, tmp_path / "alerts.jsonl", fallback=tmp_path / "f.jsonl")
    assert not (tmp_path / "alerts.jsonl").exists()
