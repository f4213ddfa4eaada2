"""Ids the customer quoted: after a keyword ("order #A-77812", "pedido nº 48213",
"Bestellnummer 48213") or with a known prefix ("INV-2041").

The keywords, the markers between keyword and id and the count nouns are vocabulary
(``_data/vocab/details.yaml``); the shape of an id is here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from guardrail.handoff.details.model import Reference
from guardrail.handoff.details.text import Found, Scan, fold, matches, non_overlapping

if TYPE_CHECKING:  # the compiled vocabulary is built from this module's patterns
    from guardrail.handoff.details.compiled import Compiled

__all__ = ["REF_ID", "find_references", "next_word"]

# An id holds a digit: a failed "id" such as "localizador" must not swallow the keyword that
# follows it ("reserva es localizador XK9P2Q").
REF_ID = r"(?=[A-Za-z/-]*\d)[A-Za-z0-9](?:[A-Za-z0-9]|[-/](?=[A-Za-z0-9])){2,24}"
_HASH_ID = re.compile(r"(?<![\w&#])#(?P<id>\d{4,12})(?![\w-])")
_GENERIC_PREFIX = re.compile(r"(?<![\w/-])(?P<pfx>[A-Z]{2,5})-(?P<num>\d{3,12})(?![\w/-]|[.,]\d)")
_UNIT_SUFFIXED = re.compile(
    r"(?i:\d+(?:st|nd|rd|th|s|k|m|g|gb|mb|tb|kb|am|pm|h|hr|hrs|min|mins|x|fa|d|w|y|yr|yrs|mo|p|"
    r"px|mbps|ghz))"
)
_RANGE_OR_DATE = re.compile(r"\d{1,3}[-/]\d{1,3}(?:[-/]\d{2,4})?")
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
# Any script's word, Devanagari vowel signs included ("días", "बार").
_NEXT_ANY_WORD = re.compile(r"\s*((?:[^\W\d_]|[\u0900-\u0963])+)")


def next_word(text: str, end: int) -> str:
    m = _NEXT_WORD.match(text, end, end + 24)
    return m.group(1).lower() if m else ""


def _next_any_word(text: str, end: int) -> str:
    m = _NEXT_ANY_WORD.match(text, end, end + 24)
    return fold(m.group(1)) if m else ""


def _id_ok(
    value: str, *, explicit: bool, needs_marker: bool, text: str, end: int,
    count_nouns: frozenset[str],
) -> bool:
    """Whether `value`, found after a reference keyword, is shaped like an id and not a count."""
    digits = sum(c.isdigit() for c in value)
    if digits == 0 or _UNIT_SUFFIXED.fullmatch(value) or _RANGE_OR_DATE.fullmatch(value):
        return False
    if not value.isdigit():
        return digits >= 2 or len(value) >= 5
    if len(value) < 3 or _next_any_word(text, end) in count_nouns:
        return False
    if explicit:
        return True
    # "order 2024", "account 12345" and "order 250 flyers" read as a year, a count or a balance.
    return not needs_marker and len(value) >= 4 and not 1900 <= int(value) <= 2099


def find_references(scan: Scan, compiled: Compiled) -> list[Found]:
    text = scan.plain
    candidates: list[tuple[int, int, Reference]] = []
    for m in matches(compiled.ref_keyword, text):
        spec = compiled.ref_keywords[fold(m["kw"])]
        explicit = (
            spec.number
            or compiled.explicit_marker.search(m["marker"]) is not None
            or "#" in m.group()
            # "número de pedido 123", "numéro de réservation ..."
            or compiled.number_word.search(text, max(0, m.start() - 24), m.start()) is not None
        )
        if _id_ok(m["id"], explicit=explicit, needs_marker=spec.marker, text=text, end=m.end(),
                  count_nouns=compiled.count_nouns):
            candidates.append((m.start(), m.end(), Reference(
                message=scan.index, kind=spec.kind, value=m["id"])))
    for m in matches(compiled.ref_prefix, text):
        kind = compiled.prefixes[m["pfx"].upper()]
        candidates.append((m.start(), m.end(), Reference(
            message=scan.index, kind=kind, value=m.group())))
    for m in matches(_GENERIC_PREFIX, text):
        if m["pfx"] not in compiled.not_prefixes and m["pfx"] not in compiled.prefixes:
            candidates.append((m.start(), m.end(), Reference(
                message=scan.index, kind="reference", value=m.group())))
    for m in matches(_HASH_ID, text):
        candidates.append((m.start(), m.end(), Reference(
            message=scan.index, kind="reference", value=m["id"])))
    found = []
    for start, end, item in non_overlapping(candidates):
        if scan.free(start, end):
            scan.claim(start, end)
            found.append(Found(start, ("ref", item.value.upper()), item))
    return found
