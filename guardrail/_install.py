"""How to install what is missing: the one place that names the distribution.

The import name is ``guardrail`` but the distribution on the package index is
``guardrail-support`` (``guardrail`` there is someone else's project), so a hint written by
hand as ``pip install 'guardrail[extra]'`` would install a stranger's package. Every message
that tells the user to install an extra builds it here.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DISTRIBUTION", "pip_hint"]

DISTRIBUTION: Final = "guardrail-support"
"""The name ``pip`` installs this package by (``[project] name`` in pyproject.toml)."""


def pip_hint(*extras: str) -> str:
    """The command that installs the distribution with `extras`, quoted for a POSIX shell.

    >>> pip_hint("otel")
    "pip install 'guardrail-support[otel]'"
    >>> pip_hint("cli", "llm")
    "pip install 'guardrail-support[cli,llm]'"
    """
    return f"pip install '{DISTRIBUTION}[{','.join(extras)}]'" if extras else (
        f"pip install {DISTRIBUTION}")
