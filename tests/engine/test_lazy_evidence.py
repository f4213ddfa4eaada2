"""Evidence redacted lazily (issue 19): a finding built from raw evidence reads exactly as one
built from its redaction, the engine decides the same either way, and no raw text is kept.

The reference is the eager path: `Finding(evidence=redact(raw))`. The lazy one is
`Finding(raw_evidence=raw)`. Both are fed real labelled text (the dev set), and the engine is
run with a rule detector whose findings carry their raw canonical match instead of its
redaction, beside one whose findings are all redacted at once.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from guardrail import Guardrail, Registry
from guardrail.conversation import Message
from guardrail.detectors.detector import Detector, Scan
from guardrail.detectors.rules import RuleDetector
from guardrail.engine.risk import MEMORY_SOURCE
from guardrail.reasons import Finding
from guardrail.redact import redact

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "evals" / "dev" / "dev.jsonl"
# Personal data a customer may type: the raw text holds it, the redacted evidence must not.
PRIVATE = "jane.doe@example.com 4111 1111 1111 1111 +44 20 7946 0958"


def _cases(limit: int | None = None) -> list[list[dict[str, str]]]:
    lines = DEV.read_bytes().splitlines()[:limit]
    return [json.loads(line)["messages"] for line in lines]


def _texts() -> Iterator[str]:
    """Real customer text, and the same with personal data in it (so redaction has work)."""
    for messages in _cases():
        for message in messages:
            if message["role"] == "user":
                yield message["content"]
                yield f"{message['content']} {PRIVATE}"


def _finding(evidence: str = "", raw_evidence: str | None = None) -> Finding:
    return Finding(kind="risk", code="risk.account_takeover", rule_id="ato.test",
                   source="message[0]", explanation="Someone else may be in the account",
                   risk="critical", index=0, evidence=evidence, raw_evidence=raw_evidence)


def test_a_lazy_finding_reads_as_the_eager_one_on_real_text() -> None:
    texts = list(_texts())
    assert len(texts) > 500
    for text in texts:
        eager, lazy = _finding(evidence=redact(text)), _finding(raw_evidence=text)
        assert lazy == eager
        assert hash(lazy) == hash(eager)
        assert lazy.raw_evidence is None  # the raw text is dropped once redacted
        assert lazy.evidence == eager.evidence
        assert lazy.reason() == eager.reason()


def test_lazy_evidence_never_shows_raw() -> None:
    views: dict[str, Callable[[Finding], str]] = {
        "repr": repr,
        "sentence": lambda f: f.reason().sentence(),
        "pickled": lambda f: repr(pickle.loads(pickle.dumps(f))),
        "replaced": lambda f: repr(dataclasses.replace(f, index=3)),
    }
    for name, view in views.items():
        shown = view(_finding(raw_evidence=f"someone logged in {PRIVATE}"))
        assert "[email]" in shown, name
        for secret in ("jane.doe@example.com", "4111 1111 1111 1111", "7946 0958"):
            assert secret not in shown, name


def test_replace_with_new_evidence_drops_the_raw() -> None:
    lazy = _finding(raw_evidence=PRIVATE)
    cleared = dataclasses.replace(lazy, evidence="", raw_evidence=None)
    assert cleared.evidence == ""
    assert cleared.raw_evidence is None
    given = _finding(evidence="[email]", raw_evidence=PRIVATE)  # redacted evidence given wins
    assert given.evidence == "[email]"
    assert given.raw_evidence is None


class _Twin:
    """The registry's rules, with each finding's evidence either raw (its canonical match, to be
    redacted lazily) or redacted at once (the reference)."""

    def __init__(self, registry: Registry, *, lazy: bool) -> None:
        self._rules = RuleDetector(registry)
        self._lazy = lazy
        self.name = "rules"

    def scan(self, index: int, message: Message) -> Scan:
        scan = self._rules.scan(index, message)
        findings = []
        for finding in scan.findings:
            span, canonical = finding.span, scan.canonical
            if self._lazy and span is not None and canonical is not None:
                raw = canonical.text[span[0]:span[1]]
                finding = dataclasses.replace(finding, evidence="", raw_evidence=raw)
            else:
                finding.seal()
            findings.append(finding)
        return dataclasses.replace(scan, findings=findings)


@pytest.fixture(scope="module")
def twins() -> tuple[Guardrail, Guardrail]:
    registry = Registry.default()
    lazy: Detector = _Twin(registry, lazy=True)
    eager: Detector = _Twin(registry, lazy=False)
    return (Guardrail(registry, detector=eager, need_model=None, injection_model=None),
            Guardrail(registry, detector=lazy, need_model=None, injection_model=None))


def _raw_kept(guard: Guardrail, conversation_id: str) -> list[str]:
    state = guard._states[conversation_id]
    return [f.rule_id for f in state.findings.values() if f.raw_evidence is not None]


def test_the_engine_decides_the_same_with_lazy_evidence(twins: tuple[Guardrail, Guardrail]) -> None:
    eager, lazy = twins
    rendered = 0
    for n, messages in enumerate(_cases(200)):
        whole = {"messages": messages}
        assert lazy.check(whole) == eager.check(whole)
        # turn by turn under an id: the incremental path keeps findings in the state
        for end in range(1, len(messages) + 1):
            turn = {"id": f"case-{n}", "messages": messages[:end]}
            decided = lazy.check(turn)
            assert decided == eager.check(turn)
            assert _raw_kept(lazy, f"case-{n}") == []
            rendered += sum(bool(r.evidence) for r in decided.reason_codes)
    assert rendered > 50  # evidence was really rendered from raw text


def test_no_raw_evidence_is_kept_in_a_conversations_state(
    twins: tuple[Guardrail, Guardrail],
) -> None:
    _, lazy = twins
    text = f"someone changed my password and I was charged twice, reach me at {PRIVATE}"
    lazy.check({"id": "private", "messages": [{"role": "user", "content": text}]})
    state = lazy._states["private"]
    assert state.findings
    assert _raw_kept(lazy, "private") == []
    for finding in state.findings.values():
        for secret in ("4111", "7946 0958", "example"):
            assert secret not in finding.evidence


def test_risk_memory_keeps_no_evidence() -> None:
    from guardrail.engine.risk import _remembered

    kept = _remembered(_finding(raw_evidence=PRIVATE))
    assert kept.evidence == ""
    assert kept.raw_evidence is None
    assert kept.source.startswith(MEMORY_SOURCE)
