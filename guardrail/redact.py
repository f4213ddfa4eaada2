"""Redaction of personal data in evidence strings (the default needs no model download).

Card numbers that pass the Luhn check keep their last four digits; e-mail addresses, phone
numbers and other long digit runs are replaced by a tag.
"""

from __future__ import annotations

import re

__all__ = ["redact"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARDISH = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ().-]{7,}\d(?![\w])")
_LONG_DIGITS = re.compile(r"\d{6,}")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if _luhn_ok(digits):
        return f"[card ****{digits[-4:]}]"
    return "[number]"


def redact(text: str, limit: int = 120) -> str:
    """Return `text` with personal data masked, cut to `limit` characters."""
    text = _EMAIL.sub("[email]", text)
    text = _CARDISH.sub(_card, text)
    text = _PHONE.sub("[phone]", text)
    text = _LONG_DIGITS.sub("[number]", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
