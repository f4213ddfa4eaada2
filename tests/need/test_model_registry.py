"""The need model and the registry agree on need-states, or the engine says so and copes.

The shipped model knows seven need-states. A registry overlay that adds one (or a registry
with other ones) gets one warning with both lists, and the model read on the shared ones only,
renormalised; with fewer than two shared it is not run. ``guardrail train --registry`` learns
the registry's own need-states.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest

from guardrail import Guardrail, Registry
from guardrail.cli import main
from guardrail.conversation import Message
from guardrail.detectors import need as need_detector
from guardrail.detectors.need import NeedDetector, known_need_states
from guardrail.detectors.rules import RuleDetector
from guardrail.need import NeedModel
from tests.registry.test_overlays import BASE, write

RESERVATIONS = """
extends: ../base
settings:
  need_states+: [reservations]
rules:
  - id: need.reservations
    code: need.reservations
    kind: need
    need_state: reservations
    explanation: The customer wants to book or move a table.
    patterns: ["(book|reserve|move|cancel)( a| my| the)? (table|booking|reservation)"]
"""


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the once-per-pair warning afresh."""
    monkeypatch.setattr(need_detector, "_warned", set())


@pytest.fixture
def reservations(tmp_path: Path) -> Registry:
    write(tmp_path / "base", BASE)
    return Registry.load(write(tmp_path / "mine", {"00-overlay.yaml": RESERVATIONS}))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "guardrail.need" and r.levelno == logging.WARNING]


def test_the_shipped_model_names_the_shipped_need_states() -> None:
    model = NeedModel.default()
    assert set(model.need_states) == set(Registry.default().settings.need_states)
    assert model.need_states == tuple(model.meta["classes"])  # type: ignore[arg-type]


def test_agreeing_model_and_registry_say_nothing(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        detector = NeedDetector(NeedModel.default(), registry)
    assert detector.classifier is not None
    assert warnings(caplog) == []


def test_a_registry_need_state_the_model_lacks_is_warned_once_and_left_to_rules(
    reservations: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    model = NeedModel.default()
    with caplog.at_level(logging.WARNING):
        guard = Guardrail(reservations)
        Guardrail(reservations)  # a second engine on the same pair: no second warning
        guard.declare_tools([])
    [message] = warnings(caplog)
    assert str(list(model.need_states)) in message
    assert str(reservations.settings.need_states) in message
    assert "['reservations'] can only be set by the registry's rules" in message
    assert "guardrail train --registry" in message

    text = "there is a charge on my invoice I do not understand"
    detector = NeedDetector(model, reservations)
    scan = RuleDetector(reservations).scan(0, Message(role="user", content=text))
    reading = detector.read(0, Message(role="user", content=text), scan)
    assert reading.prediction is not None
    probabilities = reading.prediction.probabilities
    assert set(probabilities) == {"billing", "other"}
    assert math.isclose(sum(probabilities.values()), 1.0)
    # The shared need-states keep their odds: dropping the others only renormalises.
    full = model.predict_message(text, scan.words, [f.code for f in scan.findings])
    ratio = full.probabilities["billing"] / full.probabilities["other"]
    assert math.isclose(probabilities["billing"] / probabilities["other"], ratio, rel_tol=1e-6)
    assert reading.prediction.handoff == full.handoff

    booked = guard.check({"messages": [{"role": "user", "content": "can I book a table"}]})
    assert booked.need_state == "reservations", "the rules still set the model's unknown one"


def test_fewer_than_two_shared_need_states_run_the_rules_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A registry of its own (the floor segments of the test base cannot be disabled by an
    # overlay), none of whose need-states the shipped model knows.
    odd = write(tmp_path / "odd", {
        "10-settings.yaml": BASE["10-settings.yaml"].replace(
            "need_states: [billing, other]",
            "need_states: [reservations, small_talk]\n  default_need_state: small_talk"),
        "20-tools.yaml": BASE["20-tools.yaml"],
        "30-rules.yaml": RESERVATIONS.split("rules:", 1)[1].join(["rules:", ""]),
        "40-segments.yaml": """
segments:
  - id: reservations
    purpose: Book or move tables.
    tier: runtime
    need_state: reservations
    entry: {description: A booking., any: [{need_state: reservations}]}
    exit: {description: The need changes.}
    success_metrics: [tables booked]
    owner: tests
    last_reviewed: 2026-12-01
""",
    })
    registry = Registry.load(odd)
    with caplog.at_level(logging.WARNING):
        detector = NeedDetector(NeedModel.default(), registry)
    assert detector.classifier is None
    [message] = warnings(caplog)
    assert "the model is not run" in message
    assert known_need_states(None) is None


def test_train_learns_an_overlay_need_state_in_seconds(
    reservations: Registry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [
        ("can I book a table for four tonight", "reservations"),
        ("please move my booking to eight", "reservations"),
        ("cancel my reservation for friday", "reservations"),
        ("reserve a table by the window", "reservations"),
        ("I want a table for two tomorrow", "reservations"),
        ("why is there a charge on my card", "billing"),
        ("I need a refund for last month", "billing"),
        ("send me the invoice for march", "billing"),
        ("what does this fee mean", "billing"),
        ("the charge is higher than usual", "billing"),
        ("hello there", "other"),
        ("thanks a lot, bye", "other"),
        ("what is your name", "other"),
        ("good morning", "other"),
        ("tell me a joke", "other"),
    ]
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(
        json.dumps({"id": f"r-{n}", "messages": [{"role": "user", "content": text}],
                    "need_state": need}) + "\n"
        for n, (text, need) in enumerate(lines)), encoding="utf-8")
    out = tmp_path / "model"
    assert main(["train", "--registry", reservations.source, "--data", str(data),
                 "--output", str(out), "--holdout", "0", "--epochs", "40",
                 "--embedding", ""]) == 0
    model = NeedModel.load(out)
    assert model.need_states == tuple(reservations.settings.need_states)
    assert json.loads((out / "meta.json").read_text())["classes"] == ["billing", "other",
                                                                      "reservations"]
    with caplog.at_level(logging.WARNING):
        guard = Guardrail(reservations, need_model=out)
    assert warnings(caplog) == []
    assert guard.check({"messages": [{"role": "user", "content": "please move my booking"}]}
                       ).need_state == "reservations"
