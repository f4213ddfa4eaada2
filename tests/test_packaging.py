"""What users install: the wheel and sdist of ``guardrail-support`` carry segments/, prompts/,
the licence and the type marker; the library runs without the CLI's extra; every install hint
names the right distribution; and the package is tidy."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

import guardrail
from guardrail import Registry
from guardrail._install import DISTRIBUTION, pip_hint
from guardrail._resources import default_prompts_dir

ROOT = Path(__file__).resolve().parent.parent


def test_all_is_complete_and_sorted() -> None:
    public = {n for n in vars(guardrail) if not n.startswith("_")} - {"annotations"}
    exported = set(guardrail.__all__) - {"__version__"}
    modules = {n for n in public if type(getattr(guardrail, n)).__name__ == "module"}
    assert exported == public - modules
    assert list(guardrail.__all__) == sorted(guardrail.__all__)


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(guardrail.__path__, prefix="guardrail."):
        parts = info.name.split(".")
        if not any(part.startswith("_") for part in parts[1:]):
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _public_modules())
def test_every_public_module_declares_a_complete_all(name: str) -> None:
    """`__all__` is the public surface: present, importable, and naming every public class and
    function the module itself defines (a helper left out is private: `_name`). Its order is
    ruff's (RUF022)."""
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert all(hasattr(module, n) for n in exported)
    defined = {
        n for n, v in vars(module).items()
        if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
        and getattr(v, "__module__", None) == name
    }
    assert defined <= set(exported), sorted(defined - set(exported))


def test_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "guardrail/_version.py"
    assert project["project"]["name"] == DISTRIBUTION == "guardrail-support"
    assert importlib.metadata.version(DISTRIBUTION) == guardrail.__version__


def test_importing_guardrail_imports_no_llm_framework() -> None:
    code = (
        "import sys, guardrail; "
        "print(sorted(m for m in ('langchain', 'openai', 'redis') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_every_directive_has_prompt_text(registry: Registry) -> None:
    texts = yaml.safe_load((default_prompts_dir() / "directives.yaml").read_text("utf-8"))
    declared = {d.id for d in registry.settings.directives}
    assert declared == set(texts)
    assert all(isinstance(t, str) and len(t) > 10 for t in texts.values())


def test_the_wheel_ships_the_registry_and_loads_it(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("guardrail_support-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
        info = f"guardrail_support-{guardrail.__version__}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
    assert "Name: guardrail-support\n" in metadata
    assert "License-Expression: MIT\n" in metadata
    assert "License-File: LICENSE\n" in metadata
    assert f"{info}/licenses/LICENSE" in names
    assert "guardrail/py.typed" in names  # PEP 561: users' type checkers read the annotations
    assert "Provides-Extra: cli\n" in metadata
    assert "Provides-Extra: agents\n" in metadata
    # `guardrail eval --init` copies its starter pack from inside the package.
    assert "guardrail/_data/eval_starter/config.yaml" in names
    assert "guardrail/_data/eval_starter/scenarios/human_request.yaml" in names
    assert "guardrail/_data/segments/10-settings.yaml" in names
    assert "guardrail/_data/prompts/directives.yaml" in names
    # The customer texts of every other supported language ship too, or a wheel install would
    # quietly answer every customer in English.
    supported = set(Registry.default().settings.languages.supported) - {"en"}
    assert {f"guardrail/_data/prompts/customer/{lang}.yaml" for lang in supported} <= names
    assert "guardrail/_data/models/need_default/model.npz" in names
    assert "guardrail/_data/models/need_default/meta.json" in names
    code = (
        "from guardrail import Guardrail, Registry; r = Registry.default(); "
        "g = Guardrail(r); d = g.check({'messages': [{'role': 'user', 'content': 'hi'}]}); "
        "print(r.source); print(r.version)"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, cwd=tmp_path)
    source, version = out.stdout.split()
    assert source.startswith(str(tmp_path / "site"))
    assert version == Registry.default().version


def test_the_sdist_carries_the_licence_and_the_new_name(tmp_path: Path) -> None:
    code = ("import sys; from hatchling.build import build_sdist; "
            "print(build_sdist(sys.argv[1]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    sdist = tmp_path / out.stdout.strip().splitlines()[-1]
    top = f"guardrail_support-{guardrail.__version__}"
    with tarfile.open(sdist) as archive:
        names = set(archive.getnames())
        member = archive.extractfile(f"{top}/PKG-INFO")
        assert member is not None
        pkg_info = member.read().decode()
    assert f"{top}/LICENSE" in names
    assert f"{top}/guardrail/py.typed" in names
    assert "Name: guardrail-support\n" in pkg_info
    assert "MIT License" in (ROOT / "LICENSE").read_text("utf-8")
    assert "Copyright (c) 2026 the guardrail authors" in (ROOT / "LICENSE").read_text("utf-8")


# An install hint naming the import name as a distribution (`pip install 'guardrail[llm]'`)
# installs someone else's package from PyPI; README lines installing `.[extra]` from a
# checkout are fine.
_WRONG_HINT = re.compile(r"""pip install\s+['"]?guardrail(?:\[|['"\s]|$)""", re.MULTILINE)


def test_no_install_hint_names_the_wrong_distribution() -> None:
    offenders = []
    for path in [*sorted((ROOT / "guardrail").rglob("*.py")), ROOT / "README.md"]:
        text = path.read_text("utf-8")
        for pattern in (_WRONG_HINT, re.compile(r"'guardrail\[")):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)!r}"
                          for m in pattern.finditer(text) if "_install.py" not in path.name]
    assert offenders == []
    assert pip_hint("otel") == "pip install 'guardrail-support[otel]'"
    assert pip_hint("cli", "llm") == "pip install 'guardrail-support[cli,llm]'"
    assert pip_hint() == "pip install guardrail-support"


def test_the_extras_keep_the_readme_first_command_working() -> None:
    """rich is the CLI's, not the library's; `pip install '.[langchain]'` then `guardrail demo`
    (the README's first command) still gets it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}

    assert "rich" not in names(project["dependencies"])
    assert {"rich", "argcomplete"} <= names(extras["cli"])
    assert "rich" in names(extras["langchain"])
    assert {"openai-agents", "openai"} <= names(extras["agents"])
    assert {"openai-agents", "rich", "argcomplete"} <= names(extras["test"])
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "pip install -q '.[langchain]' && .venv/bin/guardrail demo" in readme


def test_the_library_runs_without_rich() -> None:
    """`import guardrail`, `Guardrail.check` and the adapters need none of the CLI's extra."""
    code = (
        "import sys; sys.modules['rich'] = None\n"
        "import guardrail\n"
        "d = guardrail.Guardrail(need_model=None).check("
        "{'messages': [{'role': 'user', 'content': 'I was charged twice'}]})\n"
        "import guardrail.adapters.langchain, guardrail.adapters.openai\n"
        "import guardrail.adapters.retriever, guardrail.handoff, guardrail.audit\n"
        "print(d.need_state, sorted(m for m, v in sys.modules.items()\n"
        "                           if m.startswith('rich') and v is not None))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.split() == ["billing", "[]"]
