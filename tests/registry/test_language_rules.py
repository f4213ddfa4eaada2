"""Each supported language's rules: a message hands off (and enters the expected segment) or it
does not. The cases are written per language, in its own idiom, in `cases_<lang>.py` beside this
file (triggers and the look-alikes that must not trigger); the rules alone decide them.
"""

from __future__ import annotations

import pytest

from guardrail import Guardrail
from tests.conftest import make_conversation
from tests.registry import (
    cases_de,
    cases_en,
    cases_es,
    cases_fr,
    cases_hi,
    cases_it,
    cases_nl,
    cases_pt,
)

CASES = [
    pytest.param(message, handoff, segment, id=f"{module.__name__[-2:]}-{i}")
    for module in (cases_de, cases_en, cases_es, cases_fr, cases_hi, cases_it, cases_nl, cases_pt)
    for i, (message, handoff, segment) in enumerate(module.CASES)
]


@pytest.mark.parametrize(("message", "handoff", "segment"), CASES)
def test_a_message_hands_off_or_not(
    rules_guard: Guardrail, message: str, handoff: bool, segment: str | None
) -> None:
    decision = rules_guard.check(make_conversation(message))
    segments = decision.segment_ids()
    assert decision.handoff.required is handoff, (message, segments)
    if segment is not None:
        assert segment in segments, (message, segments)


def test_a_withdrawn_hindi_request_ends_the_handoff(rules_guard: Guardrail) -> None:
    asked = make_conversation("agent se baat karao", id="hi-withdraw")
    assert rules_guard.check(asked).handoff.required
    withdrawn = make_conversation(
        "agent se baat karao",
        {"role": "assistant", "content": "Zaroor, jod raha hoon."},
        "rehne do, khud hi kar liya. ab agent ki zarurat nahi",
        id="hi-withdraw",
    )
    decision = rules_guard.check(withdrawn)
    assert not decision.handoff.required
    assert "human_requested" not in decision.segment_ids()
