"""Third-party products and integrations, by canonical name ("Shopify", "Google Workspace").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from guardrail.handoff.details.model import Integration
from guardrail.handoff.details.text import Found, Names, Scan, fold, matches, window
from guardrail.handoff.details.vocab import IntegrationSpec

__all__ = ["Integrations", "compile_integrations", "find_integrations"]

INTEGRATION_CONTEXT = re.compile(
    r"(?i:\b(?:integrations?|integrated?|apps?|plugin|plug-in|connector|connection|connected?|"
    r"sync(?:s|ed|ing)?|api|webhooks?|workspace|channels?|store|shop|account|receipts?|checkout|"
    r"payouts?|notifications?|bot|sso|login|export|import|calendar|meeting|call|invite|dashboard)\b)"
)

@dataclass(frozen=True, slots=True)
class Integrations:
    pattern: Names
    specs: dict[str, IntegrationSpec]  # folded name or alias -> its product


def compile_integrations(specs: Sequence[IntegrationSpec]) -> Integrations:
    by_name = {fold(n): spec for spec in specs for n in (spec.name, *spec.aliases)}
    names = [n for spec in specs for n in (spec.name, *spec.aliases)]
    return Integrations(Names.of(names, r"(?<![\w.@/])(?i:{})(?!\w)"), by_name)


def find_integrations(scan: Scan, integrations: Integrations) -> list[Found]:
    found = []
    for m in matches(integrations.pattern, scan.plain):
        spec = integrations.specs[fold(m.group())]
        if spec.ambiguous and not _plainly_named(scan.plain, m, spec):
            continue
        found.append(Found(m.start(), ("integration", spec.name), Integration(
            message=scan.index, value=spec.name)))
    return found


def _plainly_named(text: str, m: re.Match[str], spec: IntegrationSpec) -> bool:
    """An everyday word ("slack", "square") names the product only as written, mid-sentence,
    or beside integration words; `only_cased` products need their spelling either way."""
    before = text[max(0, m.start() - 40) : m.start()].rstrip()
    mid_sentence = bool(before) and before[-1] not in ".!?:\n"
    as_written = m.group() in (spec.name, *spec.aliases)
    context = INTEGRATION_CONTEXT.search(window(text, m.start(), m.end(), 40, 40)) is not None
    if spec.only_cased:
        return as_written and (mid_sentence or context)
    return (as_written and mid_sentence) or context
