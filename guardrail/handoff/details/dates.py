"""Dates as written ("March 3rd", "last Tuesday"), with an ISO date only when absolute and
unambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from guardrail.handoff.details.model import DateMention
from guardrail.handoff.details.text import (
    LETTER_AHEAD,
    NOT_AFTER_WORD,
    NOT_IN_WORD,
    Found,
    Scan,
    alt,
    fold,
    matches,
    nfkc,
    non_overlapping,
)
from guardrail.handoff.details.vocab import DatesSpec

__all__ = ["DatePatterns", "compile_dates", "find_dates"]

_NUMBER_WORDS = (
    r"\d{1,3}|a\s+few|a\s+couple(?:\s+of)?|couple(?:\s+of)?|few|several|an?|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|eleven|twelve"
)
_FIXED_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])")),
    ("numeric", re.compile(
        r"(?<![\d/.-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
        r"(?![\d/-]|[.,]\d)"
    )),
    ("short", re.compile(
        r"(?i:\b(?:on|dated|since|until|till|by|before|after)\s+)"
        r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/])(?!\s+of\b)"
    )),
)
_ENGLISH_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ordinal", re.compile(
        r"(?i:\b(?:on|since|from|by|until|till|before|after|now|it'?s)\s+)"
        r"(?P<the>the\s+(?P<d>\d{1,2})(?:st|nd|rd|th))\b(?!\s+(?:floor|time|attempt|try|one|page|"
        r"step|line|item|card|order|charge|payment|call|email|level|round|person|row|seat)s?\b)"
    )),
)
_LATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ago", re.compile(
        rf"(?i:\b(?:(?:about|around|over|almost|nearly|roughly|like|just|only)\s+)?"
        rf"(?:{_NUMBER_WORDS})\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|years?|"
        rf"yrs?)\s+(?:ago|back)\b)"
    )),
)
_SINCE_TIME = re.compile(
    r"(?i:\bsince\s+(?:about\s+|around\s+|approx\.?\s+)?"
    r"(?:\d{1,2}(?::\d{2})?\s?(?:am|pm)|\d{1,2}:\d{2}(?:\s?(?:utc|gmt|[ap]m))?)(?![\w:]))"
)


@dataclass(frozen=True, slots=True)
class DatePatterns:
    """The date patterns in the order they are tried, and the month of every month word."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    months: dict[str, int]


def _words(words: list[str]) -> str:
    return alt([nfkc(w) for w in words])


def compile_dates(spec: DatesSpec) -> DatePatterns:
    """The date grammar around the vocabulary's month names and date words."""
    months = {fold(w): n for names in spec.months.values() for w, n in names.items()}
    every = [w for names in spec.months.values() for w in names]
    day_only = {fold(w) for w in spec.day_only}
    not_first = day_only | {fold(w) for w in spec.day_or_lead_only}
    led = [w for w in every if fold(w) not in day_only]
    free = [w for w in every if fold(w) not in not_first]
    first = [w for lang in spec.month_first for w in spec.months[lang]
             if fold(w) not in not_first]
    suffixes = _words(spec.day_suffixes)
    word_suffixes = _words([s for s in spec.day_suffixes if s[-1:].isalnum()])

    def month(words: list[str], dot: bool = True) -> str:
        return f"(?P<mon>{_words(words)})" + (r"\.?" if dot else "")

    day = rf"(?P<d>\d{{1,2}})(?P<suf>{suffixes})?"
    day_first = rf"(?P<d>\d{{1,2}})(?:{word_suffixes})?"
    year = rf"(?:(?:,?\s+|\s+(?:{_words(spec.month_year)})\s+)(?P<y>(?:19|20)\d{{2}}))?"
    weekday = (
        rf"(?i:(?<!\ba\s){NOT_AFTER_WORD}{LETTER_AHEAD}(?:(?:{_words(spec.weekday_modifiers)})\s+)?"
        rf"(?:{_words(spec.weekdays)})(?:\s+(?:{_words(spec.after_weekday)}))?{NOT_IN_WORD})"
    )
    count = rf"(?:\d{{1,3}}|{_words(spec.ago_numbers)})"
    units = _words(spec.ago_units)
    patterns = (
        *_FIXED_PATTERNS,
        ("day_month", re.compile(
            rf"(?i:(?<![\w.,/:£$€]){day}(?:\s+(?:{_words(spec.day_month)}))?\s+{month(every)}"
            rf"{year}{NOT_IN_WORD})"
        )),
        ("month_day", re.compile(
            rf"(?i:(?<!\w){LETTER_AHEAD}{month(first)}\s+{day_first}{year}(?![\w:%]|[.,]\d))"
        )),
        ("month_year", re.compile(
            rf"(?i:(?<!\w){LETTER_AHEAD}{month(free)}(?:\s+(?:{_words(spec.month_year)}))?"
            rf"\s+(?P<y>(?:19|20)\d{{2}})(?!\w))"
        )),
        # "en mai 2025", "im Mai 2025": the words only read after a lead, with a year.
        ("led_month_year", re.compile(
            rf"(?i:{NOT_AFTER_WORD}{LETTER_AHEAD}(?:{_words(spec.month_leads)}|"
            rf"(?P<mod>{_words(spec.month_modifiers)}))\s+"
            rf"(?P<mon>{_words(spec.day_or_lead_only)})(?:\s+(?:{_words(spec.month_year)}))?"
            rf"\s+(?P<y>(?:19|20)\d{{2}})(?!\w))"
        )),
        ("month", re.compile(
            rf"(?i:{NOT_AFTER_WORD}{LETTER_AHEAD}(?:{_words(spec.month_leads)}|"
            rf"(?P<mod>{_words(spec.month_modifiers)}))\s+{month(led, dot=False)}{NOT_IN_WORD}"
            rf"(?!\s*\d))"
        )),
        *_ENGLISH_PATTERNS,
        ("weekday", re.compile(weekday)),
        *_LATE_PATTERNS,
        ("ago_before", re.compile(
            rf"(?i:{NOT_AFTER_WORD}{LETTER_AHEAD}(?:{_words(spec.ago_before)})\s+{count}\s+"
            rf"(?:{units}){NOT_IN_WORD})"
        )),
        ("ago_after", re.compile(
            rf"(?i:{NOT_AFTER_WORD}{count}\s+(?:{units})\s+(?:{_words(spec.ago_after)})"
            rf"{NOT_IN_WORD})"
        )),
        ("relative", re.compile(
            rf"(?i:{NOT_AFTER_WORD}{LETTER_AHEAD}(?:{_words(spec.relative)}){NOT_IN_WORD})"
        )),
        ("since_time", _SINCE_TIME),
    )
    return DatePatterns(patterns=patterns, months=months)


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric_date(a: int, b: int, year: int | None) -> tuple[bool, date | None]:
    """Whether a/b can be a day and a month, and the date when only one reading is possible."""
    readings = {(a, b), (b, a)} if a != b else {(a, b)}
    valid = {(d, m) for d, m in readings if 1 <= d <= 31 and 1 <= m <= 12}
    if not valid:
        return False, None
    if year is None or len(valid) > 1:
        return True, None
    day, month = valid.pop()
    made = _make_date(year, month, day)
    return made is not None, made


def _date_item(
    kind: str, m: re.Match[str], index: int, months: dict[str, int]
) -> DateMention | None:
    text = " ".join(m.group().split()).rstrip(".")
    if "mon" in m.re.groupindex and fold(m["mon"]) == "may":
        # The verb, not the month ("I may 2 things", "I have 2. May I ask ..."), unless a day
        # and a year hold it ("12 may 2025 ko").
        dated = kind == "day_month" and m["y"] is not None
        if not dated and (m["mon"] == "may" or (m.groupdict().get("suf") or "") == "."):
            return None
    if kind == "iso":
        made = _make_date(int(m["y"]), int(m["m"]), int(m["d"]))
        return DateMention(message=index, value=text, iso=made) if made else None
    if kind in {"numeric", "short"}:
        year = m.groupdict().get("y")
        full = year if year and len(year) == 4 else None
        ok, made = _numeric_date(int(m["a"]), int(m["b"]), int(full) if full else None)
        if kind == "short":
            text = f"{m['a']}/{m['b']}"
            ok = ok and text != "24/7"
        return DateMention(message=index, value=text, iso=made) if ok else None
    if kind in {"day_month", "month_day"}:
        day, month = int(m["d"]), months[fold(m["mon"])]
        if not 1 <= day <= 31:
            return None
        made = _make_date(int(m["y"]), month, day) if m["y"] else None
        return DateMention(message=index, value=text, iso=made)
    if kind == "led_month_year":
        start = m.start() if m["mod"] else m.start("mon")
        text = " ".join(m.string[start : m.end()].split())
    elif kind == "month":
        mod = m["mod"]
        text = f"{' '.join(mod.split())} {m['mon']}" if mod else m["mon"]
    elif kind == "ordinal":
        if not 1 <= int(m["d"]) <= 31:
            return None
        text = " ".join(m["the"].split())
    return DateMention(message=index, value=text)


def find_dates(scan: Scan, dates: DatePatterns) -> list[Found]:
    candidates: list[tuple[int, int, DateMention]] = []
    for kind, pattern in dates.patterns:
        for m in matches(pattern, scan.text):
            item = _date_item(kind, m, scan.index, dates.months)
            if item is not None:
                candidates.append((m.start(), m.end(), item))
    found = []
    for start, end, item in non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            key = item.iso if item.iso else fold(item.value)
            found.append(Found(start, ("date", key), item))
    return found
