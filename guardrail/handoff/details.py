"""The details a customer already gave, pulled out of their messages for the human who takes over.

`extract_details` reads the user messages only and returns a frozen `Details`: references
(invoice, order, ticket ... ids), amounts, dates, payment-method hints (last four digits only),
error messages and codes, devices and integrations. Each item keeps the index of the message it
was said in; lists are in order of first mention, without repeats. `Details.missing(need_state)`
says what a human would still have to ask.

Precision comes before recall: a detail shown to an agent as "already given" must have been
given. So a bare number is an amount only beside a money word ("charged me 43"), an id only after
a keyword or a known prefix, a date only in a date shape; phone and card numbers are blanked
before any of that runs, and a full card number is reduced to its last four digits.

Other choices an agent should know about: a bare "$" reads as USD and "¥" as JPY (the amount
keeps its text as written, so "$300" from an Australian is still visible as such), while words
like "pesos" or "dirham" give no currency; a date gets `iso` only with a year and one possible
reading ("03/04/2026" has none); error messages in free text are redacted with `redact`, error
codes are kept as written (their grammar admits no personal data and redaction would turn
"0x80070005" into "0x[number]").

Every pattern is linear (no nested unbounded quantifiers) and each message is cut to its first
20,000 characters. Names and words (currencies, products, the questions per need-state) are data
in ``_data/vocab/details.yaml``, loaded once and validated like the registry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from guardrail.conversation import Message
from guardrail.errors import RegistryError, RegistryIssue, UserError
from guardrail.redact import luhn_ok, redact

__all__ = [
    "Amount",
    "CardHint",
    "DateMention",
    "DetailField",
    "Details",
    "Device",
    "DeviceKind",
    "ErrorMention",
    "Integration",
    "Reference",
    "ReferenceKind",
    "extract_details",
]

ReferenceKind = Literal["invoice", "order", "ticket", "case", "booking", "transaction", "reference"]
DeviceKind = Literal["device", "os", "browser", "app"]
DetailField = Literal[
    "references", "amounts", "dates", "card_last4", "errors", "devices", "integrations"
]

MAX_CHARS = 20_000
MAX_ITEMS = 50
# A message stuffed with thousands of look-alike matches must not cost more than this per pattern.
_MAX_MATCHES = 200
_VOCAB_FILE = "vocab/details.yaml"
_T = TypeVar("_T")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Item(_Frozen):
    message: int = Field(ge=0, description="Index of the message the detail was said in.")


class Reference(_Item):
    """An id the customer quoted: ``INV-2041``, ``order #A-77812``, ``booking ref XK9P2Q``."""

    kind: ReferenceKind
    value: str = Field(max_length=32, description="The id as written, without a leading '#'.")


class Amount(_Item):
    """A sum of money: `value` is a plain decimal string, `currency` an ISO 4217 code or None."""

    value: str = Field(pattern=r"^\d+(\.\d+)?$")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    text: str = Field(max_length=40, description="The amount as written, e.g. '$1,200.50'.")


class DateMention(_Item):
    """A date as written ("March 3rd", "last Tuesday"); `iso` only when absolute and unambiguous."""

    value: str = Field(max_length=60)
    iso: date | None = None


class CardHint(_Item):
    """A payment-method hint: the last four digits of a card, the brand or method named, or both.

    A full card number is never kept: only its last four digits reach `value`.
    """

    value: str | None = Field(default=None, pattern=r"^\d{4}$", description="Last four digits.")
    brand: str | None = Field(default=None, max_length=32)


class ErrorMention(_Item):
    """An error code or message, redacted and cut to 80 characters."""

    value: str = Field(max_length=80)


class Device(_Item):
    """A device, operating system, browser or app version ("iPhone 13", "app version 5.2.1")."""

    kind: DeviceKind
    value: str = Field(max_length=60)


class Integration(_Item):
    """A third-party product or integration, by canonical name ("Shopify", "Google Workspace")."""

    value: str = Field(max_length=40)


class Details(_Frozen):
    """Everything the customer already told the bot that a human agent would otherwise re-ask.

    Attributes:
        references: invoice, order, ticket, case, booking, transaction and other ids.
        amounts: sums of money, with the currency when it is clear.
        dates: explicit and relative dates, as written.
        card_last4: payment-method hints; never more than the last four digits of a card.
        errors: error codes and messages, redacted.
        devices: devices, operating systems, browsers and app versions.
        integrations: third-party products named.
    """

    references: list[Reference] = Field(default_factory=list, max_length=MAX_ITEMS)
    amounts: list[Amount] = Field(default_factory=list, max_length=MAX_ITEMS)
    dates: list[DateMention] = Field(default_factory=list, max_length=MAX_ITEMS)
    card_last4: list[CardHint] = Field(default_factory=list, max_length=MAX_ITEMS)
    errors: list[ErrorMention] = Field(default_factory=list, max_length=MAX_ITEMS)
    devices: list[Device] = Field(default_factory=list, max_length=MAX_ITEMS)
    integrations: list[Integration] = Field(default_factory=list, max_length=MAX_ITEMS)

    def missing(self, need_state: str) -> list[str]:
        """What a human would still have to ask for this need-state, in asking order.

        Args:
            need_state: a need-state id such as ``billing`` or ``incident``. One the vocabulary
                does not list needs nothing, so custom registries never break a handoff.

        Returns:
            The questions (from ``_data/vocab/details.yaml``) none of whose fields holds anything.
        """
        needs = _vocab().needs.get(need_state, [])
        return [n.ask for n in needs if not any(getattr(self, f) for f in n.satisfied_by)]


# --- the vocabulary file -------------------------------------------------------------------------


class _Currencies(_Frozen):
    symbols: dict[str, str]
    codes: list[str]
    words: dict[str, str | None]
    prefix_words: dict[str, str | None]


class _RefKeyword(_Frozen):
    word: str = Field(min_length=2)
    kind: ReferenceKind
    marker: bool = False


class _References(_Frozen):
    keywords: list[_RefKeyword]
    prefixes: dict[str, ReferenceKind]
    not_prefixes: list[str]


class _PaymentMethod(_Frozen):
    name: str
    aliases: list[str] = Field(min_length=1)
    context: bool = False


class _Errors(_Frozen):
    http_phrases: list[str]
    phrases: list[str]
    code_words: list[str]


class _DeviceSpec(_Frozen):
    name: str
    kind: DeviceKind
    version: Literal["none", "number", "model"]
    bare: Literal["always", "cased", "never"]
    aliases: list[str] = Field(default_factory=list)
    versions: list[str] = Field(default_factory=list)


class _IntegrationSpec(_Frozen):
    name: str
    aliases: list[str] = Field(default_factory=list)
    ambiguous: bool = False
    only_cased: bool = False


class _Need(_Frozen):
    ask: str = Field(min_length=3)
    satisfied_by: list[DetailField] = Field(min_length=1)


class _Vocab(_Frozen):
    currencies: _Currencies
    references: _References
    payment_methods: list[_PaymentMethod]
    errors: _Errors
    devices: list[_DeviceSpec]
    integrations: list[_IntegrationSpec]
    needs: dict[str, list[_Need]]


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    return _parse_vocab((resources.files("guardrail") / "_data" / _VOCAB_FILE).read_text("utf-8"))


def _parse_vocab(text: str) -> _Vocab:
    """Validate the vocabulary; every problem is reported with the file and its YAML path."""
    try:
        return _Vocab.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise RegistryError([RegistryIssue(_VOCAB_FILE, "", f"not valid YAML: {exc}")]) from exc
    except ValidationError as exc:
        issues = [
            RegistryIssue(_VOCAB_FILE, ".".join(str(p) for p in err["loc"]), err["msg"])
            for err in exc.errors()
        ]
        raise RegistryError(issues) from exc


# --- text preparation ----------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CARDISH = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PHONEISH = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{7,}\d(?!\w)")
_CARD_WORD = re.compile(
    r"(?i:\b(?:card|visa|master\s?card|amex|debit|credit|account|acct|iban|method|paypal)\b)"
)
_PHONE_WORD = re.compile(r"(?i:\b(?:phone|mobile|number|sim|line|cell|whatsapp|tel)\b)")


def _prepare(text: str) -> str:
    # NFKC can expand a character many times over, so the text is cut before and after it.
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS])[:MAX_CHARS]
    return _CONTROL.sub(" ", _INVISIBLE.sub("", text))


def _blank_card(m: re.Match[str]) -> str:
    card = sum(c.isdigit() for c in m.group()) >= 13
    return " " * len(m.group()) if card else m.group()


def _blank_phone(m: re.Match[str]) -> str:
    # A plain run of digits after "ref" is an id; a phone number is written with a "+", a
    # leading 0 or separators.
    phone = m.group()
    shaped = phone[0] in "+(0" or not phone.isdigit()
    digits = sum(c.isdigit() for c in phone)
    return " " * len(phone) if shaped and (phone[0] == "+" or digits >= 9) else phone


@dataclass(slots=True)
class _Scan:
    """One message: `text` has card numbers blanked, `plain` phone numbers too; `claimed` holds
    the spans extractors have taken, so one piece of text becomes at most one item."""

    index: int
    text: str
    plain: str
    claimed: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.claimed)

    def claim(self, start: int, end: int) -> None:
        self.claimed.append((start, end))


def _matches(pattern: re.Pattern[str] | _Names, text: str) -> Iterator[re.Match[str]]:
    for count, match in enumerate(pattern.finditer(text)):
        if count >= _MAX_MATCHES:
            return
        yield match


@dataclass(frozen=True, slots=True)
class _Names:
    """A pattern of many names, run only where a word that starts one of them begins.

    A long alternation tried at every character is the slow part of a big message; finding the
    words first (a fast scan) and trying the pattern only at the few that can start a name keeps
    the cost per character flat however many names the vocabulary lists.
    """

    pattern: re.Pattern[str]
    firsts: frozenset[str]

    @classmethod
    def of(cls, names: Sequence[str], template: str) -> _Names:
        """`template` holds ``{}`` where the alternation of `names` goes."""
        firsts = frozenset(_first_word(n) for n in names)
        return cls(re.compile(template.format(_alt(names))), firsts)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Non-overlapping matches, left to right, like `re.Pattern.finditer`."""
        done = 0
        for count, word in enumerate(_WORD.finditer(text)):
            if count >= 50 * _MAX_MATCHES:
                return
            if word.start() >= done and word.group().casefold() in self.firsts:
                m = self.pattern.match(text, word.start())
                if m is not None:
                    done = m.end()
                    yield m


_WORD = re.compile(r"[^\W_]+")


def _first_word(name: str) -> str:
    m = _WORD.match(name)
    if m is None:
        raise RegistryError([RegistryIssue(_VOCAB_FILE, "", f"{name!r} must start with a letter")])
    return m.group().casefold()


def _window(text: str, start: int, end: int, before: int, after: int) -> str:
    return text[max(0, start - before) : end + after]


def _alt(words: Sequence[str]) -> str:
    """A regex alternation of literal words, longest first, any run of spaces matching one."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


# Where a candidate item starts; `_dedupe` orders by (message, start) and drops repeats by key.
@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    key: object
    item: _Item


# --- payment-method hints ------------------------------------------------------------------------

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


def _card_hints(raw: str, scan: _Scan, brands: _Brands) -> list[_Found]:
    found: list[_Found] = []
    for m in _matches(_CARDISH, raw):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) < 13:
            continue
        cued = _CARD_WORD.search(_window(raw, m.start(), m.start(), 40, 0)) is not None
        if luhn_ok(digits) or cued:
            brand = brands.near(raw, m.start(), m.end())
            found.append(_Found(m.start(), ("card", digits[-4:]), CardHint(
                message=scan.index, value=digits[-4:], brand=brand)))
    for m in _matches(_LAST4, scan.text):
        before = _window(scan.text, m.start(), m.start(), 48, 0)
        card_at = max((c.end() for c in _CARD_WORD.finditer(before)), default=-1)
        phone_at = max((p.end() for p in _PHONE_WORD.finditer(before)), default=-1)
        masked = m.group("cue").strip()[:1] in {"x", "X", "*", "•", "#"}
        last_four = m.group("cue").lower().startswith("last")
        if phone_at > card_at or not (masked or last_four or card_at >= 0):
            continue
        brand = brands.near(scan.text, m.start(), m.end())
        last4 = m.group("d")
        found.append(_Found(m.start(), ("card", last4), CardHint(
            message=scan.index, value=last4, brand=brand)))
        scan.claim(m.start(), m.end())
    for m in _matches(brands.pattern, scan.text):
        name = brands.names[_fold(m.group())]
        before = scan.text[max(0, m.start() - 30) : m.start()]
        after = scan.text[m.end() : m.end() + 30]
        if name in brands.needs_context and not _BRAND_CONTEXT.search(f"{before} {after}"):
            continue
        # Only a method the customer used or holds is a hint; "can I choose Visa or Mastercard?"
        # names two they have not got. "PAYPAL *MERCHANT" is how a statement shows one used.
        if not (_BRAND_USED.search(before) or after.lstrip().startswith("*")):
            continue
        found.append(_Found(m.start(), ("brand", name), CardHint(message=scan.index, brand=name)))
        scan.claim(m.start(), m.end())
    return found


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class _Brands:
    pattern: _Names
    names: dict[str, str]
    needs_context: frozenset[str]

    def near(self, text: str, start: int, end: int) -> str | None:
        """The payment method named closest before the digits, else just after them."""
        before = list(self.pattern.finditer(_window(text, start, start, 40, 0)))
        if before:
            return self.names[_fold(before[-1].group())]
        after = next(self.pattern.finditer(text[end : end + 25]), None)
        return self.names[_fold(after.group())] if after else None


# --- dates ---------------------------------------------------------------------------------------

_MONTH_NUMBERS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1,
    "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_MONTH = "(?P<mon>" + _alt(list(_MONTH_NUMBERS)) + r")\.?"
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


def _dates(scan: _Scan) -> list[_Found]:
    candidates: list[tuple[int, int, DateMention]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in _matches(pattern, scan.text):
            item = _date_item(kind, m, scan.index)
            if item is not None:
                candidates.append((m.start(), m.end(), item))
    found = []
    for start, end, item in _non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            key = item.iso if item.iso else _fold(item.value)
            found.append(_Found(start, ("date", key), item))
    return found


def _non_overlapping(candidates: list[tuple[int, int, _T]]) -> list[tuple[int, int, _T]]:
    """Earliest first; of two that overlap, the one starting first (then the longer) wins."""
    kept: list[tuple[int, int, _T]] = []
    for start, end, item in sorted(candidates, key=lambda c: (c[0], c[0] - c[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, item))
    return kept


# --- errors --------------------------------------------------------------------------------------

_QUOTE_CUE = (
    r"(?i:\b(?:says?|said|saying|shows?|showed|showing|shown|displays?|displayed|displaying|"
    r"reads?|reading|error|message|msg|pop-?up|prompt|banner|notification|alert|returns?|"
    r"returned|returning|telling\s+me|tells\s+me|told\s+me|keeps?\s+saying|comes?\s+up\s+with|"
    r"came\s+up\s+with|pops?\s+up\s+with|fail(?:s|ed|ing)?\s+with|rejected\s+with)"
    r"(?:\s+(?:me|us|that|the|an?|error|message|this|now|just|only|again)){0,3}\s*[:,-]?\s*)"
)
_QUOTED = re.compile(
    _QUOTE_CUE + r"(?:\"(?P<q1>[^\"\n]{2,160})\"|\u201c(?P<q2>[^\u201d\n]{2,160})\u201d"
    r"|\u2018(?P<q3>(?:[^\u2019\n]|\u2019(?=[a-z])){2,160}?)\u2019(?![A-Za-z])"
    r"|'(?P<q4>(?:[^'\n]|'(?=[a-z])){2,160}?)'(?![A-Za-z]))"
)
# What an agent, a bot or a caller said is not an error message: "the bot said 'refund approved'".
_PERSON_SAID = re.compile(
    r"(?i:\b(?:agent|bot|he|she|they|rep|colleague|someone|guy|man|woman|lady|staff|support|"
    r"team|advisor|adviser|manager|driver|caller)\s+(?:\w+\s+)?(?:said|told|tells|says)\b)"
)
_ERROR_CODE = re.compile(
    r"(?i:\b(?:error|err|eror|errror|erro|fault|exit)(?:\s+(?:code|no\.?|number|#))?\s*[:#]?\s*)"
    r"(?:[A-Z]{1,4}[-_]?\d{2,6}|\d{2,6}|0x[0-9A-Fa-f]{4,16})(?![\w-])"
    r"(?!\s+(?i:times|days|hours|minutes|mins|weeks|months|users|people|customers)\b)"
)
_HTTP_STATUS = re.compile(
    r"(?i:\b(?:https?|status(?:\s+code)?|response(?:\s+code)?)\s*:?\s*)[45]\d\d(?!\w)"
)
_STATUS_PLURAL = re.compile(r"(?<![\w$£€¥₹.,/-])[45]\d\ds\b")
_HEX_CODE = re.compile(r"(?i:\b(?:error\s+)?code\s+)?(?<!\w)0x[0-9A-Fa-f]{4,16}(?!\w)")
_SNAKE_CODE = re.compile(r"(?<![\w:])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){1,8}(?!\w)")
_ERROR_COLON = re.compile(
    r"(?i:\berror(?:\s+message)?\s*:\s*)(?P<msg>[A-Za-z][^\n.!?\"'\u201c\u201d\u2018\u2019]{2,79})"
)


def _errors(scan: _Scan, compiled: _Compiled) -> list[_Found]:
    text = scan.plain
    codes: list[tuple[int, int, str]] = []
    for pattern in (_ERROR_CODE, _HTTP_STATUS, _STATUS_PLURAL, compiled.http_phrase, _HEX_CODE):
        codes.extend((m.start(), m.end(), m.group()) for m in _matches(pattern, text))
    for m in _matches(_SNAKE_CODE, text):
        if compiled.code_words.intersection(m.group().split("_")):
            codes.append((m.start(), m.end(), m.group()))
    texts: list[tuple[int, int, str]] = []
    for m in _matches(_QUOTED, text):
        if _PERSON_SAID.search(_window(text, m.start(), m.start() + 12, 30, 0)):
            continue
        quote = next(q for q in (m["q1"], m["q2"], m["q3"], m["q4"]) if q is not None)
        texts.append((m.start(), m.end(), quote.strip()))
    texts.extend((m.start(), m.end(), m["msg"].strip()) for m in _matches(_ERROR_COLON, text))
    texts.extend((m.start(), m.end(), m.group()) for m in _matches(compiled.error_phrase, text))
    found = []
    code_spans = {(start, end) for start, end, _ in codes}
    for start, end, value in _non_overlapping(codes + texts):
        value = " ".join(value.split())
        if (start, end) in code_spans:
            # Codes are numbers other extractors must not read as amounts or ids; quoted text is
            # left free, so "it says 'pay £20 now'" still yields the amount. A code is kept as
            # written: its grammar admits no personal data (card numbers are already blanked)
            # and redaction would turn "0x80070005" into "0x[number]".
            scan.claim(start, end)
            clean = value[:80]
        else:
            clean = redact(value, 80)
        if len(clean) >= 2:
            found.append(_Found(start, ("error", _fold(clean)), ErrorMention(
                message=scan.index, value=clean)))
    return found


# --- devices and integrations --------------------------------------------------------------------

_VERSION_GRAMMAR = {
    "number": r"\d{1,3}(?:\.\d{1,4}){0,3}",
    "model": (
        r"(?:[a-z]{0,2}\d{1,4}[a-z]?|se|xr|xs|x)"
        r"(?:\s(?:pro\s+max|pro|max|plus|mini|ultra|lite|fe|xl))?"
    ),
}
_APP_VERSION = re.compile(
    r"(?i:\b(?:(?:app|application)\s+(?:version|ver\.?|v)\s*|version\s+|(?<![\w/.])v)"
    r"\d{1,3}(?:\.\d{1,4}){1,3}(?![\w]|\.\d))"
)
_INTEGRATION_CONTEXT = re.compile(
    r"(?i:\b(?:integrations?|integrated?|apps?|plugin|plug-in|connector|connection|connected?|"
    r"sync(?:s|ed|ing)?|api|webhooks?|workspace|channels?|store|shop|account|receipts?|checkout|"
    r"payouts?|notifications?|bot|sso|login|export|import|calendar|meeting|call|invite|dashboard)\b)"
)


@dataclass(frozen=True, slots=True, eq=False)
class _DevicePattern:
    pattern: re.Pattern[str]
    spellings: dict[str, str]  # folded name or alias -> the spelling the vocabulary gives it
    kind: DeviceKind


@dataclass(frozen=True, slots=True)
class _Devices:
    # One scan for any device name picks the few per-device patterns worth running.
    names: _Names
    by_name: dict[str, tuple[_DevicePattern, ...]]


def _device_pattern(spec: _DeviceSpec) -> _DevicePattern:
    names = [spec.name, *spec.aliases]
    bare = {
        "always": f"(?i:{_alt(names)})",
        "cased": _alt([spec.name]) + (f"|(?i:{_alt(spec.aliases)})" if spec.aliases else ""),
        "never": f"(?i:{_alt(spec.aliases)})" if spec.aliases else "(?!)",
    }[spec.bare]
    forms = [f"(?P<b>{bare})"]
    grammar = [_VERSION_GRAMMAR[spec.version]] if spec.version != "none" else []
    grammar += [_alt(spec.versions)] if spec.versions else []
    if grammar:
        forms.insert(0, rf"(?P<n>(?i:{_alt(names)}))\s?(?P<v>(?i:{'|'.join(grammar)}))")
    pattern = re.compile(rf"(?<![\w.])(?:{'|'.join(forms)})(?!\w)")
    return _DevicePattern(pattern, {_fold(n): n for n in names}, spec.kind)


def _compile_devices(specs: Sequence[_DeviceSpec]) -> _Devices:
    by_name: dict[str, list[_DevicePattern]] = {}
    for spec in specs:
        compiled = _device_pattern(spec)
        for name in compiled.spellings:
            by_name.setdefault(name, []).append(compiled)
    every = [n for spec in specs for n in (spec.name, *spec.aliases)]
    names = _Names.of(every, r"(?<![\w.])(?i:{})")
    return _Devices(names, {k: tuple(v) for k, v in by_name.items()})


def _devices(scan: _Scan, devices: _Devices) -> list[_Found]:
    candidates: list[tuple[int, int, Device]] = []
    seen = (devices.by_name[_fold(m.group())] for m in _matches(devices.names, scan.plain))
    for named in dict.fromkeys(p for patterns in seen for p in patterns):
        for m in _matches(named.pattern, scan.plain):
            groups = m.groupdict()
            value = named.spellings[_fold(groups.get("n") or groups["b"])]
            if groups.get("v"):
                value = f"{value} {' '.join(groups['v'].split())}"
            candidates.append((m.start(), m.end(), Device(
                message=scan.index, kind=named.kind, value=value)))
    for m in _matches(_APP_VERSION, scan.plain):
        candidates.append((m.start(), m.end(), Device(
            message=scan.index, kind="app", value=" ".join(m.group().split()))))
    found = []
    for start, end, item in _non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            found.append(_Found(start, ("device", _fold(item.value)), item))
    return found


@dataclass(frozen=True, slots=True)
class _Integrations:
    pattern: _Names
    specs: dict[str, _IntegrationSpec]  # folded name or alias -> its product


def _compile_integrations(specs: Sequence[_IntegrationSpec]) -> _Integrations:
    by_name = {_fold(n): spec for spec in specs for n in (spec.name, *spec.aliases)}
    names = [n for spec in specs for n in (spec.name, *spec.aliases)]
    return _Integrations(_Names.of(names, r"(?<![\w.@/])(?i:{})(?!\w)"), by_name)


def _integrations(scan: _Scan, integrations: _Integrations) -> list[_Found]:
    found = []
    for m in _matches(integrations.pattern, scan.plain):
        spec = integrations.specs[_fold(m.group())]
        if spec.ambiguous and not _plainly_named(scan.plain, m, spec):
            continue
        found.append(_Found(m.start(), ("integration", spec.name), Integration(
            message=scan.index, value=spec.name)))
    return found


def _plainly_named(text: str, m: re.Match[str], spec: _IntegrationSpec) -> bool:
    """An everyday word ("slack", "square") names the product only as written, mid-sentence,
    or beside integration words; `only_cased` products need their spelling either way."""
    before = text[max(0, m.start() - 40) : m.start()].rstrip()
    mid_sentence = bool(before) and before[-1] not in ".!?:\n"
    as_written = m.group() in (spec.name, *spec.aliases)
    context = _INTEGRATION_CONTEXT.search(_window(text, m.start(), m.end(), 40, 40)) is not None
    if spec.only_cased:
        return as_written and (mid_sentence or context)
    return (as_written and mid_sentence) or context


# --- references ----------------------------------------------------------------------------------

_REF_MARKER = r"(?:number|num|no\.?|nr\.?|#|id|ref(?:erence)?|code|:|is|was|=)"
_EXPLICIT_MARKER = re.compile(r"(?i:number|num|no|nr|#|id|ref|code|:|=)")
_REF_ID = r"[A-Za-z0-9](?:[A-Za-z0-9]|[-/](?=[A-Za-z0-9])){2,24}"
_HASH_ID = re.compile(r"(?<![\w&#])#(?P<id>\d{4,12})(?![\w-])")
_GENERIC_PREFIX = re.compile(r"(?<![\w/-])(?P<pfx>[A-Z]{2,5})-(?P<num>\d{3,12})(?![\w/-]|[.,]\d)")
_UNIT_SUFFIXED = re.compile(
    r"(?i:\d+(?:st|nd|rd|th|s|k|m|g|gb|mb|tb|kb|am|pm|h|hr|hrs|min|mins|x|fa|d|w|y|yr|yrs|mo|p|"
    r"px|mbps|ghz))"
)
_RANGE_OR_DATE = re.compile(r"\d{1,3}[-/]\d{1,3}(?:[-/]\d{2,4})?")
_COUNT_NOUNS = frozenset(
    {
        "units", "items", "pieces", "pcs", "users", "seats", "licences", "licenses", "times",
        "days", "weeks", "months", "years", "hours", "minutes", "mins", "people", "persons",
        "orders", "tickets", "copies", "boxes", "packs", "gems", "points", "pts", "credits",
        "lines", "accounts", "members", "employees", "agents", "calls", "messages", "emails",
        "texts", "attempts", "tries",
    }
)
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")


def _next_word(text: str, end: int) -> str:
    m = _NEXT_WORD.match(text, end, end + 24)
    return m.group(1).lower() if m else ""


def _id_ok(value: str, *, explicit: bool, needs_marker: bool, text: str, end: int) -> bool:
    """Whether `value`, found after a reference keyword, is shaped like an id and not a count."""
    digits = sum(c.isdigit() for c in value)
    if digits == 0 or _UNIT_SUFFIXED.fullmatch(value) or _RANGE_OR_DATE.fullmatch(value):
        return False
    if not value.isdigit():
        return digits >= 2 or len(value) >= 5
    if len(value) < 3 or _next_word(text, end) in _COUNT_NOUNS:
        return False
    if explicit:
        return True
    # "order 2024", "account 12345" and "order 250 flyers" read as a year, a count or a balance.
    return not needs_marker and len(value) >= 4 and not 1900 <= int(value) <= 2099


def _references(scan: _Scan, compiled: _Compiled) -> list[_Found]:
    text = scan.plain
    candidates: list[tuple[int, int, Reference]] = []
    for m in _matches(compiled.ref_keyword, text):
        spec = compiled.ref_keywords[_fold(m["kw"])]
        explicit = _EXPLICIT_MARKER.search(m["marker"]) is not None or "#" in m.group()
        if _id_ok(m["id"], explicit=explicit, needs_marker=spec.marker, text=text, end=m.end()):
            candidates.append((m.start(), m.end(), Reference(
                message=scan.index, kind=spec.kind, value=m["id"])))
    for m in _matches(compiled.ref_prefix, text):
        kind = compiled.prefixes[m["pfx"].upper()]
        candidates.append((m.start(), m.end(), Reference(
            message=scan.index, kind=kind, value=m.group())))
    for m in _matches(_GENERIC_PREFIX, text):
        if m["pfx"] not in compiled.not_prefixes and m["pfx"] not in compiled.prefixes:
            candidates.append((m.start(), m.end(), Reference(
                message=scan.index, kind="reference", value=m.group())))
    for m in _matches(_HASH_ID, text):
        candidates.append((m.start(), m.end(), Reference(
            message=scan.index, kind="reference", value=m["id"])))
    found = []
    for start, end, item in _non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            found.append(_Found(start, ("ref", item.value.upper()), item))
    return found


# --- amounts -------------------------------------------------------------------------------------

_NUM = r"(?:\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_NUM_END = r"(?!\d|[.,]\d)"
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
    rf"(?P<num>{_NUM})(?P<k>[kK]?){_NUM_END}"
)
_BARE_NOUN = re.compile(
    r"(?i:\b(?:charge|payment|fee|debit|deduction|transaction|transfer|withdrawal|refund|bill|"
    r"deposit|purchase|amount|recharge|top-?up|total|price|cost|balance|premium|penalty)s?"
    r"(?:['\"\u2019]?\s*(?:of|for|is|was|were|being|:|=)\s*|['\"\u2019]\s*)"
    r"(?:(?:only|just|about|around|over|nearly|almost)\s+)?)"
    rf"(?P<num>{_NUM})(?P<k>[kK]?){_NUM_END}"
)
_BARE_DECIMAL = re.compile(r"(?<![\w.,/:$€£¥₹-])(?P<num>\d{1,6}[.,]\d{2})(?P<k>)(?!\d|[.,]\d)")
_MONEY_WORD = re.compile(
    r"(?i:\b(?:charge[sd]?|charging|paid|pay|paying|payments?|fees?|debit(?:ed)?|refund(?:ed)?|"
    r"bill(?:ed)?|price|costs?|subscription|card|statement|purchased?|transactions?|invoice|"
    r"receipt|total|deposit|withdrawal|balance|bought|renewal|top-?up|recharge|delivery|"
    r"shipping)\b)"
)
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
_NOT_BEFORE_DECIMAL = frozenset(
    {
        "version", "ver", "v", "ios", "android", "build", "release", "rated", "rating", "score",
        "at", "by", "until", "till", "since", "from", "on", "dated", "around", "about", "approx",
    }
)
_UNIT_AFTER = re.compile(
    r"\s*(?i:%|°|x\b|gb|mb|kb|tb|km|kg|mi\b|miles|lbs?\b|hours?|hrs?|mins?|minutes?|seconds?|"
    r"secs?|days?|weeks?|months?|years?|stars?|rating|points?|pts|am\b|pm\b|mbps|ghz|mhz|inch|"
    r"cm\b|mm\b|m\b|ms\b|s\b)"
)
_PREV_WORD = re.compile(r"([A-Za-z]+)\W*$")
_WEIGHT = re.compile(r"(?i:\b(?:weigh\w*|lost|gained|heavy|heavier|lighter|kg|lbs?)\b)")


def _decimal(number: str, thousand: bool) -> str | None:
    """'1,200.50' -> '1200.50', '49,90' -> '49.90', '4,999' -> '4999', '2' with k -> '2000'."""
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
    word = _next_word(text, end)
    return not word or word in _FOLLOW_OK


def _amounts(scan: _Scan, compiled: _Compiled) -> list[_Found]:
    text = scan.plain
    candidates: list[tuple[int, int, Amount]] = []
    for m in _matches(compiled.money, text):
        amount = compiled.currency_amount(m, scan.index)
        if amount is not None:
            candidates.append((m.start(), m.end(), amount))
    for pattern in (_BARE_VERB, _BARE_NOUN, _BARE_DECIMAL):
        for m in _matches(pattern, text):
            if _bare_ok(pattern, m, text):
                value = _decimal(m["num"], bool(m["k"]))
                if value is not None:
                    candidates.append((m.start("num"), m.end(), Amount(
                        message=scan.index, value=value, text=m["num"] + m["k"])))
    found = []
    for start, end, item in _non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            found.append(_Found(start, ("amount", Decimal(item.value), item.currency), item))
    return found


def _bare_ok(pattern: re.Pattern[str], m: re.Match[str], text: str) -> bool:
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
    if pattern is not _BARE_DECIMAL:
        return _follows_ok(text, m.end())
    prev = _PREV_WORD.search(text, max(0, m.start() - 24), m.start())
    if prev and prev.group(1).lower() in _NOT_BEFORE_DECIMAL:
        return False
    if _UNIT_AFTER.match(text, m.end(), m.end() + 12) or text[m.end() : m.end() + 1].isalpha():
        return False
    return _MONEY_WORD.search(_window(text, m.start(), m.end(), 60, 40)) is not None


# --- compiled vocabulary -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    money: re.Pattern[str]
    symbols: dict[str, str]
    words: dict[str, str | None]
    prefix_words: dict[str, str | None]
    ref_keyword: re.Pattern[str]
    ref_keywords: dict[str, _RefKeyword]
    ref_prefix: re.Pattern[str]
    prefixes: dict[str, ReferenceKind]
    not_prefixes: frozenset[str]
    brands: _Brands
    http_phrase: re.Pattern[str]
    error_phrase: _Names
    code_words: frozenset[str]
    devices: _Devices
    integrations: _Integrations

    def currency_amount(self, m: re.Match[str], index: int) -> Amount | None:
        """The amount of a match of `money`, or None when "pounds" is a weight."""
        if m["pnum"] is not None:
            number, thousand = m["pnum"], bool(m["pk"])
            currency = (self.symbols[m["psym"]] if m["psym"] else m["pcode"] if m["pcode"]
                        else self.prefix_words[_fold(m["pword"])])
        else:
            number, thousand = m["snum"], bool(m["sk"])
            word = m["sword"]
            if word is not None and _fold(word).startswith("pound") and (
                re.match(r"\s+of\b", m.string[m.end() : m.end() + 6])
                or _WEIGHT.search(_window(m.string, m.start(), m.start(), 30, 0))
            ):
                return None
            currency = (self.symbols[m["ssym"]] if m["ssym"] else m["scode"] if m["scode"]
                        else self.words[_fold(word)])
        value = _decimal(number, thousand)
        if value is None:
            return None
        text = " ".join(m.group().split())
        return Amount(message=index, value=value, currency=currency, text=text)


@lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    vocab = _vocab()
    cur = vocab.currencies
    sym, code = _alt(list(cur.symbols)), "|".join(sorted(cur.codes, key=len, reverse=True))
    money = re.compile(
        rf"(?:(?P<psym>{sym})|(?<![A-Za-z])(?P<pcode>{code})|(?<![A-Za-z])(?i:(?P<pword>"
        rf"{_alt(list(cur.prefix_words))})))\s?(?P<pnum>{_NUM})(?P<pk>[kK])?{_NUM_END}(?![A-Za-z])"
        rf"|(?<![\w.,])(?P<snum>{_NUM})(?P<sk>[kK])?\s?(?:(?P<ssym>{sym})(?!\s?\d)|(?P<scode>{code})"
        rf"(?![A-Za-z])|(?i:(?P<sword>{_alt(list(cur.words))}))(?![A-Za-z]))"
    )
    refs = vocab.references
    ref_keyword = re.compile(
        rf"(?<![\w/-])(?i:(?P<kw>{_alt([k.word for k in refs.keywords])}))\b"
        rf"(?P<marker>(?:\s*(?i:{_REF_MARKER})){{0,3}})\s*#?\s*(?P<id>{_REF_ID})(?![\w/-])"
    )
    ref_prefix = re.compile(
        rf"(?<![\w/-])(?i:(?P<pfx>{_alt(list(refs.prefixes))}))-?\d{{3,12}}(?![\w/-]|[.,]\d)"
    )
    methods = vocab.payment_methods
    brands = _Brands(
        pattern=_Names.of([a for p in methods for a in p.aliases], r"(?<!\w)(?i:{})(?!\w)"),
        names={_fold(a): p.name for p in methods for a in p.aliases},
        needs_context=frozenset(p.name for p in methods if p.context),
    )
    errs = vocab.errors
    return _Compiled(
        money=money,
        symbols=dict(cur.symbols),
        words={_fold(w): c for w, c in cur.words.items()},
        prefix_words={_fold(w): c for w, c in cur.prefix_words.items()},
        ref_keyword=ref_keyword,
        ref_keywords={_fold(k.word): k for k in refs.keywords},
        ref_prefix=ref_prefix,
        prefixes={p.upper(): k for p, k in refs.prefixes.items()},
        not_prefixes=frozenset(refs.not_prefixes),
        brands=brands,
        http_phrase=re.compile(
            rf"(?<![\w$£€¥₹.,/-])[45]\d\d\s+(?i:{_alt(errs.http_phrases)})(?!\w)"
        ),
        error_phrase=_Names.of(errs.phrases, r"(?<!\w)(?i:{})(?!\w)"),
        code_words=frozenset(errs.code_words),
        devices=_compile_devices(vocab.devices),
        integrations=_compile_integrations(vocab.integrations),
    )


# --- the entry point -----------------------------------------------------------------------------


def _texts(messages: Sequence[Message] | Sequence[str] | str) -> Iterator[tuple[int, str]]:
    if isinstance(messages, str):
        yield 0, messages
        return
    for index, message in enumerate(messages):
        if isinstance(message, str):
            yield index, message
        elif isinstance(message, Message):
            if message.role == "user":
                yield index, message.content
        else:
            raise UserError(
                f"extract_details: message {index} is a {type(message).__name__}, "
                "not a Message or a str"
            )


def _scan(index: int, content: str, compiled: _Compiled) -> dict[str, list[_Found]]:
    raw = _prepare(content)
    scan = _Scan(index, raw, raw)
    cards = _card_hints(raw, scan, compiled.brands)
    # Every 13-19 digit run shaped like a card is blanked for the later extractors, so no field
    # can hold more than the last four digits of one; phone numbers are blanked for all but dates.
    scan.text = _CARDISH.sub(_blank_card, raw)
    scan.plain = _PHONEISH.sub(_blank_phone, scan.text)
    # The order matters: each extractor claims its spans, so "error 502" is not an amount, a
    # date is not an id and "iPhone 15" is not a quantity.
    return {
        "card_last4": cards,
        "dates": _dates(scan),
        "errors": _errors(scan, compiled),
        "devices": _devices(scan, compiled.devices),
        "references": _references(scan, compiled),
        "amounts": _amounts(scan, compiled),
        "integrations": _integrations(scan, compiled.integrations),
    }


def _dedupe(found: list[tuple[int, _Found]]) -> list[_Item]:
    seen: set[object] = set()
    items: list[_Item] = []
    for _, f in sorted(found, key=lambda pair: (pair[1].item.message, pair[1].start)):
        if f.key not in seen:
            seen.add(f.key)
            items.append(f.item)
    return items[:MAX_ITEMS]


def extract_details(messages: Sequence[Message] | Sequence[str]) -> Details:
    """Pull what the customer already said out of their messages, for a handoff summary.

    Args:
        messages: the conversation's messages; only those with role ``user`` are read. Plain
            strings are all taken as the customer's (a single string as one message). Each
            message is read up to its first 20,000 characters.

    Returns:
        The details, each list in order of first mention without repeats, each item with the
        index of its message in `messages`.

    Raises:
        UserError: an element is neither a `Message` nor a `str`.
    """
    compiled = _compiled()
    fields: dict[str, list[tuple[int, _Found]]] = {}
    for index, content in _texts(messages):
        for name, found in _scan(index, content, compiled).items():
            fields.setdefault(name, []).extend((index, f) for f in found)
    merged = {name: _dedupe(found) for name, found in fields.items()}
    cards = [c for c in merged.get("card_last4", []) if isinstance(c, CardHint)]
    brands_with_digits = {c.brand for c in cards if c.value is not None}
    # "an iPhone ... my iPhone 15" is one device, told twice.
    devices = [d for d in merged.get("devices", []) if isinstance(d, Device)]
    merged["devices"] = [
        d for d in devices if not any(o.value.startswith(f"{d.value} ") for o in devices)
    ]
    # "paid by Visa ... Visa ending 4242" is one hint, not two.
    merged["card_last4"] = [
        c for c in cards if c.value is not None or c.brand not in brands_with_digits
    ]
    return Details.model_validate({name: [i.model_dump() for i in items]
                                   for name, items in merged.items()})
