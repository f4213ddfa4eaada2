"""`guardrail eval --llm-model`: the LLM cascade runs through the real `openai` client against the
local chat-completions server, and the report says how many user turns reached the LLM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrail.cli import main
from guardrail.need import NeedModel
from guardrail.registry import Registry
from tests._servers.chat import ChatServer, chat_server

CALM = {"need_state": "how_to", "confidence": 0.9, "risk_kind": "none",
        "rationale": "A product question."}

SCENARIOS = """
scenarios:
  - id: cascade.sure
    description: A plain how-to question the local model reads confidently.
    expect_no_handoff: true
    turns:
      - user: "how do I reset my password"
  - id: cascade.unsure
    description: Words the local model cannot place.
    turns:
      - user: "erm the thingy from before"
      - user: "how do I reset my password"
"""


def _write(folder: Path) -> None:
    (folder / "s.yaml").write_text(SCENARIOS, encoding="utf-8")
    (folder / "none.yaml").write_text("gates: []\n", encoding="utf-8")  # no gates to pass


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with chat_server() as server:
        yield server


def test_the_report_counts_the_turns_that_reached_the_llm(
    tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], registry: Registry,
) -> None:
    model = NeedModel.default()
    sure = model.predict("how do I reset my password", registry.normaliser)
    unsure = model.predict("erm the thingy from before", registry.normaliser)
    assert sure.confidence >= registry.settings.model.min_confidence  # the premises
    assert unsure.confidence < registry.settings.model.min_confidence
    for _ in range(20):
        chat.reply(json.dumps(CALM))
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    _write(tmp_path)
    out = tmp_path / "out"
    code = main(["eval", str(tmp_path / "s.yaml"), "--config", str(tmp_path / "none.yaml"),
                 "--llm-model", "scripted", "--llm-base-url", chat.url, "--jobs", "1",
                 "--output", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    cascade = json.loads((out / "results.json").read_text("utf-8"))["cascade"]
    asked = [r["body"]["messages"][-1]["content"] for r in chat.requests]
    assert "erm the thingy from before" in asked
    assert "how do I reset my password" not in asked
    assert cascade["turns"] == 3
    assert cascade["consulted"] == 1 == sum(cascade["by_reason"].values())
    assert cascade["share"] == pytest.approx(1 / 3)
    assert "LLM cascade: 1 of 3 user turns reached the LLM" in " ".join(printed.split())
    assert 'id="cascade-share">1 / 3 user turns' in (out / "report.html").read_text("utf-8")


def test_without_a_cascade_the_report_has_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path)
    out = tmp_path / "out"
    assert main(["eval", str(tmp_path / "s.yaml"), "--config", str(tmp_path / "none.yaml"),
                 "--jobs", "1", "--output", str(out)]) == 0
    assert json.loads((out / "results.json").read_text("utf-8"))["cascade"] is None
    assert "LLM cascade" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-base-url", "http://127.0.0.1:9"], "--llm-base-url needs --llm-model"),
        (["--llm-model", "m", "--need-model", "none"], "not with --need-model none"),
    ],
)
def test_cascade_options_that_cannot_work_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    _write(tmp_path)
    assert main(["eval", str(tmp_path / "s.yaml"), *args]) == 2
    assert message in capsys.readouterr().err
