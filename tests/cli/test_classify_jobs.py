"""``guardrail classify -j N``: the same bytes as ``-j 1``, in input order, and the progress bar
on stderr only for a terminal and never with --quiet."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from guardrail.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, terminal: bool = False) -> tuple[int, str]:
    """``python -m guardrail ARGS`` in a new process, as a user runs it: -j forks only a
    single-threaded process (`guardrail.batch.can_fork`), which pytest's process, with the
    threads earlier tests leave, is not. With `terminal`, stderr is a pseudo-terminal.
    Returns the exit code and what reached stderr."""
    command = [sys.executable, "-m", "guardrail", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower, cwd=ROOT)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        return process.wait(timeout=600), b"".join(chunks).decode("utf-8", "replace")
    finally:
        os.close(leader)


def _mixed_batch(path: Path) -> Path:
    """Real labelled conversations, each also sent as growing prefixes under one id (the
    engine reads a resent conversation from where it stopped), conversations whose later line
    carries only the newest message (risk memory must come from the earlier line, so it must
    be read by the same engine), lines without an id, bad lines and blank lines."""
    rows = [json.loads(line) for line in
            (ROOT / "evals" / "dev" / "dev.jsonl").read_text("utf-8").splitlines()[:120]]
    lines: list[str] = []
    for i, row in enumerate(rows):
        messages = row["messages"]
        users = [k for k, m in enumerate(messages) if m["role"] == "user"]
        for cut in users[:-1]:  # the turns before the last, then the whole conversation
            lines.append(json.dumps({"id": row["id"], "messages": messages[:cut + 1]}))
        lines.append(json.dumps({"id": row["id"], "messages": messages}))
        if i % 10 == 0:
            lines.append(json.dumps({"messages": messages}))  # no id: no state
        if i % 15 == 0:
            lines += ["", "{not json", '{"id": "typo", "messages": [], "contxt": {}}']
    for n in range(24):  # trimmed history: the second line holds only the newest message
        lines.append(json.dumps({"id": f"takeover-{n}", "messages": [
            {"role": "user", "content": "someone logged into my account and changed my email"}]}))
        lines.append(json.dumps({"id": f"other-{n}", "messages": [
            {"role": "user", "content": "how do I export my invoices"}]}))
        lines.append(json.dumps({"id": f"takeover-{n}", "messages": [
            {"role": "user", "content": "never mind, it was me"}]}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _status(err: str) -> str:
    """The counts of the status line, without its timing."""
    return re.sub(r"in [\d.]+s \([\d,]+ lines/s\)", "", err)


def test_jobs_write_the_same_bytes_in_input_order(tmp_path: Path) -> None:
    source = _mixed_batch(tmp_path / "in.jsonl")
    outputs = {}
    statuses = {}
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"out-{jobs}.jsonl"
        code, err = _cli("classify", "-i", str(source), "-o", str(out), "-j", jobs)
        assert code == 1, err  # the bad lines
        outputs[jobs] = out.read_bytes()
        statuses[jobs] = _status(err)
    assert outputs["2"] == outputs["1"]
    assert outputs["3"] == outputs["1"]
    assert statuses["2"] == statuses["1"] == statuses["3"]

    rows = [json.loads(line) for line in outputs["1"].splitlines()]
    given = [line for line in source.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) == len(given)
    for row, line in zip(rows, given, strict=True):  # input order, line for line
        try:
            expected_id = json.loads(line).get("id")
        except json.JSONDecodeError:
            expected_id = None
        assert row["id"] == expected_id
    # The trimmed second line of each takeover is still handed off: the earlier line was read
    # by the same engine, whichever worker it went to.
    takeovers = [r for r in rows if str(r["id"]).startswith("takeover-")]
    assert len(takeovers) == 48
    assert all(r["handoff"] is True for r in takeovers)


def test_jobs_refuse_a_history_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "messages": [{"role": "user", "content": "hi"}]})
                      + "\n", encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'history.db'}"
    assert main(["classify", "-i", str(source), "-j", "2", "--store", store,
                 "--need-model", "none"]) == 2
    err = capsys.readouterr().err
    assert "--store" in err
    assert "Traceback" not in err
    assert main(["classify", "-i", str(source), "-j", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_progress_bar_only_on_a_terminal_and_not_when_quiet(jobs: str, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(
        json.dumps({"id": f"c{i}", "messages": [{"role": "user", "content": "hello"}]}) + "\n"
        for i in range(200)), encoding="utf-8")
    args = ["classify", "-i", str(source), "-o", str(tmp_path / "out.jsonl"), "-j", jobs,
            "--need-model", "none"]

    code, err = _cli(*args)  # stderr is a pipe: not a terminal
    assert code == 0, err
    assert "classifying" not in err
    assert "200 lines in" in err

    code, err = _cli(*args, terminal=True)
    assert code == 0, err
    assert "classifying" in err
    assert "200 lines in" in err

    code, err = _cli("-q", *args, terminal=True)
    assert code == 0, err
    assert err == ""


def test_jobs_on_the_shipped_examples_with_a_bad_line(tmp_path: Path) -> None:
    """``evals/examples.jsonl`` as shipped, then the same with a bad line in the middle: -j 2
    writes what -j 1 writes, the bad line becomes the same error line, in its place."""
    examples = (ROOT / "evals" / "examples.jsonl").read_text("utf-8").splitlines()
    with_bad = [*examples[:5], '{"id": "bad", "messages": "not a list"}', *examples[5:]]
    for name, lines, exit_code in (("shipped", examples, 0), ("bad", with_bad, 1)):
        source = tmp_path / f"{name}.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        outputs = []
        for jobs in ("1", "2"):
            out = tmp_path / f"{name}-{jobs}.jsonl"
            code, err = _cli("classify", "-i", str(source), "-o", str(out), "-j", jobs)
            assert code == exit_code, err
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1]
        rows = [json.loads(line) for line in outputs[0].splitlines()]
        assert len(rows) == len([line for line in lines if line.strip()])
        errors = [row for row in rows if "error" in row]
        assert [(row["id"], rows.index(row)) for row in errors] == (
            [("bad", 5)] if name == "bad" else [])
