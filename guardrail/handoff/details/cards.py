"""Payment-method hints: the last four digits of a card (never more), and the brand or method
the customer used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guardrail.handoff.details.model import CardHint
from guardrail.handoff.details.text import (
    CARD_WORD,
    CARDISH,
    PHONE_WORD,
    Found,
    Names,
    Scan,
    fold,
    matches,
    window,
)
from guardrail.redact import luhn_ok

__all__ = ["Brands", "find_card_hints"]

_LAST4 = re.compile(
    r"(?i:(?P<cue>\bend(?:s|ing|ed)?\s+(?:in\s+|with\s+|on\s+)?"
    r"|\blast\s+(?:4|four)(?:\s+digits?)?(?:\s+(?:of|on)\s+(?:my|the|your|our)\s+[a-z]{2,12})?"
    r"(?:\s*(?:is|are|:|-|=))?\s*"
    r"|(?:x{2,12}|\*{2,12}|•{2,12}|#{2,12})[\s-]?))(?P<d>\d{4})(?!\d)"
)
_BRAND_USED = re.compile(
    r"(?i:\b(?:my|our|his|her|their|with|via|using|through|by|paid|pay|charged|debited|on)"
    r"\s+(?:[\w'-]+\s+)?$)"
)
_BRAND_CONTEXT = re.compile(
    r"(?i:\b(?:card|debit|credit|paid|pay|paying|charged?|ending|via|with|using|through)\b)"
)


def find_card_hints(raw: str, scan: Scan, brands: Brands) -> list[Found]:
    found: list[Found] = []
    for m in matches(CARDISH, raw):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) < 13:
            continue
        cued = CARD_WORD.search(window(raw, m.start(), m.start(), 40, 0)) is not None
        if luhn_ok(digits) or cued:
            brand = brands.near(raw, m.start(), m.end())
            found.append(Found(m.start(), ("card", digits[-4:]), CardHint(
                message=scan.index, value=digits[-4:], brand=brand)))
    for m in matches(_LAST4, scan.text):
        before = window(scan.text, m.start(), m.start(), 48, 0)
        card_at = max((c.end() for c in CARD_WORD.finditer(before)), default=-1)
        phone_at = max((p.end() for p in PHONE_WORD.finditer(before)), default=-1)
        masked = m.group("cue").strip()[:1] in {"x", "X", "*", "•", "#"}
        last_four = m.group("cue").lower().startswith("last")
        if phone_at > card_at or not (masked or last_four or card_at >= 0):
            continue
        brand = brands.near(scan.text, m.start(), m.end())
        last4 = m.group("d")
        found.append(Found(m.start(), ("card", last4), CardHint(
            message=scan.index, value=last4, brand=brand)))
        scan.claim(m.start(), m.end())
    for m in matches(brands.pattern, scan.text):
        name = brands.names[fold(m.group())]
        before = scan.text[max(0, m.start() - 30) : m.start()]
        after = scan.text[m.end() : m.end() + 30]
        if name in brands.needs_context and not _BRAND_CONTEXT.search(f"{before} {after}"):
            continue
        # Only a method the customer used or holds is a hint; "can I choose Visa or Mastercard?"
        # names two they have not got. "PAYPAL *MERCHANT" is how a statement shows one used.
        if not (_BRAND_USED.search(before) or after.lstrip().startswith("*")):
            continue
        found.append(Found(m.start(), ("brand", name), CardHint(message=scan.index, brand=name)))
        scan.claim(m.start(), m.end())
    return found


@dataclass(frozen=True, slots=True)
class Brands:
    pattern: Names
    names: dict[str, str]
    needs_context: frozenset[str]

    def near(self, text: str, start: int, end: int) -> str | None:
        """The payment method named closest before the digits, else just after them."""
        before = list(self.pattern.finditer(window(text, start, start, 40, 0)))
        if before:
            return self.names[fold(before[-1].group())]
        after = next(self.pattern.finditer(text[end : end + 25]), None)
        return self.names[fold(after.group())] if after else None
