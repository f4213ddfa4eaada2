"""Handoff webhooks: POST the summary, retrying what a later attempt can fix.

`WebhookSink` (and its async twin `AsyncWebhookSink`) POSTs the summary as JSON with an
``Idempotency-Key`` (`guardrail.handoff.spool.handoff_key`), so the receiver can drop a copy.
`JsonWebhook`, which `WebhookSink` is, posts any JSON document under the same delivery policy
(retries, backoff, deadline, quiet logs): the governance alerts use it. Every failure reaches the
caller as one type::

    SinkError (a GuardrailError)      .retryable: may a later attempt succeed?
                                      .spooled:   is the handoff safe in the spool?
                                      .status:    the last HTTP status, if there was one

Logs and error messages name the document's key (and a handoff's conversation id), never the
body (a transcript), the URL (webhook URLs often carry a secret) or the headers. Wrap a webhook in a
`guardrail.handoff.spool.SpoolingSink` so a handoff that still fails is kept for `replay`.

The webhook sinks need ``httpx`` and ``tenacity``, imported only when a webhook sink is made.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

from guardrail.errors import SinkError, UserError
from guardrail.handoff.spool import handoff_key
from guardrail.handoff.summary import HandoffSummary
from guardrail.tracing import Verbatim

if TYPE_CHECKING:
    import httpx
    import tenacity

__all__ = ["AsyncWebhookSink", "JsonWebhook", "WebhookSink"]

_log = logging.getLogger("guardrail.handoff.sinks")

# Statuses a later attempt can fix; 409 is the receiver saying it already has this key.
_RETRY_STATUSES = frozenset({408, 425, 429})
_ALREADY_DELIVERED = 409


def _imports() -> tuple[Any, Any]:
    try:
        import httpx
        import tenacity
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the webhook sinks need: pip install httpx tenacity") from exc
    return httpx, tenacity


class _Transient(Exception):
    """Internal: a failed attempt worth another one; the only exception tenacity retries."""

    def __init__(self, detail: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(detail)


@dataclass(slots=True)
class _Delivery:
    """One document to deliver: what every attempt posts, and the clock its deadline runs on."""

    key: str
    what: str  # what the document is ("handoff", "alert event"), for logs and errors
    conversation_id: str | None
    body: bytes
    headers: dict[str, str]
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0

    @property
    def context(self) -> str:
        """The conversation, for a log line or a message; the key is logged `Verbatim` apart."""
        return "" if self.conversation_id is None else f" (conversation {self.conversation_id})"

    def __str__(self) -> str:
        return f"{self.what} {self.key}{self.context}"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), or None if unusable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


_C = TypeVar("_C")


class _WebhookCore(Generic[_C]):
    """What the sync and async webhook sinks share: everything but the client and the request.

    The arguments are documented on `WebhookSink`; `_C` is the sink's HTTP client type.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        attempts: int = 4,
        deadline: float = 15.0,
        wait_initial: float = 0.5,
        wait_max: float = 5.0,
        client: _C | None = None,
    ) -> None:
        if attempts < 1 or timeout <= 0 or deadline <= 0 or wait_initial < 0 or wait_max < 0:
            raise UserError("a webhook sink needs attempts >= 1, a positive timeout and "
                            "deadline, and waits >= 0")
        self._httpx, self._tenacity = _imports()
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.deadline = deadline
        self._headers = dict(headers or {})
        self._backoff = self._tenacity.wait_random_exponential(multiplier=wait_initial,
                                                               max=wait_max)
        self._owns_client = client is None
        self._client: _C = client if client is not None else self._new_client(timeout)

    def _new_client(self, timeout: float) -> _C:
        """The client the sink makes (and closes) when it is given none."""
        raise NotImplementedError

    def _prepare(self, document: object, *, key: str, what: str,
                 conversation_id: str | None = None) -> _Delivery:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        headers = {**self._headers, "Content-Type": "application/json", "Idempotency-Key": key}
        return _Delivery(key, what, conversation_id, body, headers)

    def _prepare_handoff(self, summary: HandoffSummary) -> _Delivery:
        return self._prepare(summary.model_dump(mode="json"), key=handoff_key(summary),
                             what="handoff", conversation_id=summary.conversation_id)

    def _policy(self, delivery: _Delivery) -> dict[str, Any]:
        """Keyword arguments for `tenacity.Retrying` and `tenacity.AsyncRetrying`."""
        t = self._tenacity
        return {
            # stop_before_delay: never start a wait (a Retry-After included) that would end
            # past the deadline; give up at once instead.
            "stop": t.stop_after_attempt(self.attempts) | t.stop_before_delay(self.deadline),
            "wait": self._wait,
            "retry": t.retry_if_exception_type(_Transient),
            "before_sleep": lambda state: self._log_retry(delivery, state),
            "reraise": True,
        }

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _log_retry(self, delivery: _Delivery, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        _log.info("%s %s%s: attempt %d failed (%s); retrying in %.2fs", delivery.what,
                  Verbatim(delivery.key), delivery.context, state.attempt_number, exc,
                  state.upcoming_sleep)

    def _request_timeout(self, delivery: _Delivery) -> float:
        """The per-request timeout, cut to what is left of the deadline."""
        left = self.deadline - (time.monotonic() - delivery.started)
        return max(0.001, min(self.timeout, left))

    def _start(self, delivery: _Delivery) -> dict[str, Any]:
        delivery.attempts += 1
        return {"content": delivery.body, "headers": delivery.headers,
                "timeout": self._request_timeout(delivery)}

    def _failure(self, exc: Exception) -> Exception:
        """The `_Transient` (to retry) or `SinkError` (to give up) for a request that raised."""
        httpx = self._httpx
        if isinstance(exc, httpx.TimeoutException):
            return _Transient(f"timed out ({type(exc).__name__})")
        if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol):
            return _Transient(f"connection failed ({type(exc).__name__})")
        # The message may quote the URL; the type is enough to act on.
        return SinkError(f"webhook request failed ({type(exc).__name__})", retryable=False)

    def _check(self, response: httpx.Response, delivery: _Delivery) -> None:
        """Return if the receiver has the document; raise `_Transient` or `SinkError` if not."""
        status = response.status_code
        if 200 <= status < 300 or status == _ALREADY_DELIVERED:
            _log.debug("%s %s%s delivered: HTTP %d", delivery.what, Verbatim(delivery.key),
                       delivery.context, status)
            return
        if status in _RETRY_STATUSES or status >= 500:
            raise _Transient(f"HTTP {status}", status=status,
                             retry_after=_retry_after(response.headers.get("retry-after")))
        raise SinkError(f"webhook rejected {delivery}: HTTP {status}", retryable=False,
                        status=status)

    def _gave_up(self, exc: Exception, delivery: _Delivery) -> SinkError:
        if isinstance(exc, SinkError):
            error = exc
        elif isinstance(exc, _Transient):
            error = SinkError(
                f"webhook gave up on {delivery} after {delivery.attempts} attempt(s): {exc}",
                retryable=True, status=exc.status)
        else:  # a client or transport that raised something httpx does not
            error = SinkError(f"webhook sink failed ({type(exc).__name__})", retryable=False)
        _log.error("%s %s%s not delivered: %s", delivery.what, Verbatim(delivery.key),
                   delivery.context, error)
        return error


class JsonWebhook(_WebhookCore["httpx.Client"]):
    """POST JSON documents to `url`, retrying what a later attempt can fix.

    Connection errors, timeouts, 408, 425, 429 and 5xx are retried with jittered exponential
    backoff (or after the receiver's ``Retry-After``) until `attempts` are spent or the next
    attempt would start past `deadline`. Other 4xx are final; 409 means the receiver already has
    this ``Idempotency-Key`` and counts as delivered. `WebhookSink` is this, posting handoffs.

    Args:
        url: the receiver's endpoint.
        headers: extra request headers (authorization, say); never logged.
        timeout: seconds for one request (cut to what is left of the deadline).
        attempts: requests at most per document.
        deadline: total seconds for one document, waits included.
        wait_initial: the first backoff window in seconds; it doubles on each retry, and the
            wait is drawn at random from it ("full jitter").
        wait_max: the widest backoff window in seconds.
        client: an `httpx.Client` to use (you close it); by default the webhook makes its own,
            closed by `close`.

    Raises:
        UserError: a limit is out of range.
    """

    def _new_client(self, timeout: float) -> httpx.Client:
        return cast("httpx.Client", self._httpx.Client(timeout=timeout))

    def post(self, document: object, *, key: str, what: str = "document") -> None:
        """POST `document` (anything `json.dumps` takes) once delivered, retrying within the
        limits.

        Args:
            document: the JSON body.
            key: the ``Idempotency-Key``: the same for every copy of this document, so the
                receiver can drop a repeat. Logs and errors name it, so it must hold no secret.
            what: what the document is, for logs and errors ("alert event").

        Raises:
            SinkError: the document was not delivered (`retryable` says whether to try later).
        """
        self._deliver(self._prepare(document, key=key, what=what))

    def _deliver(self, delivery: _Delivery) -> None:
        try:
            self._tenacity.Retrying(**self._policy(delivery))(self._post, delivery)
        except Exception as exc:
            error = self._gave_up(exc, delivery)
        else:
            return
        raise error

    def _post(self, delivery: _Delivery) -> None:
        try:
            response = self._client.post(self.url, **self._start(delivery))
        except self._httpx.HTTPError as exc:
            raise self._failure(exc) from None
        self._check(response, delivery)

    def close(self) -> None:
        """Close the HTTP client if the webhook made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class WebhookSink(JsonWebhook):
    """POST each handoff as JSON to `url`: a `JsonWebhook` (same arguments and retries) that is a
    `HandoffSink`, keyed by `guardrail.handoff.spool.handoff_key`."""

    def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary`, retrying within the limits.

        Raises:
            SinkError: the handoff was not delivered (`retryable` says whether to try later).
        """
        self._deliver(self._prepare_handoff(summary))


class AsyncWebhookSink(_WebhookCore["httpx.AsyncClient"]):
    """The async twin of `WebhookSink` (`JsonWebhook`'s arguments, `client` an
    `httpx.AsyncClient`).

    Its `send` is a coroutine, so it is not a `HandoffSink` although it looks like one: await
    it yourself. `SpoolingSink` and `replay` refuse it (a `SinkError`) rather than drop the
    handoff; `deliver` does not check.
    """

    def _new_client(self, timeout: float) -> httpx.AsyncClient:
        return cast("httpx.AsyncClient", self._httpx.AsyncClient(timeout=timeout))

    async def send(self, summary: HandoffSummary) -> None:
        """Deliver `summary`, retrying within the limits.

        Raises:
            SinkError: the handoff was not delivered (`retryable` says whether to try later).
        """
        delivery = self._prepare_handoff(summary)
        try:
            await self._tenacity.AsyncRetrying(**self._policy(delivery))(self._post, delivery)
        except Exception as exc:
            error = self._gave_up(exc, delivery)
        else:
            return
        raise error

    async def _post(self, delivery: _Delivery) -> None:
        try:
            response = await self._client.post(self.url, **self._start(delivery))
        except self._httpx.HTTPError as exc:
            raise self._failure(exc) from None
        self._check(response, delivery)

    async def aclose(self) -> None:
        """Close the HTTP client if the sink made it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()
