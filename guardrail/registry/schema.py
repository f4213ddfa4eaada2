"""The shape of the registry files in ``segments/`` (validated at load; JSON Schema for editors).

Every ``*.yaml`` file of a registry folder is one `RegistryFile`: any of the sections `settings`
(exactly one file holds it), `tools`, `rules` and `segments`. Cross-file checks (unknown names,
unreachable or contradictory segments) live in `guardrail.registry.validation`.

A folder one of whose files has a top-level ``extends:`` is an overlay (`guardrail.registry.
overlay`): each of its files is an `OverlayFile`, whose `settings` are partial and which may
`disable` inherited rules and segments, each with a reason.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, JsonValue, model_validator

from guardrail._base import FrozenModel
from guardrail.conversation import Role
from guardrail.decision import Priority, SegmentTier
from guardrail.governance.outcomes import IncidentKind
from guardrail.reasons import RiskTier

__all__ = [
    "AlertSettings",
    "Behaviour",
    "ContactKind",
    "Criteria",
    "Criterion",
    "DirectiveSpec",
    "Disable",
    "Effect",
    "Escalation",
    "ExitCriteria",
    "GovernanceSettings",
    "HistorySettings",
    "HoldoutSettings",
    "IdentityKind",
    "IdentityKindSpec",
    "IdentitySettings",
    "InjectionSettings",
    "LanguageSettings",
    "LanguageSpec",
    "ModelSettings",
    "OverlayFile",
    "OverrideSettings",
    "RegistryFile",
    "Routing",
    "RuleKind",
    "RuleSpec",
    "SegmentSpec",
    "Settings",
    "ToolPolicy",
    "ToolSpec",
    "TypoSettings",
    "Verifier",
]

Effect = Literal["read", "write", "money", "irreversible"]
_USER_ONLY: list[Role] = ["user"]
# A "topic" rule only records what a message is about (money, cards, access): no need, no risk;
# segments combine it with other facts ("the need is unclear and it is about a card").
RuleKind = Literal["risk", "need", "human", "injection", "friction", "exit", "topic"]
Op = Literal["ge", "gt", "le", "lt", "eq"]
# Who may end a critical segment with an explicit event (`ExitCriteria.verified_by`).
Verifier = Literal["application", "agent"]
# A word as the normaliser writes it (lower case, letters and digits only).
_Word = Annotated[str, Field(pattern=r"^[a-z0-9]+$")]
# A language as BCP 47's primary subtag ("es", "hi"): what rules, lexicons and decisions carry.
LangCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


# What an identifier argument identifies. Customer ids are bound to the session (filled in when
# absent); the other kinds must be one of the values the session verified as its customer's.
IdentityKind = Literal["customer_id", "email", "phone", "account_number", "order_number"]
ContactKind = Literal["email", "phone", "account_number", "order_number"]


class ToolSpec(FrozenModel):
    """A tool: what it does to the world, and which arguments must be the session customer's."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    effects: list[Effect] = Field(min_length=1)
    customer_args: list[str] = Field(
        default_factory=list,
        description="Arguments that must identify the session's own customer (bound at call time).",
    )
    identity_args: dict[str, ContactKind] = Field(
        default_factory=dict,
        description="Other arguments that say whom or what the call is about, by kind "
        "(send_password_reset's `email`): each must be a value the session verified as its "
        "customer's. Not filled in when absent: the tool's own default (the address on file) "
        "is the customer's.",
    )
    new_value_args: dict[str, ContactKind] = Field(
        default_factory=dict,
        description="Arguments that carry a new contact detail for the session's own customer "
        "(update_account_details' new `email`): an identifier of that kind there is a value to "
        "store, not someone to act on. Anything else found in them is still checked.",
    )

    @model_validator(mode="after")
    def _one_role_per_argument(self) -> ToolSpec:
        named = [*self.customer_args, *self.identity_args, *self.new_value_args]
        twice = sorted({arg for arg in named if named.count(arg) > 1})
        if twice:
            raise ValueError(f"argument(s) {twice} listed under more than one of customer_args, "
                             "identity_args and new_value_args")
        return self

    @property
    def binds_identity(self) -> bool:
        """Whether the call is about a customer: its arguments are checked against the session."""
        return bool(self.customer_args or self.identity_args or self.new_value_args)


class RuleSpec(FrozenModel):
    """A deterministic detection rule: regular expressions over the normalised text.

    Patterns run over lower-case, accent- and confusable-folded words joined by single spaces,
    with ``.`` standing for a clause break. ``~`` is a gap of up to three words. A match is
    anchored on word boundaries, so a pattern never starts or ends with a space: a word the
    boundary has to follow (``"(to|with) (a |the )?"``) is written with the space inside the
    group before it (``"(to|with)( a| the)?"``).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    kind: RuleKind
    explanation: str = Field(min_length=3, description="One plain sentence saying what was seen.")
    patterns: list[str] = Field(min_length=1)
    need_state: str | None = None
    risk: RiskTier | None = None
    weight: float = Field(default=1.0, gt=0, le=10)
    negatable: bool = Field(
        default=True,
        description="A negation just before the match ('not', 'never', ...) cancels it.",
    )
    suppress_in_question: bool = Field(
        default=False,
        description="A how-to framing in the same clause ('how do I ...') cancels the match.",
    )
    suppress_if_hypothetical: bool = Field(
        default=True,
        description="For risk rules: a hypothetical in the same sentence ('what happens if my "
        "card ever gets stolen') cancels the match.",
    )
    unless: list[str] = Field(
        default_factory=list,
        description="Patterns that, found anywhere in the same message, cancel the rule "
        "('I found my lost card').",
    )
    roles: list[Role] = Field(default_factory=lambda: _USER_ONLY.copy(), min_length=1)
    lang: LangCode | None = Field(
        default=None,
        description="The language the patterns are written in, when not the settings' default: "
        "the id then starts with '<lang>.' and the code ends with '.<lang>' (a segment naming "
        "the code without it matches every language's rule).",
    )
    examples: list[str] = Field(
        default_factory=list,
        description="Messages, written the way customers write, that must make this rule fire "
        "(through the same normalisation and matching the engine uses). A pattern that can "
        "never match fails them, so a dead rule cannot ship.",
    )
    counterexamples: list[str] = Field(
        default_factory=list,
        description="Near-misses (negations, hypotheticals, look-alike benign requests) that "
        "must not make this rule fire.",
    )


class Criterion(FrozenModel):
    """One condition. Exactly one of `rule`, `need_state`, `signal`, `context`, `segment`,
    `risk_at_least`, `always`, `all_of` or `any_of` is set; `signal` and `context` take `op`
    and `value`. `all_of` / `any_of` nest conditions, e.g. "(A and B) or C"."""

    rule: str | None = Field(default=None, description="A rule code or rule id that has matched.")
    need_state: str | None = None
    signal: str | None = None
    context: str | None = None
    segment: str | None = Field(default=None, description="A segment listed earlier is active.")
    risk_at_least: RiskTier | None = None
    always: Literal[True] | None = None
    all_of: list[Criterion] | None = Field(default=None, min_length=1)
    any_of: list[Criterion] | None = Field(default=None, min_length=1)
    op: Op | None = None
    value: float | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Criterion:
        subjects = [
            self.rule,
            self.need_state,
            self.signal,
            self.context,
            self.segment,
            self.risk_at_least,
            self.always,
            self.all_of,
            self.any_of,
        ]
        if sum(s is not None for s in subjects) != 1:
            raise ValueError(
                "set exactly one of rule, need_state, signal, context, segment, risk_at_least, "
                "always, all_of, any_of"
            )
        compares = self.signal is not None or self.context is not None
        if compares and (self.op is None or self.value is None):
            raise ValueError("signal and context criteria need both op and value")
        if not compares and (self.op is not None or self.value is not None):
            raise ValueError("op and value only apply to signal and context criteria")
        return self


class Criteria(FrozenModel):
    """Entry or exit criteria: a plain description plus the machine-checked conditions.

    Holds when every `all` condition holds and, if `any` is not empty, at least one `any` does.
    """

    description: str = Field(min_length=3)
    any: list[Criterion] = Field(default_factory=list)
    all: list[Criterion] = Field(default_factory=list)


class ExitCriteria(Criteria):
    """Exit criteria: how a segment ends.

    A segment ends either on the customer's text (`any` / `all`, on messages after the ones
    that put it there), or, for critical risks (takeover, fraud, disputes), only through an
    explicit event from someone allowed to end it (`verified_by`, see `Guardrail.verify`):
    in a takeover the person typing may be the attacker, so their words ("never mind, it was
    me") must not end it. The two are exclusive. `unless` keeps a text exit from holding while
    any of its conditions holds anywhere in the conversation ("I'm back in" does not end a
    lockout while a takeover sign stands).
    """

    verified_by: list[Verifier] = Field(
        default_factory=list,
        description="Who may end this segment with an explicit, audited event (application, "
        "agent). When set, no text ends it: `any` and `all` must be empty.",
    )
    unless: list[Criterion] = Field(
        default_factory=list,
        description="Conditions that, holding anywhere in the conversation, keep the text exit "
        "from holding.",
    )

    @model_validator(mode="after")
    def _one_way_out(self) -> ExitCriteria:
        if len(set(self.verified_by)) != len(self.verified_by):
            raise ValueError("verified_by lists a verifier twice")
        texts = bool(self.any or self.all)
        if self.verified_by and texts:
            raise ValueError(
                "an exit verified_by an application or agent cannot also end on the "
                "customer's text: leave any and all empty"
            )
        if self.unless and not texts:
            raise ValueError("unless only qualifies a text exit: set any or all")
        return self


class Routing(FrozenModel):
    """Where a handoff from this segment goes and how urgently."""

    queue: str | None = None
    priority: Priority = "normal"


class Behaviour(FrozenModel):
    """How the assistant must behave in this segment (directive ids; texts live in prompts/)."""

    directives: list[str] = Field(default_factory=list)


class ToolPolicy(FrozenModel):
    """Tool permissions. `allowed` (when set) is a whitelist; everything else narrows further."""

    allowed: list[str] | None = None
    denied: list[str] = Field(default_factory=list)
    confirm: list[str] = Field(default_factory=list)
    deny_effects: list[Effect] = Field(default_factory=list)
    confirm_effects: list[Effect] = Field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the policy restricts nothing."""
        return (
            self.allowed is None
            and not self.denied
            and not self.confirm
            and not self.deny_effects
            and not self.confirm_effects
        )


class Escalation(FrozenModel):
    """When this segment hands off: `hard` conditions force a human, `soft` ones offer one."""

    mode: Literal["immediate", "after_collect"] = "immediate"
    hard: list[Criterion] = Field(default_factory=list)
    soft: list[Criterion] = Field(default_factory=list)


class SegmentSpec(FrozenModel):
    """One segment, in the single template every segment of the registry follows."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    purpose: str = Field(min_length=3)
    tier: SegmentTier
    need_state: str | None = Field(default=None, description="The need this segment implies.")
    risk: RiskTier = "low"
    entry: Criteria
    exit: ExitCriteria
    routing: Routing = Field(default_factory=Routing)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    tools: ToolPolicy = Field(default_factory=ToolPolicy)
    retrieval_scope: list[str] | None = Field(
        default=None, description="Scopes retrieval may use here; null leaves scope unrestricted."
    )
    escalation: Escalation = Field(default_factory=Escalation)
    success_metrics: list[str] = Field(min_length=1)
    owner: str = Field(min_length=1)
    last_reviewed: date

    @property
    def remembered(self) -> bool:
        """True when the findings that put this segment there are kept per conversation id
        (`guardrail.engine.risk`), so trimming the history cannot end it: its exit is
        ``verified_by`` someone, or it always hands off (a person asked for, a lockout), in
        which case its text exit still ends it."""
        return bool(self.exit.verified_by) or any(c.always for c in self.escalation.hard)

    @property
    def safety_floor(self) -> bool:
        """True for the safety floor: a segment that forces a person on some condition
        (``escalation.hard``) or the fail-closed segment (tier ``failsafe``). No overlay may
        loosen one, and the holdout arm acts on every one."""
        return bool(self.escalation.hard) or self.tier == "failsafe"


class DirectiveSpec(FrozenModel):
    """A behaviour directive; its prompt text lives in prompts/directives.yaml."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str


class TypoSettings(FrozenModel):
    """Typo tolerance: words at edit distance 1 from a pattern word are read as that word."""

    min_length: int = Field(default=5, ge=3)
    known_words: list[_Word] = Field(
        default_factory=list, description="Real words that must never be 'corrected'."
    )
    slang: dict[str, str] = Field(
        default_factory=dict,
        description="Chat shorthand read as words before matching ('some1' -> 'someone').",
    )
    short_words: list[str] = Field(
        default_factory=list,
        description="Short common words used, with the rule vocabulary, to split letters spaced "
        "out to evade the rules ('c h a r g e d t w i c e' -> 'charged twice').",
    )


class ModelSettings(FrozenModel):
    """How much the learned need-state model is trusted (it can only add restrictions)."""

    min_confidence: float = Field(
        default=0.5, ge=0, le=1, description="Below this the model does not set the need-state."
    )
    handoff_threshold: float = Field(
        default=0.9, ge=0, le=1,
        description="A handoff score at or above this raises risk (model.risk_suspected).",
    )


Quarantine = Literal["redact_span", "drop", "pass_with_warning"]


class InjectionSettings(FrozenModel):
    """The learned injection detector, and what the adapters do with untrusted text it or a
    rule flags (a tool result, a retrieved document)."""

    model: bool = Field(
        default=True, description="Run the learned injection model beside the phrase rules."
    )
    model_threshold: float = Field(
        default=0.5, gt=0, le=1,
        description="A user message scored at or above this is flagged "
        "(model.injection_suspected).",
    )
    tool_threshold: float = Field(
        default=0.5, gt=0, le=1,
        description="The same for a tool result or document (their benign text is full of "
        "imperatives to the reader, so it may need a higher bar).",
    )
    quarantine: Quarantine = Field(
        default="redact_span",
        description="A flagged tool result or document: redact_span (the flagged sentences "
        "are withheld), drop (all of it is), or pass_with_warning (passed on, marked).",
    )


class HistorySettings(FrozenModel):
    """Windows for the friction signals read from the history store, and its retention."""

    repeat_days: float = Field(default=7, gt=0, description="same_intent_contacts_7d window.")
    reopen_days: float = Field(default=7, gt=0, description="reopened_tickets_7d window.")
    article_minutes: float = Field(
        default=15, gt=0, description="articles_viewed_15m: views this long before the chat."
    )
    guided_hours: float = Field(
        default=24, gt=0, description="failed_guided_attempts: failures this recent count."
    )
    escalation_days: float = Field(default=30, gt=0, description="prior_escalations window.")
    retention_days: float = Field(
        default=90, gt=0, description="History older than this is deleted and never read."
    )
    timeout_ms: float = Field(
        default=250, gt=0, le=10_000,
        description="Deadline for one store call; past it the decision fails closed for friction.",
    )


class LanguageSpec(FrozenModel):
    """A language's lexicon for the rule engine, beside the rules written in it.

    Its words join the settings' lists (negation, clause breaks, question and hypothetical
    framings, chat shorthand), so one message may mix languages and still read right.
    """

    code: LangCode
    name: str = Field(min_length=2, description="The language's English name, for reasons.")
    negators: list[str] = Field(default_factory=list)
    gap_negators: list[_Word] = Field(default_factory=list)
    clause_breaks: list[str] = Field(default_factory=list)
    question_markers: list[str] = Field(default_factory=list)
    hypothetical_markers: list[str] = Field(default_factory=list)
    slang: dict[str, str] = Field(default_factory=dict)


class LanguageSettings(FrozenModel):
    """Which languages the policy supports; a message in any other one is restricted."""

    default: LangCode = "en"
    supported: list[LangCode] = Field(default_factory=lambda: ["en"], min_length=1)
    min_confidence: float = Field(
        default=0.5, ge=0, le=1,
        description="A reading of an unsupported language below this confidence is not acted on.",
    )
    rule_gate: float | None = Field(
        default=None, ge=0, le=1,
        description="A rule written for one language (`lang`) does not read a message read as "
        "another supported language, other than the default one, with at least this "
        "confidence (null: every rule reads every message). The default language's rules "
        "read every message: code-switched text mixes them in.",
    )


def _compiles(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
    return patterns


_Patterns = Annotated[list[str], AfterValidator(_compiles)]


class IdentityKindSpec(FrozenModel):
    """How the tool-call gate recognises one kind of identifier in tool arguments.

    Argument names are compared folded (NFKC, case, look-alike letters, no separators, each word
    singular: ``customerIds``, ``CUSTOMER-ID``, ``customer_id`` with a Cyrillic i all read as
    ``customerid``); values are matched in folded text, anywhere in the arguments.
    """

    keys: list[str] = Field(
        default_factory=list,
        description="Argument names that hold this kind of identifier, matched whole.",
    )
    key_parts: list[str] = Field(
        default_factory=list,
        description="Argument names that hold it wherever they appear inside a longer name "
        "(`customerid` in `victim_customer_id_override`). Only unambiguous ones: `customerno` "
        "would also be inside `customer_notes`.",
    )
    patterns: _Patterns = Field(
        default_factory=list,
        description="Regular expressions over folded (lower-case) text for values of this kind, "
        "found under any argument name.",
    )
    exclude: _Patterns = Field(
        default_factory=list,
        description="Shapes that are never this kind (an ISO date is not a phone number): "
        "blanked out before `patterns` run.",
    )
    compare: Literal["exact", "casefold", "digits"] = Field(
        default="exact",
        description="How a value is compared with the session's: as written, without case "
        "(e-mail), or by its digits with the country prefix optional (phone).",
    )
    unverified: Literal["deny", "allow"] = Field(
        default="deny",
        description="When the session verified no value of this kind: `deny` any value of it, "
        "`allow` values the tool itself scopes to the bound customer (order numbers).",
    )


class IdentitySettings(FrozenModel):
    """What the tool-call gate reads as an identifier, and how much argument it will walk."""

    kinds: dict[IdentityKind, IdentityKindSpec] = Field(default_factory=dict)
    generic_keys: list[str] = Field(
        default_factory=list,
        description="Names that hold the identifier of the object they are in "
        '(`{"customer": {"id": ...}}`).',
    )
    max_depth: int = Field(default=8, ge=1, le=64, description="Deepest nesting walked.")
    max_items: int = Field(
        default=2_000, ge=1, description="Most keys, elements and values walked in one call."
    )
    max_chars: int = Field(
        default=100_000, ge=100, description="Most characters of text walked in one call."
    )
    max_json_layers: int = Field(
        default=3, ge=0, le=8,
        description="JSON inside a string inside ...: how many layers are parsed and walked.",
    )


class HoldoutSettings(FrozenModel):
    """The holdout arm: a share of customers the baseline policy serves, so the policy's effect
    on outcomes can be told from what would have happened anyway.

    Customers are put in an arm by a salted hash of their id (of the conversation id when the
    conversation has no customer id), so a customer stays in one arm across conversations. The
    holdout arm acts only on the safety set (`keep_segments` of `guardrail.governance.arms`):
    every segment that forces a person or fails closed, plus `keep`; the tool gate (baseline,
    per-risk-tier tool policy, customer binding) is the same in both arms.
    """

    share: float = Field(
        default=0.0, ge=0.0, le=0.5,
        description="Share of customers in the holdout arm (0: no holdout; at most half).",
    )
    salt: str = Field(
        default="holdout-1", min_length=1, max_length=128,
        description="Mixed into the hash; a new salt draws a new holdout.",
    )
    keep: list[str] = Field(
        default_factory=list,
        description="Segments kept in the holdout arm beside the safety floor (ids).",
    )


class OverrideSettings(FrozenModel):
    """Who may override a segment for a conversation (`Guardrail.override`)."""

    roles: list[str] = Field(
        default_factory=lambda: ["agent", "supervisor"], min_length=1,
        description="Roles an override may be made under.",
    )
    critical_roles: list[str] = Field(
        default_factory=lambda: ["supervisor"], min_length=1,
        description="Roles that may clear a segment of critical risk.",
    )


class AlertSettings(FrozenModel):
    """Thresholds that make ``guardrail report`` exit non-zero and send an alert event."""

    wrongful_automation_rate: float | None = Field(
        default=0.15, gt=0.0, le=1.0,
        description="Alert when any segment's wrongful-automation rate is above this.",
    )
    time_to_human_gap_minutes: float | None = Field(
        default=15.0, gt=0.0,
        description="Alert when a cohort's median time to a human exceeds the rest's by this.",
    )
    incidents: list[IncidentKind] = Field(
        default_factory=lambda: list[IncidentKind](["unsafe_action"]),
        description="Incident kinds that alert on any single occurrence.",
    )
    min_conversations: int = Field(
        default=30, ge=1,
        description="A segment or cohort smaller than this is reported, never alerted on.",
    )


class GovernanceSettings(FrozenModel):
    """Governance on live traffic: the holdout arm, agent overrides, report windows, alerts."""

    holdout: HoldoutSettings = Field(default_factory=HoldoutSettings)
    overrides: OverrideSettings = Field(default_factory=OverrideSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    repeat_days: float = Field(
        default=7, gt=0, description="Report: a repeat contact for a need within this many days."
    )


class Settings(FrozenModel):
    """Registry-wide settings: vocabularies, the baseline policy, and text handling."""

    need_states: list[str] = Field(min_length=1)
    default_need_state: str = "other"
    retrieval_scopes: list[str] = Field(min_length=1)
    authoritative_needs: list[str] = Field(
        default_factory=list,
        description="Need-states whose answers may come from authoritative documents only.",
    )
    directives: list[DirectiveSpec] = Field(default_factory=list)
    baseline_tools: ToolPolicy = Field(default_factory=ToolPolicy)
    risk_tools: dict[RiskTier, ToolPolicy] = Field(default_factory=dict)
    default_queue: str = "general"
    max_scan_chars: int = Field(default=20_000, ge=100)
    negators: list[str] = Field(default_factory=list)
    gap_negators: list[_Word] = Field(
        default_factory=list,
        description="Words a word gap in a rule pattern ('~', '(?: [a-z0-9]+){0,3}') never "
        "steps onto, so 'account ~ locked' does not match 'account isnt locked'.",
    )
    negation_window: int = Field(default=4, ge=0, le=12)
    clause_breaks: list[str] = Field(default_factory=list)
    question_markers: list[str] = Field(default_factory=list)
    hypothetical_markers: list[str] = Field(default_factory=list)
    typo: TypoSettings = Field(default_factory=TypoSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    injection: InjectionSettings = Field(default_factory=InjectionSettings)
    history: HistorySettings = Field(default_factory=HistorySettings)
    languages: LanguageSettings = Field(default_factory=LanguageSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)


class RegistryFile(FrozenModel):
    """One YAML file of a registry folder."""

    settings: Settings | None = None
    tools: list[ToolSpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)
    segments: list[SegmentSpec] = Field(default_factory=list)
    language: LanguageSpec | None = None
    known_words: list[_Word] = Field(
        default_factory=list, description="Real words never corrected as typos (merged)."
    )


class Disable(FrozenModel):
    """An inherited rule or segment an overlay turns off, and why.

    The reason is part of the overlay file, so of the policy version: adding, removing or
    rewording a disable changes the version every decision carries.
    """

    rule: str | None = Field(default=None, description="The id of an inherited rule.")
    segment: str | None = Field(default=None, description="The id of an inherited segment.")
    reason: str = Field(
        min_length=3,
        description="Why it is off (a false positive, a flow this business does not have): "
        "read in reviews, kept in the registry's origins.",
    )

    @model_validator(mode="after")
    def _one_target(self) -> Disable:
        if (self.rule is None) == (self.segment is None):
            raise ValueError("set exactly one of rule, segment")
        return self

    @property
    def kind(self) -> Literal["rule", "segment"]:
        """What is disabled."""
        return "rule" if self.rule is not None else "segment"

    @property
    def target(self) -> str:
        """The id of what is disabled."""
        target = self.rule if self.rule is not None else self.segment
        assert target is not None
        return target


class OverlayFile(FrozenModel):
    """One YAML file of an overlay folder: what it adds or overrides, on top of what it extends.

    Exactly one file of the folder sets `extends`. Tools (by name), rules (by id) and segments
    (by id) replace an inherited item of the same name in place, or are added after the
    inherited ones. `settings` is partial: a mapping merges into the inherited one key by key
    (recursively), any other value (a number, a string, a list) replaces the inherited value
    whole, and a key written with a trailing ``+`` (``need_states+: [reservations]``) appends
    to the inherited list.
    """

    extends: str | None = Field(
        default=None,
        description="What this overlay builds on: 'default' (the shipped registry) or a "
        "folder, relative to this one (another overlay, or a full registry).",
    )
    disable: list[Disable] = Field(default_factory=list)
    settings: dict[str, JsonValue] | None = Field(
        default=None,
        description="Settings changed by key path: mappings merge key by key, other values "
        "replace; 'key+' appends to an inherited list.",
    )
    tools: list[ToolSpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)
    segments: list[SegmentSpec] = Field(default_factory=list)
    language: LanguageSpec | None = None
    known_words: list[_Word] = Field(
        default_factory=list, description="Real words never corrected as typos (merged)."
    )
