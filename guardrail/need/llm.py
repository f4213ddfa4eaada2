"""An optional LLM need-state classifier, through the official `openai` client or any LangChain
chat model, behind one retry policy.

It plays the same part as the learned model (`NeedModel`) and is bound by the same rules: it
may set the need-state and raise risk, never lower what the deterministic rules found. Every
failure is typed, and the engine turns it into a fail-closed decision with a ``failsafe.llm_*``
reason:

    LLMError (a GuardrailError)
    ├── LLMUnavailableError  429 / 5xx / connection errors past the deadline  .llm_unavailable
    ├── LLMTimeoutError      every attempt timed out before the deadline      .llm_timeout
    ├── LLMMalformedError    the output is not the JSON schema                .llm_malformed
    └── LLMRefusedError      the model refused                                .llm_refused

(each code is ``failsafe.<name>``).

Retries use tenacity: exponential backoff with jitter on transient errors, stopping at a total
deadline. The deadline is a hard bound on the whole call: each attempt runs in a worker thread and
is waited for only as long as the deadline leaves (the `openai` backend also passes that remaining
time to the client as the request's own timeout, so a hung request is aborted rather than
abandoned), and no back-off sleep runs past it. A client built without a timeout (the SDK's default
is ten minutes) therefore cannot hold a turn longer than the deadline. `openai`, `tenacity` and
`langchain-core` are imported only when used.
"""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from string import Template
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from guardrail._resources import default_prompts_dir
from guardrail.errors import (
    LLMError,
    LLMMalformedError,
    LLMRefusedError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from guardrail.need.classifier import NeedPrediction

__all__ = [
    "LLMError",
    "LLMMalformedError",
    "LLMNeedClassifier",
    "LLMRefusedError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "LLMVerdict",
    "call_with_retries",
    "langchain_backend",
    "openai_backend",
]

RiskKind = Literal[
    "none", "billing_dispute", "account_takeover", "lockout", "legal_threat", "safety",
    "human_request",
]
RISK_KINDS: tuple[str, ...] = RiskKind.__args__  # type: ignore[attr-defined]


class LLMVerdict(BaseModel):
    """The structured output the LLM must return."""

    model_config = ConfigDict(extra="forbid")

    need_state: str
    confidence: float = Field(ge=0, le=1)
    risk_kind: RiskKind
    rationale: str = Field(max_length=500)


class _Transient(Exception):
    """Internal: wraps an error worth retrying, remembering whether it was a timeout."""

    def __init__(self, timeout: bool, detail: str) -> None:
        self.timeout = timeout
        super().__init__(detail)


Backend = Callable[[str, str], Any]  # (system prompt, user text) -> raw JSON text or a verdict

# The time the current attempt may still take, for backends whose client takes a per-request
# timeout (the `openai` one); set by `call_with_retries` in the attempt's worker thread.
_ATTEMPT_BUDGET: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "guardrail_llm_attempt_budget", default=None
)
# Attempts run here so a hung one can be abandoned at the deadline. A hung attempt keeps its
# thread until its client gives up, so the pool is bounded rather than one thread per call.
_ATTEMPTS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="guardrail-llm")


class LLMNeedClassifier:
    """Classify a message with an LLM. Build it with `from_openai` or `from_langchain`.

    It waits on the network, so `Guardrail.acheck` runs it off the event loop
    (`blocking_io`).

    Args:
        backend: called with (system prompt, customer text); returns the model's JSON text (or
            an `LLMVerdict`), or raises. Transient failures must raise `_Transient` (the
            factories map their library's errors).
        need_states: the registry's need-states; any other answer is malformed.
        deadline: total seconds for all attempts.
        max_attempts: attempts at most, within the deadline.
    """

    blocking_io = True

    def __init__(
        self,
        backend: Backend,
        need_states: Sequence[str],
        *,
        deadline: float = 8.0,
        max_attempts: int = 5,
        prompt: str | None = None,
    ) -> None:
        self._backend = backend
        self._need_states = list(need_states)
        self._deadline = deadline
        self._max_attempts = max_attempts
        template = prompt or (default_prompts_dir() / "need_classifier.md").read_text("utf-8")
        self.system_prompt = Template(template).substitute(
            need_states=", ".join(self._need_states), risks=", ".join(RISK_KINDS)
        )

    # -- factories -----------------------------------------------------------------------------

    @classmethod
    def from_openai(
        cls,
        client: Any,
        need_states: Sequence[str],
        *,
        model: str = "gpt-4o-mini",
        deadline: float = 8.0,
        max_attempts: int = 5,
    ) -> LLMNeedClassifier:
        """Use an `openai.OpenAI` client (give it ``max_retries=0`` and a per-request timeout:
        retries and the deadline are handled here)."""
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from guardrail._install import pip_hint

            raise ImportError(f"the OpenAI classifier needs: {pip_hint('llm')}") from exc

        schema = {"name": "need_state", "schema": LLMVerdict.model_json_schema(), "strict": True}
        call = openai_backend(
            client, model, {"type": "json_schema", "json_schema": schema}, openai_module=openai
        )
        return cls(call, need_states, deadline=deadline, max_attempts=max_attempts)

    @classmethod
    def from_langchain(
        cls,
        chat_model: Any,
        need_states: Sequence[str],
        *,
        deadline: float = 8.0,
        max_attempts: int = 5,
    ) -> LLMNeedClassifier:
        """Use any LangChain chat model through ``with_structured_output(LLMVerdict)``."""
        call = langchain_backend(chat_model.with_structured_output(LLMVerdict))
        return cls(call, need_states, deadline=deadline, max_attempts=max_attempts)

    # -- classification ------------------------------------------------------------------------

    def classify(self, text: str) -> LLMVerdict:
        """The verdict for `text`, after retries.

        Raises:
            LLMError: a subclass saying why no usable verdict came back.
        """
        raw = call_with_retries(
            self._backend, self.system_prompt, text,
            deadline=self._deadline, max_attempts=self._max_attempts,
        )
        return self._parse(raw)

    def _parse(self, raw: Any) -> LLMVerdict:
        try:
            if isinstance(raw, LLMVerdict):
                verdict = raw
            elif isinstance(raw, BaseModel):
                verdict = LLMVerdict.model_validate(raw.model_dump())
            elif isinstance(raw, dict):
                verdict = LLMVerdict.model_validate(raw)
            elif isinstance(raw, str):
                verdict = LLMVerdict.model_validate(json.loads(raw))
            else:
                raise LLMMalformedError(f"unexpected LLM output type {type(raw).__name__}")
        except (ValueError, ValidationError) as exc:
            raise LLMMalformedError(f"the LLM output is not the expected JSON: {exc}") from None
        if verdict.need_state not in self._need_states:
            raise LLMMalformedError(f"unknown need-state {verdict.need_state!r} from the LLM")
        return verdict

    def predict_message(
        self, text: str, words: Sequence[str], rule_codes: Sequence[str]
    ) -> NeedPrediction:
        """The engine's entry point: the LLM reads the raw text."""
        return self.predict_text(text)

    def predict_text(self, text: str) -> NeedPrediction:
        """The verdict as a `NeedPrediction` (the engine's view of any need classifier).

        The probabilities put `confidence` on the named need and spread the rest evenly; a
        named risk becomes the handoff score (its confidence), "none" a score of 0.
        """
        verdict = self.classify(text)
        rest = (1.0 - verdict.confidence) / max(len(self._need_states) - 1, 1)
        probabilities = {
            state: verdict.confidence if state == verdict.need_state else rest
            for state in self._need_states
        }
        handoff = verdict.confidence if verdict.risk_kind != "none" else 0.0
        return NeedPrediction(probabilities=probabilities, handoff=handoff,
                              risk_kind=None if verdict.risk_kind == "none" else verdict.risk_kind,
                              source="llm")


# -- shared by every LLM use (the need classifier, the handoff narrative) -----------------------


def call_with_retries(
    backend: Backend, system: str, text: str, *, deadline: float, max_attempts: int
) -> Any:
    """`backend(system, text)`, retried on transient failures until `deadline` seconds.

    Jittered exponential backoff; at most `max_attempts` attempts.

    Raises:
        LLMTimeoutError / LLMUnavailableError: still failing at the deadline.
        LLMError: whatever non-transient error the backend raised.
    """
    try:
        import tenacity
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from guardrail._install import pip_hint

        raise ImportError(f"LLM calls need: {pip_hint('llm')}") from exc

    ends = time.monotonic() + deadline
    last: list[_Transient] = []  # the latest transient failure, which names the outcome

    def attempt(system: str, text: str) -> Any:
        remaining = ends - time.monotonic()
        if remaining <= 0:  # the back-off used up the deadline: fail as the last attempt did
            raise last[-1] if last else _Transient(True, f"the {deadline:g} s deadline passed")
        context = contextvars.copy_context()
        context.run(_ATTEMPT_BUDGET.set, remaining)
        future = _ATTEMPTS.submit(context.run, backend, system, text)
        try:
            return future.result(timeout=remaining)
        except FutureTimeout:
            future.cancel()
            last.append(_Transient(True, f"no answer within the {deadline:g} s deadline"))
        except _Transient as exc:
            last.append(exc)
        raise last[-1]

    backoff = tenacity.wait_random_exponential(multiplier=0.1, max=2.0)

    def wait(state: tenacity.RetryCallState) -> float:
        # never sleep past the deadline: the next attempt then fails at once as timed out
        return max(0.0, min(backoff(state), ends - time.monotonic()))

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(deadline) | tenacity.stop_after_attempt(max_attempts),
        wait=wait,
        retry=tenacity.retry_if_exception_type(_Transient),
        reraise=True,
    )
    try:
        return retrying(attempt, system, text)
    except _Transient as exc:
        error = LLMTimeoutError if exc.timeout else LLMUnavailableError
        raise error(f"no answer before the deadline: {exc}") from None


def openai_backend(
    client: Any, model: str, response_format: Any = None, *, openai_module: Any = None
) -> Backend:
    """A backend calling ``client.chat.completions.create``, its errors mapped for retrying."""
    if openai_module is None:
        try:
            import openai as openai_module
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from guardrail._install import pip_hint

            raise ImportError(f"OpenAI calls need: {pip_hint('llm')}") from exc
    sdk = openai_module

    def call(system: str, text: str) -> Any:
        extra: dict[str, Any] = {} if response_format is None else {
            "response_format": response_format}
        budget = _ATTEMPT_BUDGET.get()
        if budget is not None:  # the request may take no longer than the deadline leaves
            extra["timeout"] = budget
        try:
            response = client.chat.completions.create(
                model=model,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": text}],
                temperature=0,
                **extra,
            )
        except sdk.APITimeoutError as exc:
            raise _Transient(True, str(exc)) from exc
        except sdk.APIConnectionError as exc:
            raise _Transient(False, str(exc)) from exc
        except sdk.RateLimitError as exc:
            raise _Transient(False, str(exc)) from exc
        except sdk.APIStatusError as exc:
            if exc.status_code >= 500:
                raise _Transient(False, str(exc)) from exc
            raise LLMUnavailableError(f"LLM request rejected ({exc.status_code})") from exc
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise LLMRefusedError("the model refused to answer")
        return message.content

    return call


def langchain_backend(runnable: Any) -> Backend:
    """A backend invoking a LangChain runnable with (system, human) messages."""

    def call(system: str, text: str) -> Any:
        try:
            return runnable.invoke([("system", system), ("human", text)])
        except (TimeoutError, ConnectionError) as exc:
            raise _Transient(isinstance(exc, TimeoutError), str(exc)) from exc
        except Exception as exc:
            status = getattr(exc, "status_code", None)
            if status == 429 or (isinstance(status, int) and status >= 500):
                raise _Transient(False, str(exc)) from exc
            raise

    return call
