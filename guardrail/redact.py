"""Redaction of personal data and secrets in evidence, summaries, tool arguments, spans and logs.

The built-in pass needs no model and no network: a fixed sequence of patterns compiled once (the
ones that read vocabulary on first use, from ``_data/vocab/redact.yaml``), each either bounded or
anchored at the start of a run of characters, so a hostile 100 KB message costs linear time.
Every match becomes a tag:

=====================  ==============================================================
``[secret]``           API keys (``sk-``, ``sk_live_``, ``pk_``, ``AKIA``, ``ghp_``, ...), JWTs,
                       the value after ``Bearer``; a password after a label in any shipped
                       language (``password:``, ``pass:``, ``pw=``, ``pwd``, "my password is",
                       "the password I used was", "contraseña", "Passwort", "mot de passe",
                       "senha", "wachtwoord", "पासवर्ड ... है"); a 4-8 digit one-time code or
                       PIN near "code", "OTP", "PIN", "verification", "código", "Code",
                       "कोड" (not "error code 1603"); and any run of 24+ characters mixing
                       letters and digits
``[email]``            e-mail addresses, written plainly or obfuscated: "jane dot doe at
                       example dot com", "jane(at)example(dot)com", "[at]", "arroba",
                       "chiocciola", "at the rate"
``[iban ****1234]``    IBANs that pass the mod-97 check (last four characters kept)
``[card ****1234]``    13-19 digit card numbers that pass the Luhn check (last four kept)
``[national-id]``      US SSN, UK National Insurance number, Spanish DNI/NIE (check letter),
                       and the value after "passport number", "tax id", "ssn" and the like
``[phone]``            phone numbers: ``+44 20 7946 0958``, ``(555) 123-4567``, ``07700 900123``,
                       local ``555-0142`` / ``555 0142`` and grouped national ``912 345 678``
``[address]``          a house number with a street ("221B Baker Street", "12 rue de la Paix",
                       "Hauptstraße 5"); postcodes: UK "SW1A 1AA", US ZIP+4 and a ZIP after a
                       state, Dutch "1012 AB", and 4-5 digit ones after a label ("PLZ",
                       "código postal", "CAP", "zip") or a street; PO boxes ("PO Box 123",
                       "Apartado de Correos 45", "Postfach 10 11 12", "Caixa Postal 12")
``[number]``           any other run of six or more digits, and card-shaped numbers failing Luhn
=====================  ==============================================================

Order matters and is fixed: secrets first (a key may hold digits that look like a card), then
e-mail, IBAN, long tokens, one-time codes, cards, national ids, PO boxes, postcodes, phones,
addresses and last the bare digit runs. No pattern matches a tag, and the passes repeat until
the text holds still (a tag can open a word boundary an earlier pass needed), so
``redact(redact(x)) == redact(x)``.

What survives on purpose: short numbers, years, amounts (``49.00``, ``$89.99``, ``1.299,00 €``),
dates (``2026-03-03``, ``03/03/2026``), times, percentages, and identifiers a human agent needs
to pick the case up: ids with letters (``INV-2041``, ``ORD-77812``, ``#A1234``) and a number
after a reference word ("order #4821", "ticket 555-0142", "pedido nº 1012 AB"). A 5-digit
number alone is not read as a postcode, nor a 4-digit one as a code without a code word.

Rule evidence is cut from *canonical* text (lowercase, accents and punctuation mostly gone,
``49.00`` read as ``49``), so the patterns are case-insensitive, the vocabulary matches with or
without accents, and spaces are accepted where raw text would have dashes: ``4111 1111 1111
1111``, ``123 45 6789`` and ``10 downing street`` are still caught there. An e-mail address does
not survive folding as one (``@`` and dots are gone), so there it can only be caught by the
obfuscated-address, long-token and digit passes.

An extra pass (Microsoft Presidio, a named-entity model, an in-house service) can be added with
`use_redactor`; it runs after the built-in one, wherever `redact` is used.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Annotated, Final, Protocol

from pydantic import Field, StringConstraints

from guardrail._base import FrozenModel
from guardrail._yaml import load_yaml
from guardrail.errors import RegistryError

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


def _local_phone(groups: list[str], seps: list[str]) -> bool:
    """A number without its area code: 555-0142, 555 0142; or a nine-digit national one in
    groups, 912 345 678, 612 34 56 78 (a solid nine-digit run is masked as a number anyway)."""
    if len(set(seps)) != 1 or seps[0] not in (" ", "-") or any("(" in g for g in groups):
        return False
    lengths = [len(g) for g in groups]
    if lengths == [3, 4]:
        # An exchange never starts with 0 or 1; "555 2024" with a space may be a year.
        return groups[0][0] in "23456789" and not (seps[0] == " " and _YEAR.fullmatch(groups[1]))
    return sum(lengths) == 9 and len(groups) >= 3 and all(2 <= n <= 3 for n in lengths)


def _phone_ok(groups: list[str], seps: list[str], plus: bool, local: bool) -> bool:
    digits = sum(len(g.strip("()")) for g in groups)
    if plus:
        if not 8 <= digits <= 15:
            return False
    elif (not 10 <= digits <= 15 or len(groups) < 2 or max(len(g) for g in groups) > 8) and not (
        local and len(groups) >= 2 and _local_phone(groups, seps)
    ):
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
        return not _phone_ok(groups[1:], seps[1:], False, local)
    if len(groups[-1]) <= 2 and len(groups) > 2 and len(groups[-2]) >= 3:
        return not _phone_ok(groups[:-1], seps[:-1], plus, local)
    return True


def _phone_text(text: str, short_ok: bool) -> str:
    """`text` (a run of digit groups `_PHONE` found) with the phone numbers in it masked.

    Args:
        text: the run.
        short_ok: whether seven- and nine-digit local numbers count (not after "order" or
            next to a currency).
    """
    spans = [m.span() for m in _PHONE_GROUP.finditer(text)]
    groups = [text[a:b] for a, b in spans]
    seps = [text[spans[i][1] : spans[i + 1][0]] for i in range(len(spans) - 1)]
    plus = text.startswith("+")
    local = short_ok and any(len(g) >= 3 for g in groups)
    if sum(len(g) for g in groups) < (8 if plus else 7 if local else 10):
        return text
    # Pick the phones among the groups (a date or a second phone may sit next to one): the
    # windows of consecutive groups that read as a phone, chosen to cover the most digits.
    n = len(groups)
    dated = _date_groups(groups)
    if not dated and _phone_ok(groups, seps, plus, local):
        return "[phone]"
    best: list[tuple[int, list[tuple[int, int]]]] = [(0, [])] * (n + 1)
    for end in range(1, n + 1):
        best[end] = best[end - 1]
        for start in range(end):
            if dated.intersection(range(start, end)):
                continue
            if _phone_ok(groups[start:end], seps[start : end - 1], plus and start == 0, local):
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


# -- vocabulary-driven passes ----------------------------------------------------------------------

_VOCAB_FILE: Final = "vocab/redact.yaml"  # under guardrail/_data
# Word characters, Devanagari vowel signs included (``\w`` leaves them out, so ``\b`` would cut
# "पासवर्ड" in the middle).
_WORD_CHARS = r"\w\u0900-\u097f"
_START = rf"(?<![{_WORD_CHARS}])"
_END = rf"(?![{_WORD_CHARS}])"
# Between the words of a vocabulary phrase: "p.o. box" also reads "PO Box", "api key" "api_key".
_GLUE = r"[\s._-]{0,3}"
_FILLER_WORD = rf"[^\W\d_][{_WORD_CHARS}'\u2019-]{{0,24}}+"


# A vocabulary entry: never blank (an empty phrase would match everywhere).
_Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Some = Annotated[list[_Phrase], Field(min_length=1)]


class _EmailVocab(FrozenModel):
    at_words: _Some
    dot_words: _Some
    tlds: _Some
    cue_words: list[_Phrase]
    not_names: list[_Phrase]


class _OtpVocab(FrozenModel):
    words: _Some
    code_words: _Some
    not_before: list[_Phrase]


class _PasswordVocab(FrozenModel):
    labels: _Some
    short_labels: list[_Phrase]
    copulas: _Some
    copulas_after: list[_Phrase]
    relative_words: list[_Phrase]
    not_values: list[_Phrase]
    not_value_suffixes: list[_Phrase]


class _ReferenceVocab(FrozenModel):
    words: _Some
    number_words: list[_Phrase]
    money: list[_Phrase]


class _PostcodeVocab(FrozenModel):
    labels: _Some
    cased_labels: list[_Phrase]
    address_words: list[_Phrase]
    uk_areas: _Some
    not_letters: list[_Phrase]
    ordinals: list[_Phrase]
    us_states: list[_Phrase]


class _PoBoxVocab(FrozenModel):
    labels: _Some
    cased_labels: list[_Phrase]


class _RedactVocab(FrozenModel):
    email: _EmailVocab
    otp: _OtpVocab
    password: _PasswordVocab
    reference: _ReferenceVocab
    postcode: _PostcodeVocab
    po_box: _PoBoxVocab


def _parse_vocab(text: str) -> _RedactVocab:
    vocab, issues = load_yaml(text, _RedactVocab, file=_VOCAB_FILE)
    if vocab is None:
        raise RegistryError(issues)
    return vocab


def _fold(text: str) -> str:
    """`text` without accents, as canonical evidence writes it ("contraseña" -> "contrasena")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_Trie = dict[str, "_Trie"]


def _units(phrase: str) -> list[str]:
    """`phrase` as regex pieces, one per character; a run of spaces or dots becomes `_GLUE`."""
    units: list[str] = []
    for token in re.split(r"([\s.]+)", phrase.strip(" .")):
        if not token:
            continue
        if token.isspace() or set(token) <= {" ", ".", "\t"}:
            units.append(_GLUE)
        else:
            units += ["['\u2019]" if ch == "'" else re.escape(ch) for ch in token]
    return units


def _emit(node: _Trie) -> str:
    branches = [unit + _emit(child) for unit, child in sorted(node.items()) if unit]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # The end of a shorter phrase: the longer one is tried first ("pin code" before "pin").
    if "" in node:
        return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else f"{body}?"
    return body


def _alternation(phrases: Iterable[str], *, cased: bool = False) -> str:
    """One regex group matching any of `phrases`, accents optional, written as a trie.

    A trie, not a plain alternation: each pattern is tried at every position of every text
    redacted, and a trie rejects a position on its first character instead of once per phrase.
    """
    variants: set[str] = set()
    for phrase in phrases:
        folded = _fold(phrase)
        # Devanagari keeps its signs, and "è" is not folded to "e" ("and" in Italian).
        usable = folded.isascii() and len(folded) > 1
        for variant in (phrase, folded) if usable else (phrase,):
            variants.add(variant if cased else variant.lower())
    trie: _Trie = {}
    for variant in variants:
        node = trie
        for unit in _units(variant):
            node = node.setdefault(unit, {})
        node[""] = {}
    body = _emit(trie) or "(?!)"  # no phrases: never match (an empty group would always)
    return f"(?-i:{body})" if cased else f"(?:{body})"


def _password_like(value: str) -> bool:
    """Whether `value` holds a digit or a symbol, as a chosen password mostly does."""
    core = value.strip(".,;:!?'\"()")
    return any(not ch.isalpha() for ch in core) and any(ch.isalnum() for ch in core)


def _lowered(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w.lower() for w in words) | frozenset(_fold(w).lower() for w in words)


def _gate(phrases: Iterable[str]) -> tuple[str, ...]:
    """Words one of which a text holds (lowercased) whenever one of `phrases` matches it.

    Separators between a phrase's words may be missing ("pobox"), so words are looked for, not
    phrases; and a short word inside many phrases stands for all of them ("code" for
    "bestätigungscode" and "sms code"), so a gate is a handful of substring tests.
    """
    variants = {_fold(p).lower() for p in phrases if _fold(p).isascii()}
    variants.update(p.lower() for p in phrases)
    chosen: list[str] = []
    words_chosen: list[str] = []  # the chosen words that stand for any phrase holding them
    for variant in sorted(variants, key=len):
        if any(word in variant for word in words_chosen):
            continue
        words = [w for w in re.split(r"[\s.'\u2019]+", variant) if w]
        longest = max(words, key=len)
        if len(longest) > 1 or len(words) == 1:
            chosen.append(longest)
            words_chosen.append(longest)
        else:  # "c.p.", "b.p.": the first letter and what may follow it ("c.", "c p", "cp")
            chosen += [words[0] + sep for sep in " .-_\t\n"] + ["".join(words)]
    return tuple(chosen)


class _VocabPasses:
    """The passes that read the vocabulary: compiled once, on first use (see `_vocab_passes`).

    Each callback keeps what surrounds the personal data (the label, the copula) and masks the
    value only, so a summary still says *what* was given: "my PIN is [secret]".
    """

    def __init__(self, vocab: _RedactVocab) -> None:
        flags = re.IGNORECASE
        ref = vocab.reference
        refs = _alternation(ref.words)
        numbers = _alternation(ref.number_words)
        money = _alternation(ref.money)
        copulas = _alternation(vocab.password.copulas)
        self._after_ref = re.compile(
            rf"(?:{_START}{refs}\.?|#)\s*+(?:{numbers}\.?)?[\s:#]*+(?:{copulas}\s++)?$", flags
        )
        self._money_after = re.compile(rf"\s?(?:{money}){_END}", flags)
        self._money_before = re.compile(rf"(?:{money})\s?$", flags)

        # -- obfuscated e-mail addresses
        email = vocab.email
        at, dot = _alternation(email.at_words), _alternation(email.dot_words)
        opening, closing = r"[(\[{<]", r"[)\]}>]"
        self._bracket_dot = re.compile(rf"{opening}\s*+(?:{dot}|\.)\s*+{closing}", flags)
        self._word_dot = re.compile(rf"\s(?:{dot})\s", flags)
        dot_sep = rf"\s*+{opening}\s*+(?:{dot}|\.)\s*+{closing}\s*+|\s++(?:{dot})\s++|\s+\.\s+|\."
        self._dot_split = re.compile(dot_sep, flags)
        at_sep = (
            rf"(?P<bracket_at>\s*+{opening}\s*+(?:{at}|@)\s*+{closing}\s*+)"
            r"|(?P<spaced_at>\s++@\s++)|(?P<plain_at>@)"
            rf"|\s++(?P<word_at>{at})\s++"
        )
        label = r"[^\W_][\w-]*+"
        self.email = re.compile(
            r"(?<![\w.+@-])(?P<local>[\w+-]++(?:(?:" + dot_sep + r")[\w+-]++){0,6})"
            rf"(?:{at_sep})(?P<domain>{label}(?:(?:{dot_sep}){label}){{1,4}})(?![\w@-]|\.\w)",
            flags,
        )
        self._tlds = _lowered(email.tlds)
        self._not_names = _lowered(email.not_names)
        self._email_cue = re.compile(rf"{_START}{_alternation(email.cue_words)}{_END}", flags)

        # -- passwords after a label
        pw = vocab.password
        labels, short = _alternation(pw.labels), _alternation(pw.short_labels)
        copula, relative = _alternation(pw.copulas), _alternation(pw.relative_words)
        sep = r"\s*+(?:[:=]|->|=>)\s*+|\s+\.\s+"
        self._short_labels = _lowered(pw.short_labels)
        self.password = re.compile(
            rf"{_START}(?P<label>{labels}|{short})"
            rf"(?:(?P<sep>{sep})"
            rf"|\s++(?P<copula>{copula})\s++"
            rf"|[\s,]++{relative}{_END}(?:[\s,]++{_FILLER_WORD}){{0,4}}?"
            rf"[\s,]++(?P<late_copula>{copula})\s++"
            r"|(?P<before_copula>\s++))"
            rf"(?!{_TAG})(?P<value>\S++)"
            rf"(?(before_copula)(?=\s++{_alternation(pw.copulas_after)}{_END}))",
            flags,
        )
        self._copulas = _lowered(pw.copulas)
        self._not_values = _lowered(pw.not_values)
        self._not_value_suffixes = tuple(pw.not_value_suffixes)

        # -- one-time codes and PINs
        otp = vocab.otp
        code_word = _alternation([*otp.words, *otp.code_words])
        code = r"(?:\d{3}[ -]\d{3}|\d{4}[ -]\d{4}|\d{4,8}+)(?![\d%]|[.,/:]\d)"
        gap = r"[\s:=#.,>\u2013-]"
        # After the code word: separators, or a few words ending in a copula or a colon ("the
        # code I got is 4829", "code sent to you: 4829"), never a sentence break or an amount.
        code_end = rf"(?![{_WORD_CHARS}-])"
        copulas = _alternation([*pw.copulas, *pw.copulas_after])
        self.otp = re.compile(
            rf"{_START}(?P<label>{code_word}){code_end}"
            rf"(?P<gap>{gap}*+(?:(?:{_FILLER_WORD}\s++){{0,3}}?(?:{copulas}\s++|[:=]\s*+))?)"
            rf"(?<![\d.,$€£¥₹/])(?P<code>{code})"
            rf"|(?<![\w$€£¥₹.,/:#-])(?P<code_first>{code})"
            rf"(?P<gap_after>(?:\s++{_FILLER_WORD}){{0,3}}?\s++)(?P<label_after>{code_word}){code_end}",
            flags,
        )
        self._not_code = re.compile(rf"{_START}{_alternation(otp.not_before)}{_END}", flags)
        self._not_code_before = re.compile(
            rf"{_START}{_alternation(otp.not_before)}[\s_-]*+$", flags
        )

        # -- PO boxes and postcodes
        box = vocab.po_box
        boxes = rf"(?:{_alternation(box.labels)}|{_alternation(box.cased_labels, cased=True)})"
        self.po_box = re.compile(
            rf"{_START}{boxes}\.?\s*+(?:[:#]|{numbers}\.?)?\s*+\d{{1,6}}(?:[ -]\d{{2,4}}){{0,2}}"
            r"(?![\w-])",
            flags,
        )
        post = vocab.postcode
        uk = r"[a-z]{1,2}\d[a-z\d]?\s?\d[abd-hjlnp-uw-z]{2}"
        post_labels = (
            rf"(?:{_alternation(post.labels)}|{_alternation(post.cased_labels, cased=True)})"
        )
        self.postcode_label = re.compile(
            rf"{_START}(?P<head>{post_labels}\.?(?:\s*+[:=#]|\s++{copula}{_END})?\s*+)"
            rf"(?P<value>{uk}|[1-9]\d{{3}}\s?[a-z]{{2}}|\d{{4,6}}(?:-\d{{3,4}})?)(?![\w-])",
            flags,
        )
        # Shapes that are postcodes on their own (one scan for the four): UK "SW1A 1AA" (its area
        # checked against the list), a ZIP after a US state "IL 62704", ZIP+4 "90210-1234" and
        # Dutch "1012 AB" (capitals only: "1012 ab" is too close to ordinary text).
        self.postcode_shape = re.compile(
            r"(?<![\w-])(?:"
            r"(?P<uk>(?P<area>[a-zA-Z]{1,2})\d[a-zA-Z\d]?\s?\d"
            r"(?P<uk_letters>[abd-hjlnp-uw-zABD-HJLNP-UW-Z]{2}))"
            r"|(?P<state>[A-Z]{2}),?\s(?P<zip>\d{5}(?:-\d{4})?)"
            r"|(?<![#$€£.,/])(?P<zip4>\d{5}-\d{4})"
            r"|(?<!#)(?P<nl>[1-9]\d{3}\s?(?P<nl_letters>[A-Z]{2}))"
            r")(?![\w-])"
        )
        self._uk_areas = frozenset(a.upper() for a in post.uk_areas)
        self._states = frozenset(post.us_states)
        self._not_letters = frozenset(x.upper() for x in post.not_letters)
        self._ordinals = frozenset(x.lower() for x in post.ordinals)
        # After a street address: "[address], 10115 Berlin", "Calle Mayor 5, 28013 Madrid".
        self.postcode_after_address = re.compile(
            r"(?P<head>\[address\],?\s*+)\d{4,5}(?:-\d{3,4})?(?=\s+[^\W\d_])"
        )
        self.postcode_after_street = re.compile(
            rf"{_START}(?P<street>{_alternation(post.address_words)}\.?\s++"
            r"(?-i:[A-ZÀ-ÖØ-Þ0-9])[^\n\d]{0,40}?(?:\d{1,4}[a-z]?[,\s]++)?)"
            r"(?<![\w$€£-])(?P<zip>\d{5}(?:-\d{3})?)(?=[\s,]+[^\W\d_])",
            flags,
        )

        # The e-mail pass tries every word as the start of an address; this scan for what must
        # follow the name ("@", "(at)", or " at " before a domain with a dot) is far cheaper.
        self.gate_email = re.compile(
            rf"@|{opening}\s*+{at}|\s{at}\s++[^\W_][\w-]*+"
            rf"(?:\s*+{opening}|\s++{dot}\s|\s+\.\s|\.\w)"
        )
        self.gate_password = _gate([*pw.labels, *pw.short_labels])
        self.gate_otp = _gate([*otp.words, *otp.code_words])
        self.gate_po_box = _gate([*box.labels, *box.cased_labels])
        self.gate_postcode = _gate([*post.labels, *post.cased_labels])
        self.gate_street = _gate(post.address_words)

    # -- guards shared by the passes

    def after_reference(self, text: str, start: int) -> bool:
        """Whether the number at `start` follows "order", "ticket #", "pedido nº" or the like."""
        return self._after_ref.search(text, max(0, start - 40), start) is not None

    def near_money(self, text: str, start: int, end: int) -> bool:
        """Whether the number at `start`..`end` is written with a currency ("€ 555 0142")."""
        return (self._money_after.match(text, end) is not None
                or self._money_before.search(text, max(0, start - 8), start) is not None)

    def _not_a_value(self, value: str) -> bool:
        word = value.strip(".,;:!?'\"()¿¡").lower()
        return (not word or word in self._not_values
                or (word.isalpha() and word.endswith(self._not_value_suffixes)))

    def _only_copulas(self, gap: str) -> bool:
        return all(w.lower() in self._copulas for w in re.findall(r"[^\W\d_]+", gap))

    # -- the callbacks

    def mask_email(self, match: re.Match[str]) -> str:
        local, domain = match.group("local"), match.group("domain")
        parts = self._dot_split.split(domain)
        if not (len(parts[-1]) >= 2 and parts[-1].isalpha()):
            return match.group()  # "03 at 10 . 30": a top-level domain is letters
        if match.group("word_at") is None or self._bracket_dot.search(domain):
            return "[email]"  # "(at)", "[at]", " @ ", or a bracketed "(dot)": never ordinary prose
        # A plain "at" between words: only a real-looking address ("look at the dot com bubble"
        # and "meet at home dot now" are prose).
        first = self._dot_split.split(local)[0]
        if (first.lower() in self._not_names or parts[0].lower() in self._not_names
                or parts[-1].lower() not in self._tlds):
            return match.group()
        obfuscated = self._word_dot.search(domain) or self._word_dot.search(local)
        # "jane.doe", "jdoe42"; not "49" ("bought it for 49 at amazon.com").
        mail_like = any(ch.isalpha() for ch in local) and any(
            ch in "._+" or ch.isdigit() for ch in local)
        cued = self._email_cue.search(match.string, max(0, match.start() - 40), match.start())
        return "[email]" if obfuscated or mail_like or cued else match.group()

    def mask_password(self, match: re.Match[str]) -> str:
        value = match.group("value")
        if match.group("sep") is None and match.group("label").lower() in self._short_labels:
            return match.group()  # "the pass is valid": a short label needs ":" or "="
        if match.group("before_copula") is not None and not _password_like(value):
            # Hindi puts a verb where the value would be ("pin poochta hai", "password badla
            # tha"): before a trailing copula only a value with a digit or a symbol is taken.
            return match.group()
        if not any(ch.isalnum() for ch in value):
            return match.group()  # "password: …", "password: ?"
        if match.group("sep") is None and self._not_a_value(value):
            return match.group()  # "my password is not working", "mi contraseña es incorrecta"
        whole = match.group()
        return whole[: match.start("value") - match.start()] + _SECRET

    def mask_code(self, match: re.Match[str]) -> str:
        text, start = match.string, match.start()
        if match.group("code") is not None:
            gap, code, where = match.group("gap"), match.group("code"), "code"
        else:
            gap, code, where = match.group("gap_after"), match.group("code_first"), "code_first"
        if (self._not_code.search(gap)  # "código de error 1603", "1603 error code"
                or self._not_code_before.search(text, max(0, start - 30), start)  # "error code"
                or self.after_reference(text, match.start(where))  # "code for order 4821"
                or self.near_money(text, match.start(where), match.end(where))  # "1200 euro"
                or (_YEAR.fullmatch(code) and not self._only_copulas(gap))):  # "PIN since 2019"
            return match.group()
        a, b = match.start(where) - start, match.end(where) - start
        whole = match.group()
        return whole[:a] + _SECRET + whole[b:]

    def mask_po_box(self, match: re.Match[str]) -> str:
        return "[address]"

    def mask_labelled_postcode(self, match: re.Match[str]) -> str:
        return match.group("head") + "[address]"

    def mask_postcode(self, match: re.Match[str]) -> str:
        text, start, whole = match.string, match.start(), match.group()
        if match.group("state") is not None:
            if match.group("state") not in self._states:
                return whole
            return whole[: match.start("zip") - start] + "[address]"
        if match.group("uk") is not None:
            letters = match.group("uk_letters")
            if (match.group("area").upper() not in self._uk_areas
                    or letters.upper() in self._not_letters  # "M2 2TB"
                    or letters in self._ordinals):  # "b2 2nd": "B33 8TH" is a postcode
                return whole
        elif match.group("nl") is not None and match.group("nl_letters") in self._not_letters:
            return whole  # "1024 MB", "1066 AD"
        return whole if self.after_reference(text, start) else "[address]"

    def mask_after_address(self, match: re.Match[str]) -> str:
        return match.group("head") + "[address]"

    def mask_after_street(self, match: re.Match[str]) -> str:
        start, end = match.start("zip"), match.end("zip")
        if self.after_reference(match.string, start) or self.near_money(match.string, start, end):
            return match.group()
        return match.group("street") + "[address]"

    def mask_phone(self, match: re.Match[str]) -> str:
        # Seven- and nine-digit local numbers ("555-0142", "912 345 678") are told from an
        # order number or an amount by what stands before and after them; shorter runs (most
        # candidates: "2", "10 days") skip that look.
        text = match.group()
        if sum(ch.isdigit() for ch in text) < 7:
            return text
        short_ok = not (self.after_reference(match.string, match.start())
                        or self.near_money(match.string, match.start(), match.end()))
        return _phone_text(text, short_ok)


@cache
def _vocab_passes() -> _VocabPasses:
    """The vocabulary passes, built on first use (a hot path pays a dictionary lookup after)."""
    text = (resources.files("guardrail") / "_data" / _VOCAB_FILE).read_text("utf-8")
    return _VocabPasses(_parse_vocab(text))


# -- the built-in pass -----------------------------------------------------------------------------

_MAX_ROUNDS = 4
# A pass: its gate (words one of which the lowercased text must hold, or a pattern it must
# match, for the pass to run; None: always run), its pattern and what a match becomes.
_Gate = tuple[str, ...] | re.Pattern[str] | None
_Pass = tuple[_Gate, re.Pattern[str], str | Callable[[re.Match[str]], str]]
_ADDRESS_TAG: Final = ("[address]",)
# Characters a pattern cannot match without: a substring test skips the whole scan when absent
# (an address has its "@"; "bearer" is ASCII, so case-insensitive means lowercased here).
_AT: Final = ("@",)
_BEARER_WORD: Final = ("bearer",)


@cache
def _passes() -> tuple[tuple[_Pass, ...], tuple[_Pass, ...]]:
    """The passes in their fixed order: those any text may need, then those needing a digit."""
    vocab = _vocab_passes()
    plain: tuple[_Pass, ...] = (
        (None, _KEY, _SECRET),
        (_BEARER_WORD, _BEARER, _bearer),
        (vocab.gate_password, vocab.password, vocab.mask_password),
        (_AT, _EMAIL, "[email]"),
        (vocab.gate_email, vocab.email, vocab.mask_email),
        (None, _IBAN, _iban),
        (None, _TOKENISH, _long_token),
    )
    # Every later pass needs a digit, and most evidence has none: they are skipped then.
    digits: tuple[_Pass, ...] = (
        (vocab.gate_otp, vocab.otp, vocab.mask_code),
        (None, _CARD, _card),
        (None, _SSN, "[national-id]"),
        (None, _NINO, "[national-id]"),
        (None, _DNI, _dni),
        (None, _ID_BY_NAME, _id_by_name),
        (vocab.gate_po_box, vocab.po_box, vocab.mask_po_box),
        (vocab.gate_postcode, vocab.postcode_label, vocab.mask_labelled_postcode),
        (None, vocab.postcode_shape, vocab.mask_postcode),
        (None, _PHONE, vocab.mask_phone),
        (None, _ADDRESS, "[address]"),
        (_ADDRESS_TAG, vocab.postcode_after_address, vocab.mask_after_address),
        (vocab.gate_street, vocab.postcode_after_street, vocab.mask_after_street),
        (None, _LONG_DIGITS, "[number]"),
    )
    return plain, digits


_DIGIT = re.compile(r"\d")


def _run(passes: tuple[_Pass, ...], text: str) -> str:
    lowered = text.lower()
    for gate, pattern, replacement in passes:
        # A gate skips a pass whose vocabulary the text does not hold: most text has no label
        # word at all, and a pass costs a scan of the whole text, a substring test far less.
        if gate is None or (
            gate.search(lowered) is not None
            if isinstance(gate, re.Pattern)
            else _holds_any(lowered, gate)
        ):
            text = pattern.sub(replacement, text)
    return text


def _holds_any(lowered: str, words: tuple[str, ...]) -> bool:
    """Whether `lowered` holds one of `words` (a loop: `any` over a generator costs twice as
    much, on every piece of evidence)."""
    for word in words:  # noqa: SIM110
        if word in lowered:
            return True
    return False


def _builtin(text: str, /) -> str:
    # A tag can open a boundary a pass needed ("1234567Bearer x1" becomes "[number]Bearer x1"),
    # so the passes repeat until nothing changes; that is what makes redaction idempotent. Each
    # round only turns text into tags, so it settles fast (text with nothing to mask: one round).
    plain, digits = _passes()
    for _ in range(_MAX_ROUNDS):
        before = text
        text = _run(plain, text)
        if _DIGIT.search(text):
            text = _run(digits, text)
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
