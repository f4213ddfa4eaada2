"""How the command is started and stopped: --version, ``python -m guardrail``, --quiet, shell
completion, a reader that stops reading, and a missing ``cli`` extra. Real subprocesses where
the process boundary is the point (scripts, pipes, shells), `main()` in-process elsewhere."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from guardrail._install import DISTRIBUTION, pip_hint
from guardrail._version import __version__
from guardrail.cli import main

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCRIPT = BIN / "guardrail"


def _run(*args: str, cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=300,
                          check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def _batch(path: Path, lines: int) -> Path:
    """`lines` conversations (distinct ids), enough output to overflow a pipe's buffer."""
    texts = ["how do I export my invoices", "I want a human", "my account is locked",
             "thanks, that fixed it"]
    path.write_text("".join(
        json.dumps({"id": f"c{i}", "messages": [{"role": "user", "content": texts[i % 4]}]})
        + "\n" for i in range(lines)), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [[str(SCRIPT)], [sys.executable, "-m", "guardrail"]],
                         ids=["script", "python-m"])
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_names_the_distribution(command: list[str], flag: str, tmp_path: Path) -> None:
    out = _run(*command, flag, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"guardrail-support {__version__}\n"
    assert DISTRIBUTION == "guardrail-support"


def test_python_m_guardrail_runs_a_subcommand(tmp_path: Path) -> None:
    out = _run(sys.executable, "-m", "guardrail", "explain", "I want a human", "--json",
               "--need-model", "none", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["handoff"]["required"] is True


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_silences_the_status_line_not_the_results(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _batch(tmp_path / "in.jsonl", 3)
    args = ["classify", "-i", str(source), "--need-model", "none"]
    assert main(args) == 0
    loud = capsys.readouterr()
    assert "3 lines in" in loud.err
    assert main(["-q", *args] if where == "before" else [*args, "--quiet"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    assert quiet.out == loud.out
    assert len(quiet.out.splitlines()) == 3


def test_quiet_keeps_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "classify", "-i", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_reader_that_stops_early_ends_the_run_quietly(jobs: str, tmp_path: Path) -> None:
    """``guardrail classify ... | head -1``: status 0, no traceback, no "Broken pipe"."""
    source = _batch(tmp_path / "in.jsonl", 600)
    with subprocess.Popen(
        [str(SCRIPT), "classify", "-i", str(source), "--need-model", "none", "-j", jobs],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # what `head -1` does after its line
        err = process.stderr.read().decode()
        assert process.wait(timeout=300) == 0, err
    assert json.loads(first)["id"] == "c0"
    assert err == ""


def test_completion_bash_completes_subcommands_and_options(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:  # pragma: no cover - every CI image here has bash
        pytest.skip("no bash")
    script = (
        'source <(guardrail completion bash)\n'
        'complete_line() { COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; '
        'read -ra COMP_WORDS <<< "$1"; [[ "$1" == *" " ]] && COMP_WORDS+=(""); '
        'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); '
        '_python_argcomplete guardrail; printf "%s\\n" "${COMPREPLY[@]}"; echo --; }\n'
        'complete_line "guardrail cla"\n'
        'complete_line "guardrail classify --jo"\n'
        'complete_line "guardrail completion "\n'
    )
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    out = _run(bash, "-c", script, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    first, second, third, _ = out.stdout.split("--\n")
    assert first.split() == ["classify"]
    assert second.split() == ["--jobs"]
    assert {"bash", "zsh", "fish"} <= set(third.split())


def test_completion_prints_shell_code_for_each_shell(capsys: pytest.CaptureFixture[str]) -> None:
    for shell in ("bash", "zsh", "fish"):
        assert main(["completion", shell]) == 0
        code = capsys.readouterr().out
        assert "guardrail" in code
        assert "_ARGCOMPLETE" in code


def test_the_command_without_its_extra_says_what_to_install(tmp_path: Path) -> None:
    """rich is the ``cli`` extra: hidden, the command fails with one line naming it (and
    --version still answers)."""
    hide = "import sys; sys.modules['rich'] = None; sys.modules['argcomplete'] = None; "
    run = "from guardrail.cli import main; raise SystemExit(main(sys.argv[1:]))"
    out = _run(sys.executable, "-c", hide + run, "classify", "-i", "-", cwd=tmp_path, input="")
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.splitlines() == [
        f"guardrail: error: the guardrail command needs its extra: {pip_hint('cli')}"]
    assert "guardrail-support[cli]" in out.stderr
    version = _run(sys.executable, "-c", hide + run, "--version", cwd=tmp_path)
    assert version.stdout.strip() == f"guardrail-support {__version__}"


def test_quiet_silences_status_lines_of_other_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"
    record = ["record", "--store", store, "--customer", "cus_1", "--kind", "reopen"]
    assert main(record) == 0
    assert capsys.readouterr().err == "recorded 1 event(s)\n"
    assert main(["--quiet", *record]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "forget", "cus_1", "--store", store]) == 0
    assert capsys.readouterr().out == "deleted 2 record(s) about that customer\n"  # a result
