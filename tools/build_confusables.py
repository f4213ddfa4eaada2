"""Build guardrail/_data/vocab/confusables.json: look-alike letters and invisible characters.

Customers (and attackers) write "charged" with Cyrillic, Armenian or Cherokee letters, or put
Unicode TAG characters between its letters. The normaliser (`guardrail.text`) reads text as a
reader sees it, from two tables this script writes:

* ``letters``: each character that Unicode's confusables data (UTS #39, ``confusables.txt``)
  gives a prototype made of Latin letters, keyed as the normaliser meets it (after NFKC and
  casefolding) and mapped to those letters in lower case. Left out: ASCII itself, characters
  NFKC already turns into ASCII, accented Latin letters (the normaliser strips their marks, so
  "é" stays "e" as today), digits and symbols, and the scripts of shipped languages that are
  not Latin (Devanagari: Hindi is read by `guardrail.translit`, never folded into look-alikes).
* ``invisible``: every format character (general category ``Cf``: zero-width spaces and joiners,
  bidi controls, the TAG block, soft hyphen...), every variation selector, and the fillers that
  render as nothing, as code-point ranges.

Source: the pinned PyPI package confusable-homoglyphs 3.3.1, which ships ``confusables.txt`` as
JSON (each pair in both directions), installed in a throwaway virtualenv, never a runtime
dependency of guardrail:

    python3 -m venv /tmp/cvenv && /tmp/cvenv/bin/pip install confusable-homoglyphs==3.3.1
    /tmp/cvenv/bin/python tools/build_confusables.py

Run from the repository root. The Unicode licence of the data is in ``confusables.NOTICE``.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from importlib import metadata, resources
from pathlib import Path

PACKAGE = "confusable_homoglyphs"
PINNED = "3.3.1"
OUT = Path("guardrail/_data/vocab/confusables.json")
# Scripts of shipped languages that are not Latin: their letters are words, not look-alikes.
# Devanagari, Devanagari Extended, Vedic Extensions.
KEEP_BLOCKS = ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))
# Render as nothing but are not Cf: variation selectors, the combining grapheme joiner, Hangul
# and Khmer fillers, Mongolian free variation selectors.
INVISIBLE_EXTRA = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0100, 0xE01EF),
)
_LETTERS = re.compile(r"[a-z]{1,2}")
_DIRECTION_MARKS = "\u200e\u200f"  # the package wraps right-to-left characters in them


def _without_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _prototype(entries: list[dict[str, str]]) -> str | None:
    """The Latin prototype among a character's pairs (lower case), or None.

    confusables.txt maps each source to one prototype; the package stores each pair both ways.
    For a non-ASCII character, a partner made of ASCII letters is its prototype: the only ASCII
    letters that are sources themselves have ASCII prototypes ("m" -> "rn", "I" -> "l").
    """
    found = set()
    for entry in entries:
        partner = _without_marks(entry["c"].strip(_DIRECTION_MARKS)).lower()
        if partner == "rn":  # the prototype of "m": a character that looks like "m"
            partner = "m"
        if _LETTERS.fullmatch(partner):
            found.add(partner)
    return found.pop() if len(found) == 1 else None


def _kept(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in KEEP_BLOCKS)


def letters(data: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    """Look-alike character (as the normaliser meets it) -> the Latin letters it reads as."""
    out: dict[str, str] = {}
    own: set[str] = set()
    for raw, entries in data.items():
        source = raw.strip(_DIRECTION_MARKS)
        if len(source) != 1 or source.isascii():
            continue
        target = _prototype(entries)
        if target is None:
            continue
        key = unicodedata.normalize("NFKC", source).casefold()
        if (
            len(key) != 1
            or key.isascii()
            or _kept(key)
            or not unicodedata.category(key).startswith("L")  # symbols ("¥") stay symbols
            or _without_marks(key).isascii()  # accented Latin: its marks are stripped
        ):
            continue
        if key == source:
            own.add(key)
            out[key] = target
        elif key not in own:  # a capital folds onto its small letter: the small one's wins
            out.setdefault(key, target)
    return dict(sorted(out.items()))


def invisible() -> list[list[int]]:
    """Code-point ranges of characters that render as nothing (Cf, variation selectors...)."""
    codes = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    for lo, hi in INVISIBLE_EXTRA:
        codes.update(range(lo, hi + 1))
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


def main() -> None:
    version = metadata.version("confusable-homoglyphs")
    if version != PINNED:
        sys.exit(f"confusable-homoglyphs {PINNED} is pinned, found {version}")
    data = json.loads((resources.files(PACKAGE) / "confusables.json").read_text("utf-8"))
    table = {
        "source": f"Unicode confusables.txt via confusable-homoglyphs {PINNED}; "
                  f"Cf from Unicode {unicodedata.unidata_version}",
        "letters": letters(data),
        "invisible": invisible(),
    }
    OUT.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"{OUT}: {len(table['letters'])} letters, {len(table['invisible'])} invisible ranges")


if __name__ == "__main__":
    main()
