"""A week of simulated live traffic with a known ground truth, for the governance report.

Conversations are real customer-style messages (several languages, domains and cohorts) played
through a real `Guardrail` with a history store and an audit log; what happened afterwards is
recorded as outcomes drawn from rates the simulation plants. Rates are applied *exactly*: in each
group, a seeded shuffle picks round(rate x size) conversations, so the report's figures can be
checked against the plan rather than against luck.

What a `Plan` can plant (`Truth` says what was planted):

* a segment that automates badly: automated conversations of `bad_segment` are reopened at
  `bad_rate` (every other automated conversation at `base_reopen`);
* a cohort with slower escalation: handed-off conversations of `slow_cohort` wait `slow_minutes`
  for the first human message (the others 2-8 minutes);
* a policy that helps: friction conversations (repeat contacts) reopen at `friction_policy` in
  the policy arm and `friction_holdout` in the holdout arm;
* a policy that hurts: automated conversations of `hurt_segment` reopen at `hurt_policy` in the
  policy arm and `hurt_holdout` in the holdout;
* `unsafe_actions` incidents of kind unsafe_action.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from guardrail import Guardrail
from guardrail.audit import AuditLog
from guardrail.conversation import Conversation
from guardrail.decision import Decision

# (need group, messages). Friction reuses the how-to messages with a repeat-contact signal.
MESSAGES: dict[str, Sequence[str]] = {
    "how_to": (
        "where can i change the language of the app",
        "How do I add a second user to our workspace?",
        "Wie kann ich meine Rechnungen als PDF herunterladen?",
        "hi, how to turn on two step login for my team pls",
        "Comment est-ce que je change mon adresse de livraison ?",
        "how do i set up voicemail on the new phone",
        "can i pause my subscription while travelling? how",
    ),
    "billing": (
        "Can you explain the charges on my last invoice?",
        "when is my next payment due",
        "why did my monthly price go up",
        "necesito una copia de mi factura de marzo",
        "what is this fee on my bill called roaming",
    ),
    "incident": (
        "The app is down for everyone in our office",
        "your website is not loading since this morning",
        "la aplicación no funciona desde esta mañana",
        "is there an outage? nothing loads",
        "checkout page keeps spinning, site seems broken",
    ),
    "dispute": (
        "I was charged twice for the same order, I want my money back",
        "There is a charge on my card I never made",
        "je conteste ce prélèvement, je n'ai jamais commandé ça",
        "you billed me for a flight i cancelled, i'm disputing it with my bank",
    ),
    "human": (
        "I want to talk to a real person please",
        "agent please",
        "can I speak to a human",
        "quiero hablar con una persona",
    ),
}
CHANNELS = ("chat", "email", "whatsapp")
REGIONS = ("EU", "NA", "APAC", "LATAM")
PLANS = ("free", "pro", "enterprise")


@dataclass(frozen=True)
class Plan:
    """What one simulated week holds and plants."""

    conversations: int = 1_200
    mix: dict[str, float] = field(default_factory=lambda: {
        "how_to": 0.25, "billing": 0.2, "incident": 0.17, "friction": 0.18, "dispute": 0.12,
        "human": 0.08})
    base_reopen: float = 0.04
    bad_segment: str | None = "incident"
    bad_rate: float = 0.40
    slow_cohort: tuple[str, str] | None = ("region", "APAC")
    slow_minutes: tuple[int, int] = (35, 50)
    friction_policy: float = 0.04
    friction_holdout: float = 0.25
    hurt_segment: str | None = "billing"
    hurt_policy: float = 0.14
    hurt_holdout: float = 0.0
    unsafe_actions: int = 1
    seed: int = 18


@dataclass
class Played:
    """One conversation as played: its id, customer, cohort, time, group and decision."""

    id: str
    customer: str
    cohort: dict[str, str]
    at: datetime
    group: str
    decision: Decision


@dataclass
class Truth:
    """What the simulation planted, to check the report against."""

    played: list[Played]
    reopened: set[str]
    handed_off: dict[str, float]  # conversation id -> minutes to the first human message

    def automated(self, pick: Callable[[Played], bool] = lambda p: True) -> list[Played]:
        return [p for p in self.played if not p.decision.handoff.required and pick(p)]


def _exact(rng: random.Random, items: Sequence[Played], rate: float) -> set[str]:
    """round(rate x len) of `items`, picked by a seeded shuffle."""
    chosen = list(items)
    rng.shuffle(chosen)
    return {p.id for p in chosen[: round(rate * len(chosen))]}


def simulate(guard: Guardrail, audit: AuditLog, start: datetime, plan: Plan,
             prefix: str = "c") -> Truth:
    """Play `plan` through `guard` from `start` over seven days, audit every decision, and
    record every outcome in the guard's store."""
    rng = random.Random(plan.seed)
    groups = [g for g, share in plan.mix.items() for _ in range(round(share * plan.conversations))]
    rng.shuffle(groups)
    step = timedelta(days=7) / max(len(groups), 1)
    played: list[Played] = []
    for n, group in enumerate(groups):
        cohort = {"channel": rng.choice(CHANNELS), "region": rng.choice(REGIONS),
                  "plan": rng.choice(PLANS)}
        customer = f"{prefix}-cus-{rng.randrange(10**9)}"
        at = start + step * n
        text = rng.choice(MESSAGES["how_to" if group == "friction" else group])
        conv = Conversation.model_validate({
            "id": f"{prefix}-{n:05d}", "at": at.isoformat(),
            "messages": [{"role": "user", "content": text}],
            "context": {"customer_id": customer, **cohort},
            "signals": {"same_intent_contacts_7d": 2} if group == "friction" else {},
        })
        decision = guard.check(conv)
        audit.decision(decision, conversation_id=str(conv.id), turn=1, at=at,
                       context=conv.context)
        played.append(Played(str(conv.id), customer, cohort, at, group, decision))
    return _outcomes(guard, rng, plan, played)


def _outcomes(guard: Guardrail, rng: random.Random, plan: Plan, played: list[Played]) -> Truth:
    truth = Truth(played, set(), {})
    automated = truth.automated()

    def segment(name: str | None) -> Callable[[Played], bool]:
        return lambda p: name is not None and (
            name in p.decision.segment_ids() or name in p.decision.held_out)

    bad, hurt = segment(plan.bad_segment), segment(plan.hurt_segment)
    friction = [p for p in automated if p.group == "friction"]
    for arm, rate in (("policy", plan.friction_policy), ("holdout", plan.friction_holdout)):
        truth.reopened |= _exact(rng, [p for p in friction if p.decision.arm == arm], rate)
    for arm, rate in (("policy", plan.hurt_policy), ("holdout", plan.hurt_holdout)):
        truth.reopened |= _exact(rng, [p for p in automated if hurt(p) and p.group != "friction"
                                       and p.decision.arm == arm], rate)
    truth.reopened |= _exact(rng, [p for p in automated if bad(p) and not hurt(p)
                                   and p.group != "friction"], plan.bad_rate)
    rest = [p for p in automated if not bad(p) and not hurt(p) and p.group != "friction"]
    truth.reopened |= _exact(rng, rest, plan.base_reopen)

    unsafe = set(rng.sample([p.id for p in automated], plan.unsafe_actions))
    for p in played:
        later = p.at + timedelta(hours=2)
        if p.decision.handoff.required:
            slow = plan.slow_cohort is not None and p.cohort.get(plan.slow_cohort[0]) == \
                plan.slow_cohort[1]
            low, high = plan.slow_minutes if slow else (2, 8)
            minutes = rng.uniform(low, high)
            truth.handed_off[p.id] = minutes
            guard.record_outcome(p.id, "handed_off", customer_id=p.customer, at=p.at,
                                 first_human_at=p.at + timedelta(minutes=minutes))
        if p.id in truth.reopened:
            guard.record_outcome(p.id, "reopened", customer_id=p.customer, at=later)
        else:
            guard.record_outcome(p.id, "resolved", customer_id=p.customer, at=later,
                                 first_contact=not p.decision.handoff.required)
        guard.record_outcome(p.id, "csat", customer_id=p.customer, at=later,
                             score=rng.choice((3, 4, 4, 5, 5)))
        if p.id in unsafe:
            guard.record_outcome(p.id, "incident", customer_id=p.customer, at=later,
                                 incident="unsafe_action", category="refund_without_check")
    return truth
