"""Redaction of personal data and secrets in evidence, summaries, tool arguments and spans.

The built-in pass needs no model and no network: a fixed sequence of patterns compiled once at
import, each either bounded or anchored at the start of a run of characters, so a hostile 100 KB
message costs linear time. Every match becomes a tag:

=====================  ==============================================================
``[secret]``           API keys (``sk-``, ``sk_live_``, ``pk_``, ``AKIA``, ``ghp_``, ...), JWTs,
                       the value after ``Bearer``, ``password:`` / ``pwd=`` / ``my password
                       is``, and any run of 24+ characters mixing letters and digits
``[email]``            e-mail addresses
``[iban ****1234]``    IBANs that pass the mod-97 check (last four characters kept)
``[card ****1234]``    13-19 digit card numbers that pass the Luhn check (last four kept)
``[national-id]``      US SSN, UK National Insurance number, Spanish DNI/NIE (check letter),
                       and the value after "passport number", "tax id", "ssn" and the like
``[phone]``            phone numbers: ``+44 20 7946 0958``, ``(555) 123-4567``, ``07700 900123``
``[address]``          a house number with a street ("221B Baker Street", "12 rue de la Paix",
                       "Hauptstraße 5")
``[number]``           any other run of six or more digits, and card-shaped numbers failing Luhn
=====================  ==============================================================

Order matters and is fixed: secrets first (a key may hold digits that look like a card), then
e-mail, IBAN, long tokens, cards, national ids, phones, addresses and last the bare digit runs.
No pattern matches a tag, and the passes repeat until the text holds still (a tag can open a word
boundary an earlier pass needed), so ``redact(redact(x)) == redact(x)``.

What survives on purpose: short numbers, years, amounts (``49.00``, ``1,200``), dates
(``2026-03-03``, ``03/03/2026``), times, and identifiers with letters (``INV-2041``,
``ORD-77812``, ``#A1234``) that a human agent needs to pick the case up.

Rule evidence is cut from *canonical* text (lowercase, punctuation mostly gone, ``49.00`` read as
``49``), so the patterns are case-insensitive and accept spaces where raw text would have dashes:
``4111 1111 1111 1111``, ``123 45 6789`` and ``10 downing street`` are still caught there. An
e-mail address does not survive folding as one (``@`` and dots are gone), so there it can only be
caught by the long-token and digit passes.

An extra pass (Microsoft Presidio, a named-entity model, an in-house service) can be added with
`use_redactor`; it runs after the built-in one, wherever `redact` is used.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Final, Protocol

__all__ = ["DEFAULT_REDACTOR", "Redactor", "luhn_ok", "redact", "redact_value", "use_redactor"]

_log = logging.getLogger("guardrail.redact")

_SECRET = "[secret]"
_TRUNCATED = "[truncated]"
# Every tag this module writes, so a pass can step over an earlier pass's output.
_TAG = r"\[(?:secret|email|phone|number|address|national-id|(?:card|iban) \*{4}[A-Z0-9]{4})\]"
_TAG_AT = re.compile(_TAG)


class Redactor(Protocol):
    """Anything that masks personal data in a text and returns the masked text."""

    def __call__(self, text: str, /) -> str:
        """Return `text` with what this redactor recognises masked."""
        ...


# -- secrets ---------------------------------------------------------------------------------------

_KEY = re.compile(
    r"(?<![\w-])(?:"
    r"(?:sk|pk|rk)[-_][\w-]{16,}+"  # Stripe sk_live_/pk_test_/rk_, OpenAI sk-/sk-proj-, sk-ant-
    r"|(?:akia|asia)[0-9a-z]{16}(?![\w-])"  # AWS access key ids
    r"|gh[pousr]_[a-z0-9]{20,}+"  # GitHub tokens
    r"|github_pat_\w{20,}+"
    r"|xox[abposr]-[\w-]{10,}+"  # Slack
    r"|aiza[\w-]{35}(?![\w-])"  # Google API keys
    r"|eyj[\w-]++\.eyj[\w-]++\.[\w-]*+"  # JWT: base64url header '{"...' . payload . signature
    r")",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?<![\w-])(bearer\s++)([\w.~+/=-]{8,}+)", re.IGNORECASE)
_PASSWORD = re.compile(
    r"(?<![\w-])("
    r"(?:password|passwd|pwd|passcode|passphrase|pin|secret|otp"
    r"|api[ _-]?key|(?:access|auth|refresh)[ _-]?token|token)"
    r"(?:\s*+[:=]\s*+|\s++(is)\s++))"
    rf"(?!{_TAG})(\S++)",
    re.IGNORECASE,
)
# "my password is not working" is a complaint, not a disclosure: after "is", these words and
# plain words ending in -ed/-ing/-ly are left alone (after ":" or "=" anything is a value).
_NOT_A_VALUE = frozenset(
    {
        "a", "about", "already", "also", "always", "an", "and", "at", "been", "blank", "broken",
        "case", "correct", "different", "empty", "fine", "for", "forgotten", "from", "gone",
        "in", "incorrect", "invalid", "it", "long", "lost", "my", "never", "no", "not", "now",
        "ok", "okay", "on", "or", "out", "reset", "right", "same", "set", "short", "still",
        "stolen", "strong", "that", "the", "this", "to", "too", "valid", "weak", "what",
        "which", "with", "wrong", "your"
    }
)
_NOT_A_VALUE_END = ("ed", "ing", "ly")
# A run of characters a key, hash or base64 blob is made of; judged by `_long_token`.
_TOKENISH = re.compile(r"(?<![\w+/=-])[\w+/=-]{24,}+")
_TOKEN_PART = re.compile(r"[^\W_]+")


def _long_token(match: re.Match[str]) -> str:
    run = match.group()
    # A real key has a long stretch mixing letters and digits; a slug such as
    # "invoice_2024_march_final_v2" only has short parts.
    for part in _TOKEN_PART.findall(run):
        if len(part) >= 8 and not part.isalpha() and not part.isdigit():
            return _SECRET
    return run


def _bearer(match: re.Match[str]) -> str:
    token = match.group(2)
    if len(token) >= 20 or any(ch.isdigit() for ch in token):
        return match.group(1) + _SECRET
    return match.group()  # "the bearer instrument": a word, not a token


def _password(match: re.Match[str]) -> str:
    if not any(ch.isalnum() for ch in match.group(3)):
        return match.group()  # "password: …", "password: ?"
    if match.group(2):
        word = match.group(3).strip(".,;:!?'\"()").lower()
        if not word or word in _NOT_A_VALUE or (word.isalpha() and word.endswith(_NOT_A_VALUE_END)):
            return match.group()
    return match.group(1) + _SECRET


# -- e-mail and IBAN -------------------------------------------------------------------------------

# Anchored at the start of a run, so a 100 KB run with no "@" is read once, not once per offset.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
# Two letters, two check digits, then 11-30 letters/digits: written solid, or in groups of four.
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}"
    r"(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)"
    r"(?![A-Za-z0-9])"
)


def _iban_ok(compact: str) -> bool:
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    # A grouped IBAN may have swallowed a following short word or two ("... 7034 that is"):
    # drop up to two trailing groups until the check passes.
    pieces = match.group().upper().split(" ")
    original = match.group().split(" ")
    for keep in range(len(pieces), max(len(pieces) - 3, 0), -1):
        compact = "".join(pieces[:keep])
        if _iban_ok(compact):
            return " ".join([f"[iban ****{compact[-4:]}]", *original[keep:]])
    return match.group()


# -- cards and digit runs --------------------------------------------------------------------------

_CARD = re.compile(
    r"(?<!\d)(?<!\d[.,])"  # not the decimals of an amount
    r"(?:\d{13,19}"
    r"|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,4}(?:[ -]\d{3})?"  # 4-4-4-4 (Visa, MC), 4-4-4-4-3
    r"|\d{4}[ -]\d{6}[ -]\d{4,5})"  # 4-6-5 (Amex), 4-6-4 (Diners)
    r"(?!\d)"
)
_CARD_SEP = re.compile(r"[ -]")
_LONG_DIGITS = re.compile(r"\d{6,}+")
_NON_DIGIT = re.compile(r"\D")
_YEAR = re.compile(r"(?:19|20)\d\d")


def luhn_ok(digits: str) -> bool:
    """Whether `digits` passes the Luhn check payment card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    text = match.group()
    groups = _CARD_SEP.split(text)
    if len(groups) > 1 and all(_YEAR.fullmatch(g) for g in groups):
        return text  # "2023 2024 2025 2026" is a list of years
    digits = _NON_DIGIT.sub("", text)
    if luhn_ok(digits):
        return f"[card ****{digits[-4:]}]"
    if len(groups) == 5:
        # A valid card followed by three more digits (often the CVC): mask the card, keep none
        # of it readable.
        head = "".join(groups[:4])
        if luhn_ok(head):
            return f"[card ****{head[-4:]}] [number]"
    return "[number]"


# -- national identity numbers ---------------------------------------------------------------------

# US Social Security Number: area 001-899 except 666, group 01-99, serial 0001-9999.
_SSN = re.compile(r"(?<![\w-])(?!000|666|9)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
# UK National Insurance number: two prefix letters (D F I Q U V never; O never second; a few
# pairs never issued), six digits, suffix A-D; spaced "AB 12 34 56 C" or solid.
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!(?:bg|gb|kn|nk|nt|tn|zz)\W?\d)"
    r"[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z] ?\d{2} ?\d{2} ?\d{2} ?[a-d](?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Spanish DNI (8 digits) and NIE (X/Y/Z + 7 digits), each with a check letter.
_DNI = re.compile(r"(?<![\w-])([xyz]-?)?(\d{7,8})-?([a-z])(?![\w-])", re.IGNORECASE)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
# Any other national number is recognised by what the customer calls it.
_ID_BY_NAME = re.compile(
    r"(?<![\w-])("
    r"(?:ssn|sin|nino|tin|social security|passport|tax id|id card|identity card"
    r"|national (?:id|identity|insurance)|driver'?s? licen[cs]e)"
    r"(?: (?:number|no\.?|nr\.?|#))?"
    r"(?:\s*+[:=#.]\s*+|\s++is\s++|\s++))"  # "." is what ":" becomes in canonical text
    r"(?=[\w-]*?\d)([a-z0-9][\w-]{3,}+)",
    re.IGNORECASE,
)


def _dni(match: re.Match[str]) -> str:
    prefix, digits, letter = match.group(1), match.group(2), match.group(3).upper()
    if prefix:
        if len(digits) != 7:
            return match.group()
        digits = str("XYZ".index(prefix[0].upper())) + digits
    elif len(digits) != 8:
        return match.group()
    return "[national-id]" if _DNI_LETTERS[int(digits) % 23] == letter else match.group()


def _id_by_name(match: re.Match[str]) -> str:
    return match.group(1) + "[national-id]"


# -- phones ----------------------------------------------------------------------------------------

# Up to eight digit groups, "(555)" groups, one separator between groups, an optional "+".
# Each group is a maximal digit run, so a candidate is found with bounded work per start.
_PHONE = re.compile(
    # not inside a word, an amount, a date or a time ("tel:+33 ..." is fine: a "+" starts anew)
    r"(?<![\w+(*\]])(?:\+ ?|(?<![\w\]][.,/:-]))"
    r"(?:\(\d{1,5}\)|\d{1,12})"
    r"(?:(?:[ .-]|(?<=\)) ?| ?(?=\())(?:\(\d{1,5}\)|\d{1,12})){0,7}"
    r"(?![\w+]|[.,/:-]\d)"
)
_PHONE_GROUP = re.compile(r"\(\d+\)|\d+")


def _is_date(a: str, b: str, c: str) -> bool:
    def day_month(x: str, y: str) -> bool:
        return len(x) <= 2 and len(y) <= 2 and (
            (1 <= int(x) <= 31 and 1 <= int(y) <= 12) or (1 <= int(x) <= 12 and 1 <= int(y) <= 31))

    if _YEAR.fullmatch(a):
        return day_month(b, c)
    return bool(_YEAR.fullmatch(c)) and day_month(a, b)


def _date_groups(groups: list[str]) -> set[int]:
    """The positions of groups that belong to a date (2026 03 03, 03 03 2026)."""
    dated: set[int] = set()
    for i in range(len(groups) - 2):
        if _is_date(*groups[i : i + 3]):
            dated.update((i, i + 1, i + 2))
    return dated


def _phone_ok(groups: list[str], seps: list[str], plus: bool) -> bool:
    digits = sum(len(g.strip("()")) for g in groups)
    if plus:
        if not 8 <= digits <= 15:
            return False
    elif not 10 <= digits <= 15 or len(groups) < 2 or max(len(g) for g in groups) > 8:
        return False
    if any("." in s for s in seps):
        if set(seps) != {"."} or len(groups) < 3:
            return False  # dots only as the one separator: 555.123.4567, not 49.00 1234
        if len(groups) == 4 and all(len(g) <= 3 and int(g.strip("()")) <= 255 for g in groups):
            return False  # an IP address
    if all(_YEAR.fullmatch(g) for g in groups):
        return False
    # A short number next to a phone is not part of it: "10 555 123 4567", "555 123 4567 49".
    if not plus and len(groups[0]) <= 2 and len(groups) > 2 and len(groups[1]) >= 3:
        return not _phone_ok(groups[1:], seps[1:], False)
    if len(groups[-1]) <= 2 and len(groups) > 2 and len(groups[-2]) >= 3:
        return not _phone_ok(groups[:-1], seps[:-1], plus)
    return True


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    spans = [m.span() for m in _PHONE_GROUP.finditer(text)]
    groups = [text[a:b] for a, b in spans]
    seps = [text[spans[i][1] : spans[i + 1][0]] for i in range(len(spans) - 1)]
    plus = text.startswith("+")
    if sum(len(g) for g in groups) < (8 if plus else 10):
        return text
    # Pick the phones among the groups (a date or a second phone may sit next to one): the
    # windows of consecutive groups that read as a phone, chosen to cover the most digits.
    n = len(groups)
    dated = _date_groups(groups)
    if not dated and _phone_ok(groups, seps, plus):
        return "[phone]"
    best: list[tuple[int, list[tuple[int, int]]]] = [(0, [])] * (n + 1)
    for end in range(1, n + 1):
        best[end] = best[end - 1]
        for start in range(end):
            if dated.intersection(range(start, end)):
                continue
            if _phone_ok(groups[start:end], seps[start : end - 1], plus and start == 0):
                covered = best[start][0] + sum(len(g) for g in groups[start:end])
                if covered > best[end][0]:
                    best[end] = (covered, [*best[start][1], (start, end)])
    pieces: list[str] = []
    last = 0
    for start, end in best[n][1]:
        begin = 0 if start == 0 else spans[start][0]
        pieces += [text[last:begin], "[phone]"]
        last = spans[end - 1][1]
    pieces.append(text[last:])
    return "".join(pieces)


# -- street addresses ------------------------------------------------------------------------------

# Words that do not belong to a street name, so "5 minute drive", "10 times on the way" and
# "2 tb hard drive" are not addresses.
_NOT_STREET = (
    r"(?:a|an|and|another|any|are|as|at|be|best|better|by|day|days|different|easy|every|few|for"
    r"|from|gb|good|hard|he|her|his|hour|hours|i|in|is|it|its|kb|km|mb|mile|miles|min|mins"
    r"|minute|minutes|month|months|more|my|new|next|no|not|of|on|one|only|or|other|our|out"
    r"|per|quick|right|same|she|simple|so|tb|than|that|the|their|them|then|there|they|this"
    r"|time|times|to|two|up|us|was|way|we|week|weeks|were|which|with|wrong|year|years|you"
    r"|your)"
)
_STREET_SUFFIX = (
    r"(?:(?:street|road|avenue|lane|boulevard|drive|way|court|place|terrace|close|crescent"
    r"|square|highway|parkway|strasse|straße)\b"
    r"|(?:st|rd|ave|ln|blvd|dr|ct|pl|sq|hwy|pkwy|str)\b\.?)"
)
_ADDRESS = re.compile(
    r"(?<![\w*.,/:\]-])(?:"
    # 221B Baker Street, 1600 Pennsylvania Ave, 350 5th Avenue
    r"\d{1,5}[a-z]?(?:-\d{1,5}[a-z]?)?,?"
    rf"(?: (?!{_NOT_STREET}\b)(?:[^\W\d_][\w'.-]{{0,24}}|\d{{1,3}}(?:st|nd|rd|th))){{1,4}}?"
    rf" {_STREET_SUFFIX}"
    # 12 rue de la Paix, 5 avenue d'Iéna
    r"|\d{1,5}[a-z]?(?: bis| ter)?,? (?:rue|avenue|boulevard|bd|chemin|allée|allee|impasse|quai)"
    r" (?:(?:de|du|des|la|le|les) |[dl]['\u2019])*[^\W\d_][\w'\u2019-]{0,30}"
    r")"
    # Hauptstraße 5, Berliner Straße 12, Amselweg 3a
    r"|(?<![\w-])[^\W\d_][\w-]{0,40}+"
    r"(?: (?:straße|strasse|str\.)|(?<=straße)|(?<=strasse)|(?<=str)\.|(?<=gasse|allee|platz)"
    r"|(?<=weg)|(?<=damm))"
    r" ?\d{1,4}[a-z]?(?![\w-])",
    re.IGNORECASE,
)


# -- the built-in pass -----------------------------------------------------------------------------

_MAX_ROUNDS = 4
_Pass = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]
_PASSES: Final[tuple[_Pass, ...]] = (
    (_KEY, _SECRET),
    (_BEARER, _bearer),
    (_PASSWORD, _password),
    (_EMAIL, "[email]"),
    (_IBAN, _iban),
    (_TOKENISH, _long_token),
)
# Every later pass needs a digit, and most evidence has none: they are skipped then.
_DIGIT_PASSES: Final[tuple[_Pass, ...]] = (
    (_CARD, _card),
    (_SSN, "[national-id]"),
    (_NINO, "[national-id]"),
    (_DNI, _dni),
    (_ID_BY_NAME, _id_by_name),
    (_PHONE, _phone),
    (_ADDRESS, "[address]"),
    (_LONG_DIGITS, "[number]"),
)
_DIGIT = re.compile(r"\d")


def _builtin(text: str, /) -> str:
    # A tag can open a boundary a pass needed ("1234567Bearer x1" becomes "[number]Bearer x1"),
    # so the passes repeat until nothing changes; that is what makes redaction idempotent. Each
    # round only turns text into tags, so it settles fast (text with nothing to mask: one round).
    for _ in range(_MAX_ROUNDS):
        before = text
        for pattern, replacement in _PASSES:
            text = pattern.sub(replacement, text)
        if _DIGIT.search(text):
            for pattern, replacement in _DIGIT_PASSES:
                text = pattern.sub(replacement, text)
        if text == before:
            break
    return text


DEFAULT_REDACTOR: Final[Redactor] = _builtin
"""The built-in pass: the patterns listed in the module docstring. Always runs first."""


# -- the pluggable extra pass ----------------------------------------------------------------------

_lock = threading.Lock()
_extra: Redactor | None = None
_warned = False


def use_redactor(extra: Redactor | None) -> Redactor | None:
    """Install `extra` as a pass run after the built-in one wherever `redact` is used.

    The extra pass receives text the built-in pass has already masked, so it can only mask more.
    If it raises (or returns something other than a string), the built-in result is used and a
    warning naming the exception type, never the text, is logged once. Thread-safe.

    Example, with Microsoft Presidio (``pip install presidio-analyzer presidio-anonymizer``)::

        from presidio_analyzer import AnalyzerEngine
        from presidio_anonymizer import AnonymizerEngine

        analyzer, anonymizer = AnalyzerEngine(), AnonymizerEngine()
        use_redactor(lambda text: anonymizer.anonymize(
            text=text, analyzer_results=analyzer.analyze(text=text, language="en")).text)

    Args:
        extra: the additional redactor, or None to remove the one installed.

    Returns:
        The extra redactor installed before (None if there was none), so it can be restored.
    """
    global _extra, _warned
    with _lock:
        previous, _extra, _warned = _extra, extra, False
    return previous


def _warn_once(extra: Redactor, problem: str) -> None:
    global _warned
    with _lock:
        if _warned or extra is not _extra:
            return
        _warned = True
    name = getattr(extra, "__qualname__", type(extra).__qualname__)
    _log.warning("extra redactor %s failed (%s); using the built-in redaction only", name, problem)


def _mask(text: str) -> str:
    masked = _builtin(text)
    extra = _extra
    if extra is None:
        return masked
    try:
        result = extra(masked)
    # The extra pass is third-party code on the path of every decision: whatever it raises, the
    # built-in result stands (the exception's message may quote the text, so it is not logged).
    except Exception as exc:
        _warn_once(extra, type(exc).__name__)
        return masked
    if not isinstance(result, str):
        _warn_once(extra, f"returned {type(result).__name__}, not str")
        return masked
    return result


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    start = head.rfind("[")
    if start != -1 and "]" not in head[start:] and _TAG_AT.match(text, start):
        head = head[:start]  # never leave half a tag such as "[card ****12"
    return head + "…"


def redact(text: str, limit: int = 120) -> str:
    """Return `text` with personal data and secrets masked, cut to `limit` characters.

    Args:
        text: raw or canonical text.
        limit: the longest result; a longer one is cut and ends with "…".

    Returns:
        The masked text (see the module docstring for the tags).
    """
    masked = _mask(text)
    if len(masked) <= limit:
        return masked
    for _ in range(_MAX_ROUNDS):
        cut = _cut(masked, limit)
        # Cutting can end a run early ("555-123-4567-10:30" -> "555-123-4567-1…") and so make a
        # match that was not there: mask the cut text again until it holds still.
        again = _builtin(cut)
        if again == cut:
            return cut
        masked = again
    return _cut(masked, limit)


def redact_value(obj: object, *, limit: int | None = None, max_depth: int = 8) -> object:
    """Redact every string in a JSON-like value (tool arguments, span attributes).

    Mappings become dicts (keys are redacted too), lists and tuples keep their type, sets become
    lists. A number whose digits would be masked in text (a card number sent as an int) becomes
    the masked string; other numbers, booleans and None are kept. Anything else is turned into
    its redacted ``str``. Containers nested deeper than `max_depth` become ``"[truncated]"``.

    Args:
        obj: the value to redact.
        limit: cut each string to this many characters (None: no cut).
        max_depth: how many levels of containers are kept.

    Returns:
        A redacted copy; `obj` is not modified.
    """
    return _walk(obj, limit, max_depth)


def _scalar(obj: object, limit: int | None) -> object:
    if isinstance(obj, str):
        return _mask(obj) if limit is None else redact(obj, limit)
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int | float):
        text = str(obj)
        masked = _mask(text)
        return obj if masked == text else masked
    if isinstance(obj, bytes | bytearray):
        obj = obj.decode("utf-8", errors="replace")
    text = str(obj)
    return _mask(text) if limit is None else redact(text, limit)


def _walk(obj: object, limit: int | None, depth: int) -> object:
    if isinstance(obj, Mapping):
        if depth <= 0:
            return _TRUNCATED
        return {
            _scalar(k, None) if isinstance(k, str | int | float) else k: _walk(v, limit, depth - 1)
            for k, v in obj.items()
        }
    if isinstance(obj, list | tuple | set | frozenset):
        if depth <= 0:
            return _TRUNCATED
        items = [_walk(v, limit, depth - 1) for v in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    return _scalar(obj, limit)
