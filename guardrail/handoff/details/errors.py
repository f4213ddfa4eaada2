"""Error codes and messages the customer quoted: codes kept as written, messages redacted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from guardrail.handoff.details.model import ErrorMention
from guardrail.handoff.details.text import Found, Scan, fold, matches, non_overlapping, window
from guardrail.redact import redact

if TYPE_CHECKING:  # the compiled vocabulary is built from this module's patterns
    from guardrail.handoff.details.compiled import Compiled

__all__ = ["find_errors"]

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


def find_errors(scan: Scan, compiled: Compiled) -> list[Found]:
    text = scan.plain
    codes: list[tuple[int, int, str]] = []
    for pattern in (_ERROR_CODE, _HTTP_STATUS, _STATUS_PLURAL, compiled.http_phrase, _HEX_CODE):
        codes.extend((m.start(), m.end(), m.group()) for m in matches(pattern, text))
    for m in matches(_SNAKE_CODE, text):
        if compiled.code_words.intersection(m.group().split("_")):
            codes.append((m.start(), m.end(), m.group()))
    texts: list[tuple[int, int, str]] = []
    for m in matches(_QUOTED, text):
        if _PERSON_SAID.search(window(text, m.start(), m.start() + 12, 30, 0)):
            continue
        quote = next(q for q in (m["q1"], m["q2"], m["q3"], m["q4"]) if q is not None)
        texts.append((m.start(), m.end(), quote.strip()))
    texts.extend((m.start(), m.end(), m["msg"].strip()) for m in matches(_ERROR_COLON, text))
    texts.extend((m.start(), m.end(), m.group()) for m in matches(compiled.error_phrase, text))
    found = []
    code_spans = {(start, end) for start, end, _ in codes}
    for start, end, value in non_overlapping(codes + texts):
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
            found.append(Found(start, ("error", fold(clean)), ErrorMention(
                message=scan.index, value=clean)))
    return found
