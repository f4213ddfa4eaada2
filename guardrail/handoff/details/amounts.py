"""Sums of money: with a currency symbol, code or word, or a bare number beside a money word.

The currencies and the money words that make a bare decimal an amount are vocabulary
(``_data/vocab/details.yaml``); the English verb and noun cues around a bare number are here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from guardrail.handoff.details.model import Amount
from guardrail.handoff.details.references import next_word
from guardrail.handoff.details.text import Found, Scan, fold, matches, non_overlapping, window

if TYPE_CHECKING:  # the compiled vocabulary is built from this module's patterns
    from guardrail.handoff.details.compiled import Compiled

__all__ = ["NUM", "NUM_END", "SPACED_NUM", "WEIGHT", "find_amounts", "to_decimal"]

NUM = r"(?:\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
NUM_END = r"(?!\d|[.,]\d)"
# Thousands grouped by spaces ("2 000 €", "1 250,00 €"; a no-break space reads as a space once
# the text is normalised), taken only right before a currency.
SPACED_NUM = r"\d{1,3}(?: \d{3})+(?:,\d{1,2})?"
_VERB_CUE = (
    r"charged|charge|charging|billed|debited|deducted|paid|pay|paying|payed|sent|send|sending|"
    r"took|taken|take|taking|refund|refunded|refunding|owe|owed|owes|withdrew|withdrawn|withdraw|"
    r"spent|spend|transferred|transfer|transferring|costs?|costing"
)
_VERB_FILL = (
    r"me\s+for|an\s+extra|me|us|you|him|her|them|out|off|only|just|another|extra|around|about|"
    r"over|almost|nearly|like|for|of|twice|double|again|back"
)
_BARE_VERB = re.compile(
    rf"(?i:\b(?P<verb>{_VERB_CUE})\s+(?P<fill>(?:(?:{_VERB_FILL})\s+){{0,3}}))"
    rf"(?P<num>{NUM})(?P<k>[kK]?){NUM_END}"
)
_BARE_NOUN = re.compile(
    r"(?i:\b(?:charge|payment|fee|debit|deduction|transaction|transfer|withdrawal|refund|bill|"
    r"deposit|purchase|amount|recharge|top-?up|total|price|cost|balance|premium|penalty)s?"
    r"(?:['\"\u2019]?\s*(?:of|for|is|was|were|being|:|=)\s*|['\"\u2019]\s*)"
    r"(?:(?:only|just|about|around|over|nearly|almost)\s+)?)"
    rf"(?P<num>{NUM})(?P<k>[kK]?){NUM_END}"
)
_BARE_DECIMAL = re.compile(r"(?<![\w.,/:$€£¥₹-])(?P<num>\d{1,6}[.,]\d{2})(?P<k>)(?!\d|[.,]\d)")
# After a bare number, only these words keep it an amount: "sent 300 to", "charged me 43 and".
_FOLLOW_OK = frozenset(
    {
        "to", "for", "from", "on", "in", "into", "at", "and", "but", "or", "so", "then", "which",
        "that", "was", "were", "is", "are", "has", "had", "have", "got", "went", "came", "left",
        "out", "off", "back", "already", "yesterday", "today", "tonight", "last", "this", "each",
        "every", "per", "a", "the", "twice", "instead", "plus", "more", "extra", "i", "we", "it",
        "by", "without", "with", "when", "while", "because", "since", "via", "using", "only",
        "not", "never", "please", "pls", "plz", "just", "now", "again", "my", "our", "your",
        "his", "her", "their", "me", "us", "total", "upfront", "altogether",
    }
)
_UNIT_AFTER = re.compile(
    r"\s*(?i:%|°|x\b|gb|mb|kb|tb|km|kg|mi\b|miles|lbs?\b|hours?|hrs?|mins?|minutes?|seconds?|"
    r"secs?|days?|weeks?|months?|years?|stars?|rating|points?|pts|am\b|pm\b|mbps|ghz|mhz|inch|"
    r"cm\b|mm\b|m\b|ms\b|s\b)"
)
_PREV_WORD = re.compile(r"((?:[^\W\d_]|[\u0900-\u0963])+)[^\w\u0900-\u097f]*$")
WEIGHT = re.compile(r"(?i:\b(?:weigh\w*|lost|gained|heavy|heavier|lighter|kg|lbs?)\b)")


def to_decimal(number: str, thousand: bool) -> str | None:
    """'1,200.50' -> '1200.50', '49,90' -> '49.90', '4,999' -> '4999', '2' with k -> '2000',
    '2 000,50' -> '2000.50'."""
    number = number.replace(" ", "")
    if "," in number and "." in number:
        point = "," if number.rfind(",") > number.rfind(".") else "."
        number = number.replace("." if point == "," else ",", "").replace(point, ".")
    elif "," in number or "." in number:
        parts = number.split("," if "," in number else ".")
        grouped = len(parts) > 2 or len(parts[-1]) == 3
        number = "".join(parts) if grouped else f"{parts[0]}.{parts[1]}"
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    return format((value * 1000).normalize(), "f") if thousand else format(value, "f")


def _follows_ok(text: str, end: int) -> bool:
    tail = text[end : end + 2]
    if tail[:1].isalpha() or tail[:1] in set("%°:/-\u00d7"):
        return False
    word = next_word(text, end)
    return not word or word in _FOLLOW_OK


def find_amounts(scan: Scan, compiled: Compiled) -> list[Found]:
    text = scan.plain
    candidates: list[tuple[int, int, Amount]] = []
    for m in matches(compiled.money, text):
        amount = compiled.currency_amount(m, scan.index)
        if amount is not None:
            candidates.append((m.start(), m.end(), amount))
    for pattern in (_BARE_VERB, _BARE_NOUN, _BARE_DECIMAL, compiled.after_number):
        for m in matches(pattern, text):
            if _bare_ok(pattern, m, text, compiled):
                value = to_decimal(m["num"], bool(m["k"]))
                if value is not None:
                    candidates.append((m.start("num"), m.end(), Amount(
                        message=scan.index, value=value, text=m["num"] + m["k"])))
    found = []
    for start, end, item in non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            found.append(Found(start, ("amount", Decimal(item.value), item.currency), item))
    return found


def _bare_ok(pattern: re.Pattern[str], m: re.Match[str], text: str, compiled: Compiled) -> bool:
    """A number with no currency is an amount only where nothing says it is a count or a time."""
    number = m["num"]
    # One digit is a count far more often than a sum ("charged for 4" passengers); a long run is
    # an id; 1900-2099 is a year.
    if number.isdigit() and (
        (len(number) == 1 and not m["k"])
        or len(number) > 7
        or (len(number) == 4 and 1900 <= int(number) <= 2099)
    ):
        return False
    if pattern is _BARE_VERB and m["verb"].lower().startswith("pa") and "for" in m["fill"].lower():
        return False  # "pay for 45" names what is bought (45 seats), not the sum
    if pattern is compiled.after_number:
        return True  # the money verb comes after the number ("899 kate")
    if pattern is not _BARE_DECIMAL:
        return _follows_ok(text, m.end())
    prev = _PREV_WORD.search(text, max(0, m.start() - 24), m.start())
    if prev and fold(prev.group(1)) in compiled.not_before_decimal:
        return False
    if _UNIT_AFTER.match(text, m.end(), m.end() + 12) or text[m.end() : m.end() + 1].isalpha():
        return False
    return compiled.money_word.search(window(text, m.start(), m.end(), 60, 40)) is not None
