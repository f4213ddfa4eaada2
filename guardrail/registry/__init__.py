"""The segment registry (policy as code): loaded, validated and compiled once.

The stage reads top-down:

- `schema`: the shape of one registry file (pydantic, ``extra="forbid"``; JSON Schema for editors);
- `loader`: `Registry`, built from a folder or texts through the one YAML loader;
- `overlay`: a folder that ``extends`` another, merged onto it (`Origins`: what came from where);
- `validation`: the files checked against each other, every problem with its file and YAML path;
- `pattern`: rule patterns compiled into branches the detector can skip cheaply;
- `regex`: what a compiled pattern's matches can start with and must contain.

The reason-code catalogue lives in `guardrail.reasons`; the policy compiled from a registry
lives in `guardrail.policy`.
"""

from __future__ import annotations

from guardrail.registry.loader import Registry
from guardrail.registry.overlay import Disabled, Layer, Origin, Origins
from guardrail.registry.pattern import BRANCH_KEY, Branch, CompiledRule, compile_rule_pattern
from guardrail.registry.validation import DERIVED_CONTEXT, DERIVED_SIGNALS

__all__ = [
    "BRANCH_KEY",
    "DERIVED_CONTEXT",
    "DERIVED_SIGNALS",
    "Branch",
    "CompiledRule",
    "Disabled",
    "Layer",
    "Origin",
    "Origins",
    "Registry",
    "compile_rule_pattern",
]
