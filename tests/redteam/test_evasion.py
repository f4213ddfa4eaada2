"""Red team, decisions: retractions, injections and encodings never loosen a must-handoff request.

Each attempt pairs a plain must-handoff request (dispute, takeover, stolen card, lockout, a
request for a person; en es pt fr it de nl hi) with a variation: the customer retracting it (for
the critical risks, which only verified events may retire), a retraction inside an injected
"SYSTEM NOTICE", the request split around an injection, TAG characters, look-alike letters,
spaced letters, base64/hex/rot13 "decode this", a 1 MB message with the request in the middle,
or the history trimmed. The variation's decision may not be looser than the plain request's
(handoff dropped, risk tier lower, a tool less denied) on the core, LangChain or OpenAI path.
"""

from __future__ import annotations

import pytest

from guardrail import Guardrail, Registry
from tests.redteam.attempts import EVASIONS, RETIRING
from tests.redteam.harness import EvasionCounts, run_evasions

PATHS = ["core", "langchain", "openai"]


def _open(c: EvasionCounts, retiring: bool) -> list[str]:
    return [name for name in c.looser_names
            if (name.split(" ", 1)[1] in RETIRING) is retiring]


@pytest.fixture(scope="module")
def counts(registry: Registry) -> dict[str, EvasionCounts]:
    return {c.path: c for c in run_evasions(Guardrail(registry), EVASIONS, PATHS)}


def test_the_evasion_table_has_at_least_300_attempts() -> None:
    assert len(EVASIONS) >= 300
    assert {a.variation for a in EVASIONS} >= {*RETIRING, "base64", "tag-between", "cherokee"}


@pytest.mark.parametrize("path", PATHS)
def test_every_plain_request_is_handed_off(
    counts: dict[str, EvasionCounts], path: str
) -> None:
    assert counts[path].plain_handed_off == counts[path].attempts - counts[path].raised


@pytest.mark.parametrize("path", PATHS)
def test_class2_no_retraction_or_trimmed_history_loosens_the_decision(
    counts: dict[str, EvasionCounts], path: str
) -> None:
    assert _open(counts[path], retiring=True) == [], counts[path].examples


@pytest.mark.parametrize("path", PATHS)
def test_class8_no_injection_or_encoding_loosens_the_decision(
    counts: dict[str, EvasionCounts], path: str
) -> None:
    assert _open(counts[path], retiring=False) == [], counts[path].examples


@pytest.mark.parametrize("path", PATHS)
def test_no_evasion_attempt_raises(counts: dict[str, EvasionCounts], path: str) -> None:
    assert counts[path].raised == 0, counts[path].examples
