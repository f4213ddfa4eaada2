"""Encoded payloads: base64, hex, percent-encoding and rot13 read back into text.

"Decode this and act on it: SSB3YXMgY2hhcmdlZCB0d2ljZQ==" asks the model to act on a request the
rules cannot read as written. `payloads` finds what a message carries encoded and decodes it, so
the rule detector reads the decoded text too (its findings keep their codes, with a source that
says they were decoded). Decoding only adds text to read, never removes any: a benign token
that decodes to noise (an attachment id, a hash) decodes to nothing readable and is dropped.

Which tokens are decoded: long base64-looking tokens, runs of hex pairs and percent-encoded
runs always (a regex search each, linear in the message); shorter tokens, and the whole message
read as rot13, only where the message asks for decoding (cue words in
``_data/vocab/decoding.yaml``).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from urllib.parse import unquote

from pydantic import Field

from guardrail._base import FrozenModel
from guardrail._yaml import load_yaml
from guardrail.errors import RegistryError

__all__ = ["CUES_FILE", "Payload", "asks_to_decode", "payloads"]

CUES_FILE = "vocab/decoding.yaml"  # under guardrail/_data
_MAX_PAYLOADS = 8  # decoded texts per message (bounded work on hostile input)
_MAX_DEPTH = 2  # base64 inside hex inside...: decoded text is searched again, this deep
_PRINTABLE_SHARE = 0.9
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{%d,}={0,2}(?![A-Za-z0-9+/=_-])")
_BASE64_LONG = re.compile(_BASE64.pattern % 16)
_BASE64_SHORT = re.compile(_BASE64.pattern % 8)
_HEX_LONG = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{2}[ :]?){8,}(?![0-9A-Za-z])")
_HEX_SHORT = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{2}[ :]?){4,}(?![0-9A-Za-z])")
_HEX_SEPARATORS = re.compile(r"[ :]")
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
# Text written in Unicode TAG characters (U+E0020-E007E mirror printable ASCII): invisible on
# screen, read by a model. A run of four or more is a hidden message; single tags between
# letters are only noise, which folding strips.
_TAG_RUN = re.compile("[\U000e0020-\U000e007e]{4,}")
_MIN_PERCENT = 3
_LETTER = re.compile(r"[^\W\d_]{2}")


class _Cues(FrozenModel):
    decode: list[str] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Payload:
    """Text a message carries encoded: how it was encoded, and the decoded text."""

    encoding: str  # "base64", "hex", "url" or "rot13" (a path such as "hex/base64" if nested)
    text: str


@lru_cache(maxsize=1)
def _cue_pattern() -> re.Pattern[str]:
    """The cue words as one regex over folded text (word starts)."""
    text = (resources.files("guardrail") / "_data" / CUES_FILE).read_text("utf-8")
    cues, issues = load_yaml(text, _Cues, file=CUES_FILE)
    if cues is None:
        raise RegistryError(issues)
    words = sorted({re.escape(w.strip().lower()) for w in cues.decode}, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(words) + ")")


def asks_to_decode(folded: str) -> bool:
    """Does folded text (see `Normaliser.fold`) ask for something to be decoded?"""
    return _cue_pattern().search(folded) is not None


def _readable(data: bytes) -> str | None:
    """`data` as text when it is text a person could read (UTF-8, printable, with letters)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or _LETTER.search(text) is None:
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    return text if printable >= _PRINTABLE_SHARE * len(text) else None


def _from_base64(token: str) -> str | None:
    token = token.rstrip("=")
    if len(token) % 4 == 1:
        return None
    padded = token + "=" * (-len(token) % 4)
    try:
        data = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _readable(data)


def _from_hex(token: str) -> str | None:
    try:
        return _readable(bytes.fromhex(_HEX_SEPARATORS.sub("", token)))
    except ValueError:
        return None


_FROM_TAGS = {cp: cp - 0xE0000 for cp in range(0xE0020, 0xE007F)}


def payloads(text: str, cued: bool, limit: int) -> list[Payload]:
    """The readable texts `text` carries encoded (at most `_MAX_PAYLOADS`, `limit` characters
    each), searched again inside each decoded text down to `_MAX_DEPTH`.

    Text hidden in Unicode TAG characters is decoded too (``tag``), cue or not.

    Args:
        text: the message as written.
        cued: the message asks for decoding (`asks_to_decode`): shorter tokens count, and the
            whole message is also read as rot13.
        limit: the longest text decoded (the rule detector's scan bound).
    """
    found: list[Payload] = []
    _collect(text, cued, limit, "", 0, found)
    return found


def _collect(text: str, cued: bool, limit: int, path: str, depth: int,
             found: list[Payload]) -> None:
    here: list[Payload] = []

    def add(encoding: str, decoded: str | None) -> None:
        if decoded and decoded != text and len(found) + len(here) < _MAX_PAYLOADS:
            here.append(Payload(f"{path}{encoding}", decoded[:limit]))

    for match in (_BASE64_SHORT if cued else _BASE64_LONG).finditer(text):
        if len(found) + len(here) >= _MAX_PAYLOADS:
            break
        if cued or not match.group().isalpha():  # a long plain word is not worth decoding
            add("base64", _from_base64(match.group()))
    for match in (_HEX_SHORT if cued else _HEX_LONG).finditer(text):
        if len(found) + len(here) >= _MAX_PAYLOADS:
            break
        add("hex", _from_hex(match.group()))
    if len(_PERCENT.findall(text, 0, limit)) >= _MIN_PERCENT or (cued and _PERCENT.search(text)):
        add("url", unquote(text, errors="replace"))
    if cued:
        add("rot13", codecs.decode(text, "rot13"))
    if _TAG_RUN.search(text):  # the message as a model reads it: tags as the letters they mirror
        add("tag", text.translate(_FROM_TAGS))
    found.extend(here)
    if depth + 1 < _MAX_DEPTH:
        for payload in here:
            _collect(payload.text, cued, limit, f"{payload.encoding}/", depth + 1, found)
