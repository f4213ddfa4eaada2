"""Seeded fuzzing of handoff summaries: customer text built to break them, counted not raised.

Shared by `test_summary.py` (a few thousand cases) and one-off runs with more. Each case is a
conversation of one to three user messages drawn from the shapes that broke summaries before:
amounts and ids far longer than any field, money words before long digit runs, odd unicode
(combining marks, right-to-left, zero-width, emoji, private use) and, rarely, a 100 KB message.
"""

from __future__ import annotations

import random

from guardrail import Guardrail, Registry
from guardrail.conversation import Conversation
from guardrail.handoff.summary import HandoffSummary

__all__ = ["fuzz_builds", "nasty_text"]

_ODD = [chr(c) for c in (0x301, 0x200B, 0x200F, 0x202E, 0xFEFF, 0x1F4B8, 0xE000, 0x0915,
                         0x0627, 0x4E00, 0x00A0, 0x2028, 0xFF04, 0x20AC, 0x20B9, 0x00A5)]
_LEADS = ["I was charged twice, $", "you charged me ", "refund of €", "paid USD ", "Rs. ",
          "invoice INV-", "order #", "ticket ", "error code ", "iPhone ", "app version ",
          "card ending ", "on March ", "Bestellnummer ", "pedido nº ", "cobrado ",
          "I want a human "]


def nasty_text(rng: random.Random) -> str:
    """One customer message meant to break a summary."""
    shape = rng.random()
    if shape < 0.45:
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(30, 400)))
        if rng.random() < 0.3:
            digits = ",".join(digits[i:i + 3] for i in range(0, len(digits), 3))
        return rng.choice(_LEADS) + digits + rng.choice(["", " twice", ".00", " EUR", "k"])
    if shape < 0.75:
        tail = "".join(rng.choice(_ODD + list("aZ9-_./#")) for _ in range(rng.randint(20, 300)))
        return rng.choice(_LEADS) + tail
    if shape < 0.99:
        return " ".join(rng.choice(_LEADS) + str(rng.randint(0, 10**rng.randint(1, 60)))
                        for _ in range(rng.randint(1, 6)))
    return (rng.choice(_LEADS) + "9" * 50 + " ") * 1500  # about 100 KB


def fuzz_builds(n: int, *, seed: int, guard: Guardrail | None = None) -> tuple[int, int]:
    """Build `n` fuzzed handoff summaries; return (how many raised, n).

    A case counts as crashed if `HandoffSummary.build` or `to_markdown` raises. The decisions
    come from `guard` (default: the shipped registry, rules only).
    """
    rng = random.Random(seed)
    guard = guard or Guardrail(Registry.default(), need_model=None)
    crashed = 0
    for _ in range(n):
        texts = [nasty_text(rng) for _ in range(rng.randint(1, 3))]
        conversation = Conversation.model_validate({
            "messages": [{"role": "user", "content": t} for t in texts],
            "context": {"preferences": [nasty_text(rng)[:200]] if rng.random() < 0.2 else []},
        })
        decision = guard.check(conversation)
        try:
            HandoffSummary.build(decision, conversation).to_markdown()
        except Exception:
            crashed += 1
    return crashed, n
