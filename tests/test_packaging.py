"""What users install: the wheel carries segments/ and prompts/, and the package is tidy."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
import pkgutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

import guardrail
from guardrail import Registry
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
    assert importlib.metadata.version("guardrail") == guardrail.__version__


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
    wheel = next(tmp_path.glob("guardrail-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
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
