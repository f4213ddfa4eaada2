"""Check the eval scenarios in evals/scenarios/*.yaml, and optionally run them on the engine.

A quick, YAML-level validator for the people who write scenarios (the eval runner,
`guardrail eval`, is the authority on the format; this script follows evals/scenarios/README.md):

* every file holds `scenarios:` and nothing else; every scenario, turn, tool call, history
  event and expectation has only the keys the README names, with the right types;
* ids are unique across files and dotted (``topic.case.variant``);
* every segment, need-state, tool and retrieval scope named exists in the registry
  (read straight from ``segments/*.yaml``), and context/signals fields exist;
* expectations do not contradict themselves (handoff expected on a turn of a no-handoff
  scenario, a segment both required and forbidden, ...).

Then it counts scenarios, multi-turn ones, ``cohorts: true`` ones, coverage per segment
(each registry segment must appear in some expectation), per seed template and per tag.

With ``--run`` it replays every scenario through the real engine (``Guardrail``, with an
in-memory history store when the scenario seeds history), gates each scripted tool call with
``guardrail.gate.check_tool_call`` (as adapters do: every call is denied while a handoff is
required), and lists the scenarios whose expectations fail, with what failed. ``--cohorts``
also re-runs ``cohorts: true`` scenarios under every cohort value below. The expectations say
what SHOULD happen: a failure is a finding about the engine (or a scenario to re-read), never
a reason to edit the expectation to match.

Usage:
    python evals/tools/check_scenarios.py             # format + coverage
    python evals/tools/check_scenarios.py --run       # ... and run on the engine
    python evals/tools/check_scenarios.py --run --cohorts --json out.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "evals" / "scenarios"
REGISTRY = ROOT / "segments"

SCENARIO_KEYS = {
    "id",
    "description",
    "tags",
    "context",
    "signals",
    "history",
    "cohorts",
    "expect_handoff_by",
    "expect_no_handoff",
    "sensitive",
    "turns",
}
REQUIRED_SCENARIO_KEYS = {"id", "description", "turns"}
TURN_KEYS = {"user", "at", "tool_calls", "assistant", "expect"}
TOOL_CALL_KEYS = {"name", "args", "expect"}
TOOL_VERDICTS = {"allow", "confirm", "deny"}
EXPECT_KEYS = {
    "need_state",
    "risk_at_least",
    "risk_tier",
    "segments",
    "not_segments",
    "handoff",
    "human_request",
    "allowed_scopes",
    "denied_scopes",
}
HISTORY_KEYS = {"kind", "need_state", "days_ago", "outcome"}
EVENT_KINDS = {"contact", "reopen", "article_view", "guided_attempt", "escalation"}
EVENT_OUTCOMES = {"open", "resolved", "handed_off", "abandoned", "success", "failure"}
RISK_TIERS = ["low", "medium", "high", "critical"]
MAX_TURNS = 6
SEED_TAGS = ("seed:billing_dispute", "seed:access_lockout", "seed:self_serve_failed")
ID_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")

# Stable-context fields and behavioural signals (guardrail.conversation.Context / Signals).
CONTEXT_FIELDS = {
    "customer_id": str,
    "plan": str,
    "entitlements": list,
    "sla": str,
    "region": str,
    "locale": str,
    "channel": str,
    "tech_stack": list,
    "role": str,
    "renewal_date": "date",
    "preferences": list,
    "ltv": (int, float),
}
SIGNAL_FIELDS = {
    "reopened_tickets_7d": int,
    "same_intent_contacts_7d": int,
    "articles_viewed_15m": int,
    "minutes_since_article": (int, float),
    "last_ces": (int, float),
    "last_csat": (int, float),
    "prior_escalations": int,
    "failed_guided_attempts": int,
    "verification_failures": int,
}

# What --cohorts varies: one field at a time, as the eval config's cohorts would.
COHORTS: dict[str, list[str]] = {
    "plan": ["free", "pro", "enterprise"],
    "locale": ["en-US", "de-DE", "ja-JP"],
    "region": ["EU", "US", "APAC"],
    "channel": ["chat", "email", "voice"],
}


# -- the registry, read as YAML ------------------------------------------------------------------


class RegistryIds:
    """The ids scenarios may name, read from segments/*.yaml without the engine."""

    def __init__(self, folder: Path) -> None:
        self.segments: list[str] = []
        self.tools: set[str] = set()
        self.need_states: set[str] = set()
        self.scopes: set[str] = set()
        for path in sorted(folder.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            settings = data.get("settings") or {}
            self.need_states.update(settings.get("need_states") or [])
            self.scopes.update(settings.get("retrieval_scopes") or [])
            self.tools.update(t["name"] for t in data.get("tools") or [])
            self.segments.extend(s["id"] for s in data.get("segments") or [])


# -- format checks -------------------------------------------------------------------------------


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_type(value: Any, kind: Any) -> bool:
    if kind == "date":
        if isinstance(value, datetime):
            return False
        if hasattr(value, "isoformat"):
            return True
        try:
            datetime.strptime(str(value), "%Y-%m-%d")
        except ValueError:
            return False
        return True
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if isinstance(kind, tuple):
        return isinstance(value, kind) and not isinstance(value, bool)
    if kind is list:
        return _is_str_list(value)
    return isinstance(value, kind)


def _aware(text: Any) -> bool:
    if isinstance(text, datetime):
        return text.tzinfo is not None
    try:
        parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def check_scenario(sc: Any, where: str, reg: RegistryIds) -> list[str]:
    """Problems with one scenario (empty when it is well formed)."""
    out: list[str] = []
    if not isinstance(sc, dict):
        return [f"{where}: a scenario must be a mapping"]
    where = f"{where} [{sc.get('id', '?')}]"
    for key in sorted(set(sc) - SCENARIO_KEYS):
        out.append(f"{where}: unknown key {key!r}")
    for key in sorted(REQUIRED_SCENARIO_KEYS - set(sc)):
        out.append(f"{where}: missing key {key!r}")
    if not isinstance(sc.get("id"), str) or not ID_PATTERN.match(sc.get("id", "")):
        out.append(f"{where}: id must be dotted lower_snake (topic.case.variant)")
    if not isinstance(sc.get("description", ""), str) or not sc.get("description"):
        out.append(f"{where}: description must be a non-empty string")
    if "tags" in sc and not _is_str_list(sc["tags"]):
        out.append(f"{where}: tags must be a list of strings")
    for flag in ("cohorts", "expect_no_handoff", "sensitive"):
        if flag in sc and not isinstance(sc[flag], bool):
            out.append(f"{where}: {flag} must be true or false")
    context = sc.get("context", {})
    if not isinstance(context, dict):
        out.append(f"{where}: context must be a mapping")
        context = {}
    for key, value in context.items():
        if key not in CONTEXT_FIELDS:
            out.append(f"{where}: unknown context field {key!r}")
        elif not _check_type(value, CONTEXT_FIELDS[key]):
            out.append(f"{where}: context.{key} has the wrong type ({value!r})")
    if context.get("role") not in (None, "admin", "end_user", "billing"):
        out.append(f"{where}: context.role must be admin, end_user or billing")
    signals = sc.get("signals", {})
    if not isinstance(signals, dict):
        out.append(f"{where}: signals must be a mapping")
        signals = {}
    for key, value in signals.items():
        if key not in SIGNAL_FIELDS:
            out.append(f"{where}: unknown signal {key!r}")
        elif not _check_type(value, SIGNAL_FIELDS[key]):
            out.append(f"{where}: signals.{key} has the wrong type ({value!r})")
    if "last_ces" in signals and not 1 <= signals["last_ces"] <= 7:
        out.append(f"{where}: signals.last_ces must be 1-7")
    if "last_csat" in signals and not 1 <= signals["last_csat"] <= 5:
        out.append(f"{where}: signals.last_csat must be 1-5")
    history = sc.get("history", [])
    if not isinstance(history, list):
        out.append(f"{where}: history must be a list")
        history = []
    for i, event in enumerate(history):
        at = f"{where} history[{i}]"
        if not isinstance(event, dict):
            out.append(f"{at}: must be a mapping")
            continue
        for key in sorted(set(event) - HISTORY_KEYS):
            out.append(f"{at}: unknown key {key!r}")
        if event.get("kind") not in EVENT_KINDS:
            out.append(f"{at}: kind must be one of {sorted(EVENT_KINDS)}")
        if "need_state" in event and event["need_state"] not in reg.need_states:
            out.append(f"{at}: unknown need_state {event['need_state']!r}")
        if "outcome" in event and event["outcome"] not in EVENT_OUTCOMES:
            out.append(f"{at}: outcome must be one of {sorted(EVENT_OUTCOMES)}")
        days = event.get("days_ago")
        if not isinstance(days, int | float) or isinstance(days, bool) or days < 0:
            out.append(f"{at}: days_ago must be a number >= 0")
    if history and not context.get("customer_id"):
        out.append(f"{where}: history needs context.customer_id (the store is per customer)")
    turns = sc.get("turns")
    if not isinstance(turns, list) or not turns:
        out.append(f"{where}: turns must be a non-empty list")
        return out
    if len(turns) > MAX_TURNS:
        out.append(f"{where}: more than {MAX_TURNS} turns")
    by = sc.get("expect_handoff_by")
    if by is not None and (
        not isinstance(by, int) or isinstance(by, bool) or not 1 <= by <= len(turns)
    ):
        out.append(f"{where}: expect_handoff_by must be a turn number 1..{len(turns)}")
    no_handoff = sc.get("expect_no_handoff") is True
    if no_handoff and by is not None:
        out.append(f"{where}: expect_no_handoff and expect_handoff_by contradict")
    last_at: datetime | None = None
    for n, turn in enumerate(turns, start=1):
        at = f"{where} turn {n}"
        if isinstance(turn, dict) and "at" in turn and _aware(turn["at"]):
            when = _parse_at(turn["at"])
            if last_at is not None and when < last_at:
                out.append(f"{at}: at goes back in time")
            last_at = when
        if not isinstance(turn, dict):
            out.append(f"{at}: must be a mapping")
            continue
        for key in sorted(set(turn) - TURN_KEYS):
            out.append(f"{at}: unknown key {key!r}")
        if not isinstance(turn.get("user"), str) or not turn.get("user", "").strip():
            out.append(f"{at}: user must be a non-empty string")
        if "assistant" in turn and not isinstance(turn["assistant"], str):
            out.append(f"{at}: assistant must be a string")
        if "at" in turn and not _aware(turn["at"]):
            out.append(f"{at}: at must be ISO-8601 with a timezone")
        for call in turn.get("tool_calls", []) or []:
            if not isinstance(call, dict):
                out.append(f"{at}: a tool call must be a mapping")
                continue
            for key in sorted(set(call) - TOOL_CALL_KEYS):
                out.append(f"{at}: unknown tool-call key {key!r}")
            if call.get("name") not in reg.tools:
                out.append(f"{at}: unknown tool {call.get('name')!r}")
            if "args" in call and not isinstance(call["args"], dict):
                out.append(f"{at}: tool-call args must be a mapping")
            if call.get("expect") not in TOOL_VERDICTS:
                out.append(f"{at}: tool-call expect must be allow, confirm or deny")
        expect = turn.get("expect", {}) or {}
        if not isinstance(expect, dict):
            out.append(f"{at}: expect must be a mapping")
            continue
        for key in sorted(set(expect) - EXPECT_KEYS):
            out.append(f"{at}: unknown expect key {key!r}")
        if "need_state" in expect and expect["need_state"] not in reg.need_states:
            out.append(f"{at}: unknown need_state {expect['need_state']!r}")
        for key in ("risk_at_least", "risk_tier"):
            if key in expect and expect[key] not in RISK_TIERS:
                out.append(f"{at}: {key} must be one of {RISK_TIERS}")
        for key in ("segments", "not_segments"):
            if key in expect:
                if not _is_str_list(expect[key]):
                    out.append(f"{at}: {key} must be a list of segment ids")
                    continue
                for seg in expect[key]:
                    if seg not in reg.segments:
                        out.append(f"{at}: unknown segment {seg!r} in {key}")
        for key in ("allowed_scopes", "denied_scopes"):
            if key in expect:
                if not _is_str_list(expect[key]):
                    out.append(f"{at}: {key} must be a list of scopes")
                    continue
                for scope in expect[key]:
                    if scope not in reg.scopes:
                        out.append(f"{at}: unknown retrieval scope {scope!r} in {key}")
        tier, least = expect.get("risk_tier"), expect.get("risk_at_least")
        if (
            tier in RISK_TIERS
            and least in RISK_TIERS
            and RISK_TIERS.index(tier) < RISK_TIERS.index(least)
        ):
            out.append(f"{at}: risk_tier {tier} is below risk_at_least {least}")
        for key in ("handoff", "human_request"):
            if key in expect and not isinstance(expect[key], bool):
                out.append(f"{at}: {key} must be true or false")
        both = set(expect.get("segments", []) or []) & set(expect.get("not_segments", []) or [])
        if both:
            out.append(f"{at}: segments both required and forbidden: {sorted(both)}")
        both = set(expect.get("allowed_scopes", []) or []) & set(
            expect.get("denied_scopes", []) or []
        )
        if both:
            out.append(f"{at}: scopes both allowed and denied: {sorted(both)}")
        if no_handoff and expect.get("handoff") is True:
            out.append(f"{at}: handoff expected in an expect_no_handoff scenario")
        if no_handoff and expect.get("human_request") is True:
            out.append(f"{at}: a human request in an expect_no_handoff scenario")
        if expect.get("human_request") is True and expect.get("handoff") is False:
            out.append(f"{at}: a human request must be honoured (handoff: false contradicts)")
        if by is not None and n == by and expect.get("handoff") is False:
            out.append(f"{at}: handoff: false on the expect_handoff_by turn")
    return out


def load(folder: Path, reg: RegistryIds) -> tuple[list[dict[str, Any]], list[str]]:
    """All scenarios (each with its file in ``_file``) and every format problem."""
    problems: list[str] = []
    scenarios: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        problems.append(f"{folder}: no scenario files")
    for path in files:
        name = path.name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(f"{name}: not valid YAML: {exc}")
            continue
        if not isinstance(data, dict) or set(data) != {"scenarios"}:
            problems.append(f"{name}: a file must hold exactly one key, `scenarios:`")
            continue
        if not isinstance(data["scenarios"], list):
            problems.append(f"{name}: `scenarios` must be a list")
            continue
        for i, sc in enumerate(data["scenarios"]):
            problems.extend(check_scenario(sc, f"{name}#{i}", reg))
            if isinstance(sc, dict):
                sid = sc.get("id")
                if isinstance(sid, str):
                    if sid in seen:
                        problems.append(f"{name}: duplicate id {sid!r} (also in {seen[sid]})")
                    seen[sid] = name
                scenarios.append({**sc, "_file": name})
    return scenarios, problems


# -- coverage ------------------------------------------------------------------------------------


def coverage(scenarios: list[dict[str, Any]], reg: RegistryIds) -> dict[str, Any]:
    """Counts and coverage: per segment (required / forbidden), per seed template, per tag."""
    required: Counter[str] = Counter()
    forbidden: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    files: Counter[str] = Counter()
    needs: Counter[str] = Counter()
    tools: Counter[str] = Counter()
    for sc in scenarios:
        files[sc["_file"]] += 1
        tags.update(set(sc.get("tags", []) or []))
        seg_in: set[str] = set()
        seg_out: set[str] = set()
        for turn in sc.get("turns", []) or []:
            expect = turn.get("expect", {}) or {}
            seg_in.update(expect.get("segments", []) or [])
            seg_out.update(expect.get("not_segments", []) or [])
            if "need_state" in expect:
                needs[expect["need_state"]] += 1
            for call in turn.get("tool_calls", []) or []:
                tools[f"{call.get('name')}:{call.get('expect')}"] += 1
        required.update(seg_in)
        forbidden.update(seg_out)
    total = len(scenarios)
    return {
        "total": total,
        "multi_turn": sum(1 for s in scenarios if len(s.get("turns", [])) > 1),
        "cohorts": sum(1 for s in scenarios if s.get("cohorts") is True),
        "sensitive": sum(1 for s in scenarios if s.get("sensitive") is True),
        "expect_no_handoff": sum(1 for s in scenarios if s.get("expect_no_handoff") is True),
        "expect_handoff_by": sum(1 for s in scenarios if "expect_handoff_by" in s),
        "with_history": sum(1 for s in scenarios if s.get("history")),
        "with_signals": sum(1 for s in scenarios if s.get("signals")),
        "with_tool_calls": sum(
            1 for s in scenarios if any(t.get("tool_calls") for t in s.get("turns", []) or [])
        ),
        "files": dict(files),
        "segments": {
            seg: {"required": required[seg], "forbidden": forbidden[seg]} for seg in reg.segments
        },
        "uncovered_segments": [s for s in reg.segments if required[s] == 0 and forbidden[s] == 0],
        "never_required_segments": [s for s in reg.segments if required[s] == 0],
        "seeds": {seed: tags[seed] for seed in SEED_TAGS},
        "need_states": dict(needs),
        "tool_calls": dict(sorted(tools.items())),
        "tags": dict(sorted(tags.items())),
    }


# -- running on the engine -----------------------------------------------------------------------


class Runner:
    """Replays scenarios through the real engine, turn by turn."""

    def __init__(self) -> None:
        from guardrail import Guardrail, NeedModel, Registry

        self._registry = Registry.default()
        self._model = NeedModel.default()
        self._guardrail_cls = Guardrail
        self._plain = Guardrail(self._registry, need_model=self._model)

    def _guard(self, sc: dict[str, Any], start: datetime) -> Any:
        if not sc.get("history"):
            return self._plain
        from guardrail.history import MemoryStore

        guard = self._guardrail_cls(self._registry, need_model=self._model, store=MemoryStore())
        customer = sc["context"]["customer_id"]
        for event in sc["history"]:
            guard.record_event(
                event["kind"],
                customer,
                at=start - timedelta(days=float(event["days_ago"])),
                need_state=event.get("need_state"),
                outcome=event.get("outcome"),
            )
        return guard

    def run(self, sc: dict[str, Any], context: dict[str, Any], run_id: str) -> list[str]:
        """What failed in one run of `sc` under `context` (empty when every expectation held)."""
        from guardrail.gate import check_tool_call
        from guardrail.reasons import RISK_ORDER

        turns = sc["turns"]
        first_at = turns[0].get("at")
        start = _parse_at(first_at) if first_at else datetime.now(UTC)
        guard = self._guard(sc, start)
        messages: list[dict[str, str]] = []
        failures: list[str] = []
        handed_off_at: int | None = None
        for n, turn in enumerate(turns, start=1):
            messages.append({"role": "user", "content": turn["user"]})
            index = len(messages) - 1
            conv: dict[str, Any] = {
                "id": run_id,
                "messages": list(messages),
                "context": context,
                "signals": sc.get("signals", {}) or {},
            }
            at = turn.get("at")
            if at is not None:
                conv["at"] = _parse_at(at).isoformat()
            elif first_at is None and sc.get("history"):
                conv["at"] = start.isoformat()
            try:
                decision = guard.check(conv)
            except Exception as exc:  # a crash is a finding, not a reason to stop the report
                failures.append(f"turn {n}: engine raised {type(exc).__name__}: {exc}")
                break
            if decision.handoff.required and handed_off_at is None:
                handed_off_at = n
            failures.extend(
                f"turn {n}: {f}"
                for f in _compare(turn.get("expect", {}) or {}, decision, index, RISK_ORDER)
            )
            for call in turn.get("tool_calls", []) or []:
                # Gated as every adapter gates a call: denied while a human takes over, then
                # the decision's verdict, then the customer binding of identifier arguments.
                got = check_tool_call(
                    self._registry,
                    decision,
                    call["name"],
                    dict(call.get("args", {}) or {}),
                    context.get("customer_id"),
                ).action
                if got != call["expect"]:
                    failures.append(
                        f"turn {n}: tool {call['name']} expected {call['expect']}, got {got}"
                    )
            if turn.get("assistant"):
                messages.append({"role": "assistant", "content": turn["assistant"]})
        by = sc.get("expect_handoff_by")
        if by is not None and (handed_off_at is None or handed_off_at > by):
            when = "never" if handed_off_at is None else f"at turn {handed_off_at}"
            failures.append(f"handoff: expected by turn {by}, got {when}")
        if sc.get("expect_no_handoff") and handed_off_at is not None:
            failures.append(f"no-handoff: a handoff was required at turn {handed_off_at}")
        guard.forget_conversation(run_id)
        return failures


def _parse_at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _compare(expect: dict[str, Any], d: Any, index: int, order: dict[str, int]) -> list[str]:
    out: list[str] = []
    segs = d.segment_ids()
    if "need_state" in expect and d.need_state != expect["need_state"]:
        out.append(f"need_state expected {expect['need_state']}, got {d.need_state}")
    if "risk_tier" in expect and d.risk_tier != expect["risk_tier"]:
        out.append(f"risk_tier expected {expect['risk_tier']}, got {d.risk_tier}")
    if "risk_at_least" in expect and order[d.risk_tier] < order[expect["risk_at_least"]]:
        out.append(f"risk expected >= {expect['risk_at_least']}, got {d.risk_tier}")
    missing = [s for s in expect.get("segments", []) or [] if s not in segs]
    if missing:
        out.append(f"segments missing {missing} (got {segs})")
    present = [s for s in expect.get("not_segments", []) or [] if s in segs]
    if present:
        out.append(f"segments present but forbidden {present}")
    if "handoff" in expect and d.handoff.required != expect["handoff"]:
        out.append(
            f"handoff expected {expect['handoff']}, got {d.handoff.required}"
            + (f" ({', '.join(d.handoff.reasons)})" if d.handoff.reasons else "")
        )
    if "human_request" in expect:
        here = any(
            r.code == "human.request" and r.source == f"message[{index}]" for r in d.reason_codes
        )
        if expect["human_request"] and "human_requested" not in segs:
            out.append("human_request expected, not detected")
        if not expect["human_request"] and here:
            out.append("human_request detected but not expected")
    for scope in expect.get("allowed_scopes", []) or []:
        if scope not in d.retrieval_scope:
            out.append(f"scope {scope} expected allowed (got {d.retrieval_scope})")
    for scope in expect.get("denied_scopes", []) or []:
        if scope in d.retrieval_scope:
            out.append(f"scope {scope} expected denied")
    return out


def run_all(scenarios: list[dict[str, Any]], cohorts: bool) -> dict[str, list[str]]:
    """Failures per scenario id (cohort runs are labelled ``[field=value]``)."""
    runner = Runner()
    failed: dict[str, list[str]] = defaultdict(list)
    for sc in scenarios:
        context = dict(sc.get("context", {}) or {})
        failed_base = runner.run(sc, context, f"{sc['id']}#base")
        if failed_base:
            failed[sc["id"]].extend(failed_base)
        if cohorts and sc.get("cohorts"):
            for field, values in COHORTS.items():
                for value in values:
                    if context.get(field) == value:
                        continue
                    varied = {**context, field: value}
                    got = runner.run(sc, varied, f"{sc['id']}#{field}={value}")
                    # Report only what differs from the base run (principle 5 violations).
                    extra = [f for f in got if f not in failed_base]
                    failed[sc["id"]].extend(f"[{field}={value}] {f}" for f in extra)
    return {k: v for k, v in failed.items() if v}


def _category(failure: str) -> str:
    """A short kind for one failure line: need_state, segment_missing, handoff_missing, ..."""
    text = re.sub(r"^\[[^\]]*\] ", "", failure)
    text = re.sub(r"^turn \d+: ", "", text)
    if text.startswith("handoff: expected by"):
        return "handoff_by"
    if text.startswith("no-handoff"):
        return "wrongful_handoff"
    if text.startswith("handoff expected True"):
        return "handoff_missing"
    if text.startswith("handoff expected False"):
        return "handoff_wrongful"
    if text.startswith("segments missing"):
        return "segment_missing"
    if text.startswith("segments present"):
        return "segment_forbidden"
    if text.startswith("tool "):
        return "tool"
    for key in ("need_state", "risk", "human_request", "scope", "engine"):
        if text.startswith(key):
            return key
    return "other"


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=SCENARIOS)
    parser.add_argument("--registry", type=Path, default=REGISTRY)
    parser.add_argument("--run", action="store_true", help="run the scenarios on the engine")
    parser.add_argument(
        "--cohorts",
        action="store_true",
        help="with --run, also run cohorts: true scenarios under every cohort",
    )
    parser.add_argument("--only", help="with --run, only scenario ids starting with this")
    parser.add_argument("--json", type=Path, help="write the report as JSON to this file")
    parser.add_argument("--quiet", action="store_true", help="print failures only")
    parser.add_argument(
        "--strict", action="store_true", help="with --run, exit 2 when any scenario fails"
    )
    args = parser.parse_args(argv)

    reg = RegistryIds(args.registry)
    scenarios, problems = load(args.dir, reg)
    cov = coverage(scenarios, reg)
    report: dict[str, Any] = {"problems": problems, "coverage": cov}

    if not args.quiet:
        print(
            f"scenarios: {cov['total']}  multi-turn: {cov['multi_turn']}  "
            f"cohorts: {cov['cohorts']}  sensitive: {cov['sensitive']}  "
            f"no-handoff: {cov['expect_no_handoff']}  handoff-by: {cov['expect_handoff_by']}  "
            f"history: {cov['with_history']}  signals: {cov['with_signals']}  "
            f"tool calls: {cov['with_tool_calls']}"
        )
        print("files: " + ", ".join(f"{k}={v}" for k, v in sorted(cov["files"].items())))
        print("segments (scenarios requiring / forbidding it):")
        for seg, c in cov["segments"].items():
            print(f"  {seg:26} {c['required']:4} / {c['forbidden']:4}")
        print("seed templates: " + ", ".join(f"{k}={v}" for k, v in cov["seeds"].items()))
        print(
            "need-states expected: "
            + ", ".join(f"{k}={v}" for k, v in sorted(cov["need_states"].items()))
        )
        print("tags: " + ", ".join(f"{k}={v}" for k, v in cov["tags"].items()))
    gaps = []
    if cov["uncovered_segments"]:
        gaps.append(f"segments in no expectation: {cov['uncovered_segments']}")
    report["coverage_gaps"] = gaps
    for p in problems + gaps:
        print(f"PROBLEM: {p}")

    if args.run and not problems:
        chosen = [s for s in scenarios if not args.only or s["id"].startswith(args.only)]
        failed = run_all(chosen, args.cohorts)
        report["failures"] = failed
        kinds: Counter[str] = Counter()
        for fs in failed.values():
            for f in fs:
                kinds[_category(f)] += 1
        print(
            f"\nengine run: {len(chosen)} scenarios, {len(chosen) - len(failed)} pass, "
            f"{len(failed)} fail"
        )
        for sid in sorted(failed):
            print(f"FAIL {sid}")
            for f in failed[sid]:
                print(f"    {f}")
        print("failures by kind: " + ", ".join(f"{k}={v}" for k, v in kinds.most_common()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    if problems or gaps:
        return 1
    return 2 if args.strict and report.get("failures") else 0


if __name__ == "__main__":
    sys.exit(main())
