"""A fresh venv installs the package by its distribution name from a built wheel, then runs
the README's overlay walkthrough, an Agents-SDK agent and a Responses-API call through the gate.

Nothing from this checkout is importable in that venv: the wheel is found by name
(``pip install --find-links DIR 'guardrail-support[agents,cli]'``) and its dependencies come from
the package index, as on a user's machine. This is the slowest test (one venv, one install).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

import guardrail
from guardrail import Registry
from tests._servers.chat import ChatServer, chat_server
from tests.registry.test_overlays import _walkthrough

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "fresh" / "gate_in_fresh_venv.py"


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a new venv with only ``guardrail-support[agents,cli]`` installed."""
    base = tmp_path_factory.mktemp("fresh")
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True,
    )
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--find-links", str(wheels),
         f"guardrail-support[agents,cli]=={guardrail.__version__}"],
        capture_output=True, text=True,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as httpd:
        yield httpd


def test_the_agents_sdk_and_the_responses_api_gate_in_a_fresh_install(
    fresh_python: Path, server: ChatServer, tmp_path: Path
) -> None:
    # The agent: a docs search, then an answer; the dispute never reaches the model.
    server.reply(None, ("call_1", "search_docs", '{"query": "sso"}'))
    server.reply("Settings > Security > SSO.")
    # The Responses call: the model asks for a search and a refund; only the search may run.
    server.respond_with(None, ("call_2", "search_docs", "{}"), ("call_3", "issue_refund", "{}"))
    out = _run(fresh_python, str(SCRIPT), server.url, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["distribution"] == guardrail.__version__
    assert not str(seen["module"]).startswith(str(ROOT / "guardrail")), "imported the checkout"
    assert seen["agent_answer"] == "Settings > Security > SSO."
    assert seen["agent_dispute"] == "billing_disputes"
    assert seen["agent_summaries"] == 1
    assert seen["tools_ran"] == ["search_docs:sso"]
    assert seen["responses_calls"] == ["search_docs"]
    assert seen["responses_refund"] != "allow"
    assert [r["path"] for r in server.requests] == [
        "/v1/chat/completions", "/v1/chat/completions", "/v1/responses"]


def test_the_readme_overlay_walkthrough_runs_in_a_fresh_install(
    fresh_python: Path, tmp_path: Path
) -> None:
    blocks = dict(_walkthrough())
    overlay = tmp_path / "my-policy" / "00-overlay.yaml"
    overlay.parent.mkdir()
    overlay.write_text(blocks["my-policy/00-overlay.yaml"], encoding="utf-8")
    for line in blocks["shell"].strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "guardrail"
        out = _run(fresh_python.parent / "guardrail", *argv[1:], cwd=tmp_path)
        assert out.returncode == 0, out.stderr[-3000:]
        assert "my-policy/00-overlay.yaml:disable[0]" in out.stdout
    script = tmp_path / "walkthrough.py"
    script.write_text(blocks["python"], encoding="utf-8")
    out = _run(fresh_python, str(script), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    version, segments, verdict = out.stdout.strip().splitlines()[-3:]
    assert version == Registry.load(overlay.parent).version != Registry.default().version
    assert "table_booking" in segments
    assert verdict == "confirm"
