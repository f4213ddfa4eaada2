"""Dates as written ("March 3rd", "last Tuesday"), with an ISO date only when absolute and
unambiguous.
"""

from __future__ import annotations

import re
from datetime import date

from guardrail.handoff.details.model import DateMention
from guardrail.handoff.details.text import Found, Scan, alt, fold, matches, non_overlapping

__all__ = ["find_dates"]

_MONTH_NUMBERS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1,
    "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_MONTH = "(?P<mon>" + alt(list(_MONTH_NUMBERS)) + r")\.?"
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<y>(?:19|20)\d{2}))?"
_NUMBER_WORDS = (
    r"\d{1,3}|a\s+few|a\s+couple(?:\s+of)?|couple(?:\s+of)?|few|several|an?|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|eleven|twelve"
)
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])")),
    ("numeric", re.compile(
        r"(?<![\d/.-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
        r"(?![\d/-]|[.,]\d)"
    )),
    ("short", re.compile(
        r"(?i:\b(?:on|dated|since|until|till|by|before|after)\s+)"
        r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/])(?!\s+of\b)"
    )),
    ("day_month", re.compile(rf"(?i:(?<![\w.,/:£$€]){_DAY}(?:\s+of)?\s+{_MONTH}{_YEAR}(?!\w))")),
    ("month_day", re.compile(rf"(?i:(?<!\w){_MONTH}\s+{_DAY}{_YEAR}(?![\w:%]|[.,]\d))")),
    ("month_year", re.compile(rf"(?i:(?<!\w){_MONTH}\s+(?P<y>(?:19|20)\d{{2}})(?!\w))")),
    ("month", re.compile(
        r"(?i:\b(?:in|since|from|until|till|during|(?P<mod>early|late|mid|end\s+of|start\s+of|"
        r"beginning\s+of|last|this|next))\s+" + _MONTH.replace(r"\.?", "") + r"\b(?!\s*\d))"
    )),
    ("ordinal", re.compile(
        r"(?i:\b(?:on|since|from|by|until|till|before|after|now|it'?s)\s+)"
        r"(?P<the>the\s+(?P<d>\d{1,2})(?:st|nd|rd|th))\b(?!\s+(?:floor|time|attempt|try|one|page|"
        r"step|line|item|card|order|charge|payment|call|email|level|round|person|row|seat)s?\b)"
    )),
    ("weekday", re.compile(
        # "on a Monday" is any Monday, not a date.
        r"(?i:(?<!\ba\s)\b(?:(?:last|this|next|every|past)\s+)?"
        r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
        r"(?:\s+(?:morning|afternoon|evening|night))?\b)"
    )),
    ("ago", re.compile(
        rf"(?i:\b(?:(?:about|around|over|almost|nearly|roughly|like|just|only)\s+)?"
        rf"(?:{_NUMBER_WORDS})\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|years?|"
        rf"yrs?)\s+(?:ago|back)\b)"
    )),
    ("relative", re.compile(
        r"(?i:\b(?:the\s+day\s+before\s+yesterday|(?:earlier\s+)?today|tonight|"
        r"yesterday(?:\s+(?:morning|afternoon|evening|night))?|"
        r"tomorrow(?:\s+(?:morning|afternoon|evening|night))?|"
        r"this\s+(?:morning|afternoon|evening|week|month|year|weekend)|"
        r"last\s+(?:night|week|month|year|weekend)|(?:at|over)\s+the\s+weekend|the\s+other\s+day|"
        r"overnight)\b)"
    )),
    ("since_time", re.compile(
        r"(?i:\bsince\s+(?:about\s+|around\s+|approx\.?\s+)?"
        r"(?:\d{1,2}(?::\d{2})?\s?(?:am|pm)|\d{1,2}:\d{2}(?:\s?(?:utc|gmt|[ap]m))?)(?![\w:]))"
    )),
)


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


def _date_item(kind: str, m: re.Match[str], index: int) -> DateMention | None:
    text = " ".join(m.group().split()).rstrip(".")
    if "mon" in m.re.groupindex and m.group("mon") == "may":
        return None  # the verb, not the month
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
        day, month = int(m["d"]), _MONTH_NUMBERS[m["mon"].lower()]
        if not 1 <= day <= 31:
            return None
        made = _make_date(int(m["y"]), month, day) if m["y"] else None
        return DateMention(message=index, value=text, iso=made)
    if kind == "month":
        mod = m["mod"]
        text = f"{' '.join(mod.split())} {m['mon']}" if mod else m["mon"]
    elif kind == "ordinal":
        if not 1 <= int(m["d"]) <= 31:
            return None
        text = " ".join(m["the"].split())
    return DateMention(message=index, value=text)


def find_dates(scan: Scan) -> list[Found]:
    candidates: list[tuple[int, int, DateMention]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in matches(pattern, scan.text):
            item = _date_item(kind, m, scan.index)
            if item is not None:
                candidates.append((m.start(), m.end(), item))
    found = []
    for start, end, item in non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            key = item.iso if item.iso else fold(item.value)
            found.append(Found(start, ("date", key), item))
    return found
