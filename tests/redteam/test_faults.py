"""Red team, faults: a failing disk or help desk never loses a handoff or breaks the turn.

On both adapters, a conversation makes a tool call and then asks for a person while the audit
file is ``/dev/full`` or under a regular file, the help desk sink raises, the webhook hangs, or
the spool ends in a torn line. The turn may not raise or hang, and the handoff must reach a
person: delivered, or spooled and delivered by the next replay.
"""

from __future__ import annotations

import pytest

from guardrail import Guardrail, Registry
from tests.redteam.attempts import FAULTS
from tests.redteam.harness import FaultCounts, run_faults


@pytest.fixture(scope="module")
def counts(registry: Registry) -> FaultCounts:
    return run_faults(lambda: Guardrail(registry))


def test_every_fault_is_tried_on_both_adapters(counts: FaultCounts) -> None:
    assert counts.attempts == 2 * len(FAULTS)


def test_class6_no_turn_raises_on_a_failing_disk_or_sink(counts: FaultCounts) -> None:
    assert counts.turns_raised == 0, counts.examples


def test_class7_no_handoff_is_lost(counts: FaultCounts) -> None:
    assert counts.handoffs_expected == counts.attempts
    assert counts.handoffs_lost == 0, counts.examples


def test_class10_no_turn_waits_on_a_hanging_peer(counts: FaultCounts) -> None:
    assert counts.turns_over_bound == 0, (counts.slowest_turn_s, counts.examples)
