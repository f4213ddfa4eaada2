"""The folders draw the turn: no module imports a stage above its own.

Ranks follow DESIGN's data flow (value types → registry → need/history → detectors → policy →
engine → gate/handoff/retrieval → adapters → evals/demo/testing → cli). Recorders (audit,
tracing) sit low: they name what they record through small protocols, so they never import the
gate, the handoff or the engine. Nothing inside the package imports its face (`guardrail`).
Imports under ``if TYPE_CHECKING:`` count too: they are the same dependency, deferred.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "guardrail"

# Lower may be imported by higher and by equals; the first matching prefix wins.
RANKS: list[tuple[str, int]] = [
    ("guardrail._version", 0), ("guardrail._base", 0), ("guardrail.errors", 0),
    ("guardrail._yaml", 0), ("guardrail._resources", 0), ("guardrail._install", 0),
    ("guardrail._progress", 0),
    ("guardrail.text", 0),
    ("guardrail.translit", 0),
    ("guardrail.redact", 0), ("guardrail.reasons", 0), ("guardrail.conversation", 0),
    ("guardrail.decision", 0), ("guardrail.labelled", 0), ("guardrail.prompts", 0),
    ("guardrail.tracing", 1), ("guardrail.audit", 1),
    # The governance report's HTML page is drawn with the eval report's parts: it sits beside them.
    ("guardrail.governance.report_html", 9),
    # Alert delivery rides on the handoff webhook: it sits with the adapters.
    ("guardrail.governance.delivery", 8),
    ("guardrail.registry", 2), ("guardrail.history", 2), ("guardrail.governance", 2),
    ("guardrail.need", 3), ("guardrail.detectors", 4), ("guardrail.policy", 5),
    ("guardrail._policy_compile", 5),
    ("guardrail.engine", 6),
    ("guardrail.gate", 7), ("guardrail.handoff", 7), ("guardrail.retrieval", 7),
    ("guardrail.quarantine", 7),
    ("guardrail.batch", 8), ("guardrail.adapters", 8),
    ("guardrail.evals", 9), ("guardrail.demo", 9), ("guardrail.testing", 9),
    ("guardrail.cli", 10), ("guardrail.__main__", 10),
]
# Offline tools that read labelled data to build a shipped artefact sit beside evals.
EXCEPTIONS = {"guardrail.need.training": 9}


def _rank(module: str) -> int:
    if module in EXCEPTIONS:
        return EXCEPTIONS[module]
    for prefix, rank in RANKS:
        if module == prefix or module.startswith(prefix + "."):
            return rank
    raise AssertionError(f"{module} has no stage: add it to RANKS")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "guardrail":
                found.extend(f"guardrail.{alias.name}" if alias.name != "__version__"
                             else "guardrail" for alias in node.names)
            elif node.module.startswith("guardrail."):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.split(".")[0] == "guardrail")
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_no_module_imports_a_higher_stage(path: Path) -> None:
    name = _module_name(path)
    if name == "guardrail":
        return  # the face re-exports from every stage
    mine = _rank(name)
    for imported in _imports(path):
        assert imported != "guardrail", f"{name} imports the package face"
        assert _rank(imported) <= mine, f"{name} (stage {mine}) imports {imported}"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The walk reads real imports: an upward one in a module is reported."""
    bad = tmp_path / "m.py"
    bad.write_text("from guardrail.engine import Guardrail\nimport guardrail.cli\n")
    assert _imports(bad) == ["guardrail.engine", "guardrail.cli"]
    assert _rank("guardrail.tracing") < _rank("guardrail.engine")
