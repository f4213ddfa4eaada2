"""The scenario files of ``evals/scenarios/`` (format: ``evals/scenarios/README.md``).

A file holds a list of scenarios under ``scenarios:``. Loading is two passes, and both report
*every* problem with the file and the YAML path (``billing.yaml:scenarios[3].turns[1].expect.
segments[0]: unknown segment 'x'``) in one `ScenarioError`:

1. shape: each scenario is validated on its own against `Scenario` (``extra="forbid"``), so one
   bad scenario does not hide the problems of the next;
2. meaning: names checked against the registry (segments, need-states, tools, retrieval
   scopes), contradictions inside a scenario, the ``lang:`` tag, and ids unique across every
   file.

A scenario's *language* is its ``lang:<code>`` tag (a 2-3 letter lower-case code such as
``es`` or ``hi``; at most one per scenario), ``en`` when it has none. The eval measures every
metric per language (`guardrail.evals.metrics.by_language`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Final

from pydantic import AwareDatetime, Field, JsonValue, PrivateAttr, ValidationError, model_validator

from guardrail._base import FrozenModel
from guardrail._yaml import parse_yaml, validation_issues
from guardrail.conversation import Context, Signals
from guardrail.decision import Verdict
from guardrail.errors import RegistryIssue, ScenarioError
from guardrail.history import EventKind, EventOutcome
from guardrail.reasons import RISK_ORDER, RiskTier
from guardrail.registry import Registry
from guardrail.registry.schema import Verifier

__all__ = [
    "DEFAULT_LANGUAGE",
    "DEFAULT_SCENARIOS",
    "EVALS_DIR",
    "LANGUAGE_TAG",
    "HistoryEntry",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "ToolAttempt",
    "Turn",
    "TurnEvent",
    "TurnExpect",
    "language_of",
    "load_scenarios",
]

# The eval data is measurement, not part of the package: it sits at the root of the source tree
# (a checkout or an editable install), beside the package folder. Found from this file, so
# ``guardrail eval`` reads the same scenarios from whatever folder it is run in.
EVALS_DIR: Final = Path(__file__).resolve().parents[2] / "evals"
"""The ``evals/`` folder of the source tree guardrail runs from (absent from a wheel install)."""

DEFAULT_SCENARIOS: Final = EVALS_DIR / "scenarios"
"""Where `load_scenarios` looks when given no path."""

LANGUAGE_TAG: Final = "lang:"
"""The tag prefix naming a scenario's language: ``lang:<code>``."""

DEFAULT_LANGUAGE: Final = "en"
"""The language of a scenario with no ``lang:`` tag."""

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def language_of(tags: Iterable[str]) -> str:
    """The language a scenario's tags name: the first ``lang:<code>`` tag's code, else ``en``.

    (Loading rejects a scenario with more than one such tag or a malformed code.)
    """
    return next((t[len(LANGUAGE_TAG):] for t in tags if t.startswith(LANGUAGE_TAG)),
                DEFAULT_LANGUAGE)


class HistoryEntry(FrozenModel):
    """An event seeded into the scenario's history store before its first turn.

    It is placed `days_ago` days before the first turn's ``at`` (or the eval's start), and at
    least a minute before it: the store's windows end just before the conversation starts.
    """

    kind: EventKind
    need_state: str | None = None
    outcome: EventOutcome | None = None
    days_ago: float = Field(ge=0, le=3650)


class ToolAttempt(FrozenModel):
    """A tool call the scripted assistant attempts at this turn, and what the gate must do."""

    name: str = Field(min_length=1)
    args: dict[str, JsonValue] = Field(default_factory=dict)
    expect: Verdict | None = Field(
        default=None, description="allow, confirm or deny; omitted: the call is not checked."
    )


class TurnEvent(FrozenModel):
    """An explicit exit event the application or an agent sends before the turn is checked.

    DESIGN principle 9: takeover, fraud and dispute segments end only this way, never on the
    customer's words, so a scenario needs the event to measure the verified path. The runner
    applies it through `Guardrail.verify` (``verify:``) or `Guardrail.resolve` (``resolve:``)
    on the run's conversation, at the turn's time; loading checks that the segment exists and
    that `by` may end it (its ``exit.verified_by``), so a run never fails half-way.
    """

    verify: str | None = Field(
        default=None, description="The segment ended because the customer was verified."
    )
    resolve: str | None = Field(
        default=None, description="The segment ended because its case was resolved."
    )
    by: Verifier = Field(description="application or agent.")
    who: str = Field(min_length=1, max_length=256, description="The agent's or component's id.")
    why: str = Field(min_length=1, max_length=1000, description="The plain reason given.")

    @model_validator(mode="after")
    def _one_kind(self) -> TurnEvent:
        if (self.verify is None) == (self.resolve is None):
            raise ValueError("give exactly one of verify: <segment> or resolve: <segment>")
        return self

    @property
    def segment(self) -> str:
        """The segment the event ends."""
        return self.verify if self.verify is not None else str(self.resolve)

    @property
    def field(self) -> str:
        """``verify`` or ``resolve``: the field naming the segment (and the engine call)."""
        return "verify" if self.verify is not None else "resolve"


_REASON_CODE = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"


class TurnExpect(FrozenModel):
    """What must hold for the decision at this turn (every field optional)."""

    need_state: str | None = None
    risk_at_least: RiskTier | None = None
    risk_tier: RiskTier | None = Field(default=None, description="The exact risk tier.")
    segments: list[str] = Field(default_factory=list, description="Must all be present.")
    not_segments: list[str] = Field(default_factory=list, description="Must all be absent.")
    handoff: bool | None = Field(default=None, description="A handoff is required at this turn.")
    human_request: bool | None = Field(
        default=None,
        description="true: this turn asks for a person, and a human must be required at this "
        "very turn; false: the turn must not be read as a request for a person.",
    )
    allowed_scopes: list[str] = Field(default_factory=list)
    denied_scopes: list[str] = Field(default_factory=list)
    reasons: list[Annotated[str, Field(pattern=_REASON_CODE)]] = Field(
        default_factory=list,
        description="Reason codes (e.g. exit.verified) the decision must all carry.",
    )
    not_reasons: list[Annotated[str, Field(pattern=_REASON_CODE)]] = Field(
        default_factory=list, description="Reason codes the decision must not carry."
    )


class Turn(FrozenModel):
    """One customer message, what the assistant then tries, and what must hold."""

    user: str = Field(min_length=1)
    event: TurnEvent | None = Field(
        default=None,
        description="An exit event (verify / resolve) applied before this turn is checked.",
    )
    at: AwareDatetime | None = Field(
        default=None, description="When the message was sent (default: the previous turn's)."
    )
    tool_calls: list[ToolAttempt] = Field(default_factory=list)
    assistant: str | None = Field(default=None, description="Reply appended after the turn.")
    expect: TurnExpect = Field(default_factory=TurnExpect)


class Scenario(FrozenModel):
    """One scripted conversation with its expectations."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=200)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    context: Context = Field(default_factory=Context)
    signals: Signals = Field(default_factory=Signals)
    history: list[HistoryEntry] = Field(default_factory=list)
    cohorts: bool = Field(
        default=False, description="Also run under every cohort value of the eval config."
    )
    expect_handoff_by: int | None = Field(
        default=None, ge=1, description="A human must have taken over by this turn (1-based)."
    )
    expect_no_handoff: bool = Field(default=False, description="The AI can safely resolve it.")
    sensitive: bool = Field(
        default=False, description="A dispute / compliance / account change conversation."
    )
    turns: list[Turn] = Field(min_length=1)

    _file: str = PrivateAttr(default="")

    @property
    def file(self) -> str:
        """The file the scenario was loaded from ("" when built in code)."""
        return self._file

    @property
    def language(self) -> str:
        """Its ``lang:<code>`` tag's code; ``en`` when it has none."""
        return language_of(self.tags)


class ScenarioFile(FrozenModel):
    """One scenario file."""

    scenarios: list[Scenario] = Field(min_length=1)


def load_scenarios(
    paths: Sequence[str | Path] | None = None, registry: Registry | None = None
) -> list[Scenario]:
    """Load and validate scenario files, in file order then order within the file.

    Args:
        paths: files or folders (folders are searched for ``*.yaml`` / ``*.yml``, recursively);
            None: `DEFAULT_SCENARIOS`.
        registry: the registry names are checked against (default: the shipped one).

    Raises:
        ScenarioError: listing every problem, each with its file and YAML path.
    """
    registry = registry or Registry.default()
    issues: list[RegistryIssue] = []
    files = _files(list(paths) if paths else [DEFAULT_SCENARIOS], issues)
    scenarios: list[Scenario] = []
    seen: dict[str, str] = {}
    for shown, file in files:
        for index, scenario in _read(shown, file, issues):
            where = f"scenarios[{index}]"
            first = seen.get(scenario.id)
            if first is not None:
                issues.append(RegistryIssue(shown, f"{where}.id",
                                            f"duplicate id {scenario.id!r} (first in {first})"))
                continue
            seen[scenario.id] = f"{shown}:{where}"
            before = len(issues)
            _check(scenario, registry, shown, where, issues)
            if len(issues) == before:
                scenario._file = shown
                scenarios.append(scenario)
    if issues:
        raise ScenarioError(issues)
    if not scenarios:
        raise ScenarioError([RegistryIssue(", ".join(str(p) for p in paths or [DEFAULT_SCENARIOS]),
                                           "", "no scenario files found")])
    return scenarios


def _files(paths: list[str | Path], issues: list[RegistryIssue]) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"}
                            and p.is_file())
            found.extend((p.relative_to(path).as_posix(), p) for p in inside)
        elif path.is_file():
            found.append((str(given), path))
        else:
            issues.append(RegistryIssue(str(given), "", "no such file or folder"))
    return found


def _read(shown: str, file: Path, issues: list[RegistryIssue]) -> list[tuple[int, Scenario]]:
    data, problems = parse_yaml(file, shown)
    if problems:
        issues.extend(problems)
        return []
    if not isinstance(data, dict) or not data:
        issues.append(RegistryIssue(shown, "", "the top level must be a mapping with "
                                               "'scenarios:'"))
        return []
    for key in sorted(set(data) - {"scenarios"}, key=str):
        issues.append(RegistryIssue(shown, str(key), "unknown key (expected only 'scenarios')"))
    items = data.get("scenarios")
    if not isinstance(items, list) or not items:
        issues.append(RegistryIssue(shown, "scenarios", "expected a non-empty list of scenarios"))
        return []
    out: list[tuple[int, Scenario]] = []
    for index, item in enumerate(items):
        try:
            out.append((index, Scenario.model_validate(item)))
        except ValidationError as exc:
            issues.extend(validation_issues(exc, shown, ("scenarios", index)))
    return out


def _check(
    scenario: Scenario, registry: Registry, file: str, where: str, issues: list[RegistryIssue]
) -> None:
    """The checks a model cannot make alone: registry names and contradictions."""

    def add(path: str, message: str) -> None:
        issues.append(RegistryIssue(file, f"{where}.{path}", message))

    def known(path: str, names: Iterable[str | None], valid: Iterable[str], what: str) -> None:
        allowed = set(valid)
        for i, name in enumerate(names):
            if name is not None and name not in allowed:
                add(path.format(i=i), f"unknown {what} {name!r}")

    needs = registry.settings.need_states
    segments = registry.segment_by_id
    scopes = registry.settings.retrieval_scopes
    turns = len(scenario.turns)
    if scenario.expect_handoff_by is not None and scenario.expect_handoff_by > turns:
        add("expect_handoff_by", f"turn {scenario.expect_handoff_by} but the scenario has "
                                 f"{turns} turn(s)")
    if scenario.expect_handoff_by is not None and scenario.expect_no_handoff:
        add("expect_no_handoff", "contradicts expect_handoff_by")
    _check_language(scenario.tags, add)
    if scenario.history and not scenario.context.customer_id:
        add("history", "history needs context.customer_id (events are kept per customer)")
    known("history[{i}].need_state", (h.need_state for h in scenario.history), needs,
          "need-state")
    last_at = None
    for t, turn in enumerate(scenario.turns):
        at = f"turns[{t}]"
        if turn.at is not None:
            if last_at is not None and turn.at < last_at:
                add(f"{at}.at", "earlier than a previous turn's")
            last_at = turn.at
        known(f"{at}.tool_calls[{{i}}].name", (c.name for c in turn.tool_calls),
              registry.tools, "tool")
        if turn.event is not None:
            _check_event(turn.event, registry, scenario.id, f"{at}.event", add)
        exp = turn.expect
        known(f"{at}.expect.need_state", [exp.need_state], needs, "need-state")
        known(f"{at}.expect.segments[{{i}}]", exp.segments, segments, "segment")
        known(f"{at}.expect.not_segments[{{i}}]", exp.not_segments, segments, "segment")
        known(f"{at}.expect.allowed_scopes[{{i}}]", exp.allowed_scopes, scopes,
              "retrieval scope")
        known(f"{at}.expect.denied_scopes[{{i}}]", exp.denied_scopes, scopes, "retrieval scope")
        for both, first, second in (
            (set(exp.segments) & set(exp.not_segments), "segments", "not_segments"),
            (set(exp.allowed_scopes) & set(exp.denied_scopes), "allowed_scopes",
             "denied_scopes"),
            (set(exp.reasons) & set(exp.not_reasons), "reasons", "not_reasons"),
        ):
            if both:
                add(f"{at}.expect.{second}", f"{sorted(both)} also in {first}")
        if (exp.risk_tier is not None and exp.risk_at_least is not None
                and RISK_ORDER[exp.risk_tier] < RISK_ORDER[exp.risk_at_least]):
            add(f"{at}.expect.risk_tier", f"{exp.risk_tier!r} is below risk_at_least "
                                          f"{exp.risk_at_least!r}")
        if scenario.expect_no_handoff and (exp.handoff or exp.human_request):
            field = "handoff" if exp.handoff else "human_request"
            add(f"{at}.expect.{field}", "contradicts expect_no_handoff")
        if exp.handoff is False and exp.human_request:
            add(f"{at}.expect.handoff", "false contradicts human_request: true (a request for "
                                        "a person must be honoured at once)")


def _check_event(
    event: TurnEvent, registry: Registry, scenario: str, at: str,
    add: Callable[[str, str], None],
) -> None:
    """The event names a known segment that `event.by` may end (else the engine would refuse
    it in the middle of the run)."""
    spec = registry.segment_by_id.get(event.segment)
    if spec is None:
        add(f"{at}.{event.field}", f"unknown segment {event.segment!r} in the "
                                   f"{event.field} event of scenario {scenario!r}")
    elif event.by not in spec.exit.verified_by:
        allowed = ", ".join(spec.exit.verified_by) or "no event (it ends by its exit criteria)"
        add(f"{at}.by", f"segment {event.segment!r} is ended by {allowed}, not by "
                        f"{event.by!r} (scenario {scenario!r})")


def _check_language(tags: Sequence[str], add: Callable[[str, str], None]) -> None:
    """At most one ``lang:`` tag, with a 2-3 letter lower-case code."""
    first: int | None = None
    for i, tag in enumerate(tags):
        if not tag.startswith(LANGUAGE_TAG):
            continue
        code = tag[len(LANGUAGE_TAG):]
        if not _LANGUAGE_CODE.fullmatch(code):
            add(f"tags[{i}]", f"{tag!r} is not a language tag: expected {LANGUAGE_TAG}<code> "
                              "with a 2-3 letter lower-case code (such as lang:es)")
        if first is not None:
            add(f"tags[{i}]", f"a second language tag {tag!r} (tags[{first}] is "
                              f"{tags[first]!r}): a scenario has one language")
        else:
            first = i
