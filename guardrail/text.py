"""Text normalisation: the one place raw customer text is turned into what rules read.

Customers (and attackers) write "charged" with a Cyrillic c, "r3fund", "c h a r g e b a c k",
"lo\u200bcked", "pasword" and "REFUND!!!". Rules should not each cope with that, so every message
is folded once into *canonical words*: NFKC, zero-width and control characters removed, case
folded, accents and look-alike letters mapped to ASCII, apostrophes dropped ("don't" -> "dont"),
spaced-out letters joined, and words at edit distance 1 from a rule's vocabulary corrected to it.
Clause punctuation becomes the token ``.`` so patterns do not match across sentences.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from itertools import accumulate, chain

from guardrail.translit import romanise_devanagari

__all__ = ["Canonical", "Normaliser", "one_edit", "pattern_vocabulary"]

CONFUSABLES_FILE = "vocab/confusables.json"  # under guardrail/_data; tools/build_confusables.py


def _tables() -> tuple[re.Pattern[str], dict[int, str], re.Pattern[str]]:
    """The invisible characters (as one regex), and the look-alike letters (a translate table,
    and a regex that finds any of them), from the Unicode data the package ships."""
    path = resources.files("guardrail") / "_data" / CONFUSABLES_FILE
    table = json.loads(path.read_text("utf-8"))
    ranges = "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in table["invisible"]
    )
    letters: dict[str, str] = table["letters"]
    lookalike = re.compile("[" + "".join(re.escape(c) for c in letters) + "]")
    return re.compile(f"[{ranges}]+"), {ord(k): v for k, v in letters.items()}, lookalike


# Characters that render as nothing (every format character: zero-width spaces and joiners,
# bidi controls, the TAG block; variation selectors; fillers) but split a word for a regex; and
# letters of other scripts that look like Latin ones (Unicode's confusables, UTS #39). Folding
# them is how "сhаrgеd" with Cyrillic letters, or "օ" Armenian and "ꮪ" Cherokee ones, still read
# as "charged".
_INVISIBLE_RE, _LOOKALIKES, _LOOKALIKE_RE = _tables()
# Apostrophes are dropped ("don't" -> "dont"), so a rule's word is one token; one spaced out
# between spaced-out letters ("q u ' u n") goes with a space, so the letters stay one run.
_APOSTROPHES = "['`\u00b4\u2019\u02bc]"
_APOSTROPHE_RE = re.compile(f"(?<=\\b[a-z]) {_APOSTROPHES}(?= [a-z]\\b)|{_APOSTROPHES}")
_WORD_RE = re.compile(r"\w+")
_LATIN_LETTER = re.compile("[a-z]")
# A number with a short unit ("3h", "24h", "5gb", "2fa", "10min") is not leetspeak: "3h" must
# not become "eh".
_QUANTITY = re.compile(r"[0-9]+[a-z]{1,3}")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _lookalike_word(match: re.Match[str]) -> str:
    """A word with its look-alike letters read as Latin ones, where it is a disguise.

    A word that mixes Latin letters with look-alikes ("locked" with an Armenian "o"), or that
    is made only of look-alikes ("pay" in Cyrillic letters), is a disguised Latin word (UTS #39
    mixed-script and whole-script confusables). A genuine word of another script ("счёт",
    "λογαριασμός") has letters with no Latin look-alike and is left as written.
    """
    word = match.group()
    folded = word.translate(_LOOKALIKES)
    if folded.isascii() or _LATIN_LETTER.search(word):
        return folded
    return word


def _without_marks(match: re.Match[str]) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SYMBOL_IN_WORD = re.compile(r"(?<=[a-z])[@$!](?=[a-z])")
_SYMBOL_LETTER = {"@": "a", "$": "s", "!": "i"}
_MAX_SPLIT = 60  # longer runs of spaced letters are joined but not split (bounded work)
_LONGEST_WORD = 20
_SPACED_LETTERS = re.compile(r"(?<![a-z0-9])(?:[a-z][ .\-_*/])+[a-z](?![a-z0-9])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
# Separators inside an amount are not clause breaks: "1,200.50" reads as the one token "1200"
# (thousands separators dropped, then the decimal part), so a rule's word gap steps over it.
_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
_DECIMALS = re.compile(r"(?<=\d)[.,]\d{1,2}(?!\d)")
_TOKEN = re.compile(r"[a-z0-9]+|[.!?;:,\n]+")
# Cheap necessary conditions, searched first so the full rewrites run only on text they can
# change: a single letter between separators and followed by another one (spaced-out letters),
# and a digit, a separator and a digit (amounts).
_MAYBE_SPACED = re.compile(r"(?<![a-z0-9])[a-z][ .\-_*/][a-z](?![a-z0-9])")
# A word split in the middle ("char ged", "acc ount"): pieces rejoined into a known word.
_MAX_PIECES = 3
_MIN_JOINED = 4
_TRAILING = ".,!?;:"
_MAYBE_AMOUNT = re.compile(r"\d[.,]\d")
_SYMBOLS = ("@", "$", "!")
_WORDS_IN_PATTERN = re.compile(r"[a-z]{3,}")
_CHAR_CLASS = re.compile(r"\[([a-z])[^\]]*\]")
_REGEX_NOISE = re.compile(r"\\[a-zA-Z]|\[[^\]]*\]|\(\?[:!=<]+|\{[0-9,]*\}")


@dataclass(frozen=True, slots=True)
class Canonical:
    """A message folded for matching: `text` is `words` joined by single spaces."""

    text: str
    words: tuple[str, ...]
    starts: tuple[int, ...]  # character offset of each word in `text`

    def word_at(self, offset: int) -> int:
        """Index of the word that starts at or contains character `offset`."""
        lo, hi = 0, len(self.starts)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.starts[mid] <= offset:
                lo = mid + 1
            else:
                hi = mid
        return max(lo - 1, 0)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` are equal or one edit apart (insert, delete, replace, swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


def pattern_vocabulary(patterns: Iterable[str], min_length: int) -> set[str]:
    """The literal words (of at least `min_length` letters) that a set of regexes spell out."""
    vocabulary: set[str] = set()
    for pattern in patterns:
        # "recogni[sz]ed?" spells "recognised": keep a class's first letter, drop the rest.
        plain = _REGEX_NOISE.sub(" ", _CHAR_CLASS.sub(r"\1", pattern))
        for word in _WORDS_IN_PATTERN.findall(plain):
            if len(word) >= min_length:
                vocabulary.add(word)
    return vocabulary


class Normaliser:
    """Folds raw text into canonical words, correcting typos towards a vocabulary.

    Built once per registry load; `canonical` is pure apart from a bounded memo of word
    corrections, so one instance is safe to share between threads (dict operations are atomic).
    """

    _MEMO_LIMIT = 100_000

    def __init__(
        self,
        vocabulary: Iterable[str],
        known_words: Iterable[str],
        min_length: int,
        slang: Mapping[str, str] | None = None,
        short_words: Iterable[str] = (),
        secondary: Iterable[str] = (),
        languages: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._slang = dict(slang or {})
        # Which languages each vocabulary word belongs to: a typo that is one edit from words
        # of several languages ("parlre": Italian "parlare", French "parle"/"parler") is
        # corrected towards the language most of the message's other words belong to.
        self._langs: dict[str, frozenset[str]] = {}
        for lang, words in (languages or {}).items():
            for word in words:
                self._langs[word] = self._langs.get(word, frozenset()) | {lang}
        self._ambiguous: dict[str, tuple[str, ...]] = {}  # typo -> its candidates (bounded)
        # `secondary` words (the other languages' rule vocabulary) are corrected towards only
        # when no `vocabulary` word is one edit away: "humna" is "human", not Spanish "humana".
        self._vocabulary = frozenset(vocabulary) | frozenset(secondary)
        self._known = frozenset(known_words) | self._vocabulary
        self._min_length = min_length
        self._index = self._deletes_index(frozenset(vocabulary))
        self._secondary = self._deletes_index(frozenset(secondary) - frozenset(vocabulary))
        self._memo: dict[str, str] = {}
        self._tokens: dict[str, str] = {}  # raw token -> what it reads as (see `_token`)
        self._chunks: dict[str, tuple[str, ...]] = {}  # text between spaces -> its tokens' reads
        # Words a run of spaced-out letters may be split back into.
        self._splittable = self._known | frozenset(short_words) | frozenset(self._slang)
        # What a word split in the middle may be rejoined into, and the starts of those words.
        self._whole = frozenset(w for w in self._known if len(w) >= _MIN_JOINED and w.isalpha())
        self._starts = frozenset(w[:i] for w in self._whole for i in range(2, len(w)))

    @staticmethod
    def _deletes_index(words: frozenset[str]) -> dict[str, frozenset[str]]:
        index: dict[str, set[str]] = {}
        for word in words:
            for variant in _deletes(word) | {word}:
                index.setdefault(variant, set()).add(word)
        return {k: frozenset(v) for k, v in index.items()}

    @staticmethod
    def fold(raw: str) -> str:
        """Unicode-fold `raw` into what a reader sees: NFKC, no invisible or control characters,
        casefolded, accents stripped, look-alike letters of disguised words read as Latin."""
        # Control characters are dropped, not turned into spaces: "ch\x00arged" renders as
        # "charged" to a reader, so it must read as "charged" to the rules too.
        if raw.isascii():  # NFKC leaves ASCII alone, casefold is lower, nothing is invisible
            return _APOSTROPHE_RE.sub("", _CONTROL.sub("", raw).lower())
        text = _CONTROL.sub("", _INVISIBLE_RE.sub("", raw))
        text = _APOSTROPHE_RE.sub("", unicodedata.normalize("NFKC", text).casefold())
        text = romanise_devanagari(text)  # read as romanised Hindi, which the Hindi rules cover
        if not text.isascii():
            text = _NON_ASCII_RUN.sub(_without_marks, unicodedata.normalize("NFKD", text))
            # After the marks: "ḥạᴄḳẹḍ" is "haᴄked" by now, a disguised Latin word.
            if _LOOKALIKE_RE.search(text):
                text = _WORD_RE.sub(_lookalike_word, text)
        return text

    def correct(self, word: str) -> str:
        """`word`, or the vocabulary word it is a typo or leetspeak spelling of."""
        cached = self._memo.get(word)
        if cached is not None:
            return cached
        result = self._correct(word)
        if len(self._memo) < self._MEMO_LIMIT:
            self._memo[word] = result
        return result

    def _correct(self, word: str) -> str:
        if word in self._known:
            return word
        if not word.isalpha() and not word.isdigit() and not _QUANTITY.fullmatch(word):
            unleet = word.translate(_LEET)
            if unleet.isalpha():
                word = unleet
                if word in self._known:
                    return word
        if len(word) < self._min_length or not word.isalpha():
            return word
        variants = _deletes(word) | {word}
        candidates: set[str] = set()
        foreign = False
        for index in (self._index, self._secondary):
            for variant in variants:
                candidates.update(index.get(variant, ()))
            # Shared deletes also pair words two edits apart ("witdrawal"/"withdrawl"): keep
            # only true single edits (one insertion, deletion, substitution or adjacent swap).
            candidates = {c for c in candidates if one_edit(word, c)}
            if candidates:
                foreign = index is self._secondary
                break
        if foreign and self._langs:
            # Another language's word: only where the message is in that language (Dutch
            # "januari" is not Hindi "jankari"), decided per message by `_by_context`.
            if len(self._ambiguous) < self._MEMO_LIMIT:
                self._ambiguous[word] = tuple(sorted(candidates))
            return word
        if len(candidates) == 1:
            return next(iter(candidates))
        # Ambiguous corrections are skipped unless exactly one keeps the first letter, or
        # exactly one keeps both the first and the last ("chargd": charged, not charge).
        same_start = [c for c in candidates if c[0] == word[0]]
        if len(same_start) == 1:
            return same_start[0]
        same_ends = [c for c in same_start if c[-1] == word[-1]]
        if len(same_ends) == 1:
            return same_ends[0]
        if self._langs and len(self._ambiguous) < self._MEMO_LIMIT:
            self._ambiguous[word] = tuple(sorted(same_ends or same_start or candidates))
        return word

    def _by_context(self, read: list[str]) -> list[str]:
        """`read` with each typo left open by `_correct` settled by the message's language.

        A typo one edit from another language's words, or from several languages' words, is
        corrected towards its one candidate in the language most of the message's words
        belong to; when no language leads (a one-word message, a tie), only a typo with a
        single candidate is corrected; otherwise it is left as written.
        """
        # Counted per distinct word (a message repeats most of its words), which gives the
        # same votes and the same replacement for every occurrence of a word.
        counts = Counter(read)
        votes: dict[str, int] = {}
        for word, count in counts.items():
            for lang in self._langs.get(word, ()):
                votes[lang] = votes.get(lang, 0) + count
        ranked = sorted(votes.values(), reverse=True)
        lead = None
        if ranked and (len(ranked) == 1 or ranked[0] > ranked[1]):
            lead = max(votes, key=votes.__getitem__)
        settled: dict[str, str] = {}
        for word in counts:
            candidates = self._ambiguous.get(word)
            if not candidates:
                continue
            winners = ([c for c in candidates if lead in self._langs.get(c, ())]
                       if lead is not None else list(candidates))
            if len(winners) == 1:
                settled[word] = winners[0]
        if not settled:
            return list(read)
        return [settled.get(word, word) for word in read]

    def _join_spaced(self, match: re.Match[str]) -> str:
        """Letters spaced out to evade the rules, joined back; then split into words when the
        run holds several ("c h a r g e d t w i c e" -> "charged twice").

        Two letters ("m y") are joined only into a word the normaliser knows, or where the
        words around are set apart by wider gaps ("m y   c a r d"): "plan a b" stays.
        """
        joined = re.sub(r"[ .\-_*/]", "", match.group())
        if len(joined) == 2 and joined not in self._splittable:
            text, start, end = match.string, match.start(), match.end()
            apart = (start == 0 or text[start - 2 : start] == "  ") and (
                end == len(text) or text[end : end + 2] == "  "
            )
            return joined if apart else match.group()
        if joined in self._known or len(joined) > _MAX_SPLIT:
            return joined
        return self._split(joined) or joined

    def _split(self, letters: str) -> str | None:
        """`letters` as the fewest known words, or None when they cannot all be words."""
        words = self._splittable
        best: list[list[str] | None] = [None] * (len(letters) + 1)
        best[0] = []
        for end in range(1, len(letters) + 1):
            for start in range(max(0, end - _LONGEST_WORD), end):
                head = best[start]
                piece = letters[start:end]
                if head is not None and piece in words and (
                    best[end] is None or len(head) + 1 < len(best[end] or ())
                ):
                    best[end] = [*head, piece]
        found = best[len(letters)]
        # Only a split that recovers a real word ("u s a" stays "usa", not "us a").
        if not found or max(len(word) for word in found) < 4:
            return None
        return " ".join(found)

    def _rejoin(self, chunks: list[str]) -> list[str]:
        """`chunks` (the text between spaces) with words split in the middle rejoined.

        Up to `_MAX_PIECES` pieces ("cha rged", "acc ount", "reco gnise,") are joined when
        together they spell a word the normaliser knows and neither the first nor the last
        piece is a word on its own: "log in", "can not" and real words of other languages that
        happen to spell a word together ("me dio", "bloccate la", "ho gaya") stay apart.
        """
        starts, words = self._starts, self._splittable
        out: list[str] = []
        done, count = 0, len(chunks)  # chunks[:done] are settled (copied or joined)
        # Only a piece that starts a known word can begin a join: visit those, in order.
        for i in [i for i, chunk in enumerate(chunks) if chunk in starts]:
            # Cheap tests first: a piece that is no word, followed by one that is no word.
            if i < done or chunks[i] in words or i + 1 >= count or (
                chunks[i + 1] in words and (i + 2 >= count or chunks[i + 2] in words)
            ):
                continue
            end = self._rejoined(chunks, i)
            if end is not None:
                out.extend(chunks[done:i])
                out.append("".join(chunks[i:end]))
                done = end
        out.extend(chunks[done:])
        return out

    def _rejoined(self, chunks: list[str], first: int) -> int | None:
        """The end of the pieces from `first` that rejoin into one known word, or None."""
        joined = chunks[first]
        for j in range(first + 1, min(first + _MAX_PIECES, len(chunks))):
            part = chunks[j]
            word = part.rstrip(_TRAILING)
            if not word.isalpha() or not word.isascii():
                return None
            joined += word
            if joined in self._whole and word not in self._splittable:
                return j + 1
            if word != part or joined not in self._starts:
                return None
        return None

    def _token(self, token: str) -> str:
        """What one token of folded text reads as: a clause break, or the word corrected.

        Letters repeated three times or more are squeezed to two first ("sooo" -> "soo"):
        tokens are runs of letters and digits, so doing it per token equals doing it on the
        whole text, and the result is memoised per raw token.
        """
        if not token[0].isalnum():
            result = "."
        else:
            word = _REPEATS.sub(r"\1\1", token) if len(token) > 2 else token
            result = self._slang.get(word) or self._memo.get(word) or self.correct(word)
        if len(self._tokens) < self._MEMO_LIMIT:
            self._tokens[token] = result
        return result

    def _chunk(self, chunk: str) -> tuple[str, ...]:
        """What a run of text without spaces reads as, token by token (memoised, bounded)."""
        memo = self._tokens
        result = tuple(memo.get(t) or self._token(t) for t in _TOKEN.findall(chunk))
        if len(self._chunks) < self._MEMO_LIMIT:
            self._chunks[chunk] = result
        return result

    def rejoined(self, folded: str) -> str | None:
        """`folded` (text already through `fold`) with words split in the middle rejoined
        ("cha rged" -> "charged"), or None when nothing is.

        A second reading, never the first: two real words may spell a third ("met een" is
        Dutch "meteen", "set up" is "setup", "me dio" is "medio"), so the rule detector reads
        this text beside the message as written and keeps only what it adds to the risk.
        """
        chunks = folded.split(" ")
        if self._starts.isdisjoint(chunks):
            return None
        joined = self._rejoin(chunks)
        return None if len(joined) == len(chunks) else " ".join(joined)

    def canonical(self, raw: str) -> Canonical:
        """Fold `raw` and split it into corrected words and ``.`` clause breaks."""
        text = self.fold(raw)
        if any(symbol in text for symbol in _SYMBOLS):
            text = _SYMBOL_IN_WORD.sub(lambda m: _SYMBOL_LETTER[m.group()], text)
        if _MAYBE_SPACED.search(text):
            text = _SPACED_LETTERS.sub(self._join_spaced, text)
        if _MAYBE_AMOUNT.search(text):
            text = _DECIMALS.sub("", _THOUSANDS.sub("", text))
        chunks = text.split(" ")
        # Space-separated chunks ("happened.", "r3fund") repeat even more than tokens do: each
        # is read once (tokens never span a space, so this equals reading the whole text).
        memo = self._chunks
        read = list(
            chain.from_iterable(
                [part if (part := memo.get(c)) is not None else self._chunk(c) for c in chunks]
            )
        )
        if self._ambiguous and not self._ambiguous.keys().isdisjoint(read):
            read = self._by_context(read)
        joined = " ".join(read)
        if joined.startswith(".") or ". ." in joined:
            # A clause break opens nothing and is never doubled.
            read = [w for i, w in enumerate(read) if w != "." or (i and read[i - 1] != ".")]
            joined = " ".join(read)
        starts = list(accumulate([len(w) + 1 for w in read[:-1]], initial=0)) if read else []
        return Canonical(text=joined, words=tuple(read), starts=tuple(starts))
