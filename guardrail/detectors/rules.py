"""The deterministic rule detector: registry patterns over canonical words, negation-aware."""

from __future__ import annotations

import re
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from guardrail.conversation import Message, Role
from guardrail.detectors._prefilter import anchored_at_start, most_spaces, required_literals
from guardrail.detectors.decoding import asks_to_decode, payloads
from guardrail.detectors.detector import Scan
from guardrail.reasons import ENGINE_CODES, Finding
from guardrail.registry import BRANCH_KEY, Registry
from guardrail.text import Canonical

__all__ = ["RuleDetector", "Scan", "rule_codes"]


# What a second reading of a message (words rejoined) may add: what raises risk or asks for a
# person, never a need, an exit or a friction finding.
_RAISING = frozenset({"risk", "human", "injection"})


def _failsafe(code: str, rule_id: str, source: str, index: int) -> Finding:
    """A finding saying the scan could not do its usual work on message `index`."""
    return Finding(kind="failsafe", code=code, rule_id=rule_id, source=source,
                   explanation=ENGINE_CODES[code], index=index)


def rule_codes(findings: list[Finding]) -> list[str]:
    """The codes of the rules that matched, as the need model reads them (failsafes aside).

    Training and the engine both call this, so a model sees the same features in both. A
    language's rule counts as its code without the language, so what the model learns of a
    trigger in one language carries to the others.
    """
    return [f.base_code for f in findings if f.kind != "failsafe"]

# A rule is indexed branch by branch: each of its patterns is compiled on its own (same anchors)
# and filed under the strings (up to `_KEY` characters) its matches can start with. At a word,
# only the branches filed under that word's leading characters are tried, in the rule's order,
# so the first one that matches is exactly what the rule's combined regex would match there.
# A rule's ``unless`` patterns are indexed the same way, as pseudo-rule number
# ``rule number + number of rules``: one pass over the words serves both.
_KEY = BRANCH_KEY
_OVERLAP = 2_000  # characters shared by consecutive windows of a long message
# Distinct characters of one message read at most: rules on hostile text (every sentence new)
# cost about 1 s per 100,000 characters on a shared CPU core.
_SCAN_BUDGET = 100_000
_PIECE_WORDS = 8
_PIECE = re.compile(rf"\s*\S+(?:\s+\S+){{0,{_PIECE_WORDS - 1}}}")
_KEY_CACHE = 50_000

# A branch: its number (unique in the index), its regex and the word sets a match must draw on
# (see `_prefix.required_words`; empty when nothing is known).
_Branch = tuple[int, re.Pattern[str], tuple[frozenset[str], ...]]
# (rule number, its branches in order) for the rules a word's key can start.
_Group = tuple[int, tuple[_Branch, ...]]
# A branch as the word loop tries it: its rule (or unless pseudo-rule) number, its regex and
# its reach: a match starting at word w lies within the first `int` words from w (0: not
# known), so each of the word sets (its first two `needs`, see `_Branch`; the second None when
# it has one) must have a word among them (see `_prefilter.most_spaces`). Flat, not nested: the
# word loop unpacks it for every branch it tries.
_Try = tuple[int, re.Pattern[str], int, frozenset[str] | None, frozenset[str] | None]
# Sets of branch numbers are kept as bit masks (bit b: branch b) where they are combined per
# text: a union of masks costs one big-integer operation, a union of sets one insertion per
# branch, and the set bits of a mask come out in branch order (`_bits`), the order branches
# are tried in. A word's entry in `_Index.needed_by_word` is three such masks.
_Needed = tuple[int, int, int]
# A branch filed under a start this short is tried at a large share of all words: worth a few
# substring searches per text (`_Index.literals`) to rule it out at once.
_BROAD_START = 2
_MOST_LITERALS = 64


@dataclass(frozen=True, slots=True)
class _Index:
    """Every rule and unless branch of a registry, numbered, with what lets a text rule most of
    them out before the word loop (see `RuleDetector._possible`).

    Branch numbers follow (rule number, position in the rule), so sorting branch numbers puts
    branches in the order the detector must try them.
    """

    branches: tuple[tuple[_Branch, ...], ...]  # per rule number, then per unless pseudo-rule
    starts: dict[str, tuple[tuple[int, int], ...]]  # leading string -> (rule, branch) pairs
    anywhere: tuple[tuple[int, int], ...]  # branches whose starts cannot be listed
    count: int  # branches in all
    tries: tuple[_Try, ...]  # per branch number
    # The word sets branches need (`_Branch`), filed by word: (the branches needing one set,
    # the branches needing two or more whose first set, and those whose second set, holds the
    # word). Only the first two sets are read: a text that has neither cannot match.
    needed_by_word: dict[str, _Needed]
    needless: int  # branches needing no word (a mask): possible in any text
    # Broad branches: strings one of which a match contains, checked once per text
    # (`_prefilter.required_literals`).
    literals: dict[int, tuple[str, ...]]
    broad: int  # the branches in `literals`, as a mask
    at_start: frozenset[int]  # branches that can match only at the first word


# One index per loaded registry (registries are immutable once loaded), however many
# Guardrail instances share it.
_INDEXES: weakref.WeakKeyDictionary[Registry, _Index] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


def _start_index(registry: Registry) -> _Index:
    """Index every rule and unless branch by the strings its matches can start with (see
    `_prefix`). A branch whose 6-character strings are too many to list is indexed by shorter
    ones, and one with none at all is tried at every word: the index only ever skips
    impossible starts. The words and literals a branch needs are indexed too, so a text finds
    its possible branches from its own words, and branches anchored at the text's start are
    marked (`_prefilter`)."""
    with _INDEX_LOCK:
        cached = _INDEXES.get(registry)
        if cached is not None:
            return cached
        branches: list[tuple[_Branch, ...]] = []
        starts: dict[str, list[tuple[int, int]]] = defaultdict(list)
        anywhere: list[tuple[int, int]] = []
        tries: list[_Try] = []
        needed_by_word: dict[str, tuple[list[int], list[int], list[int]]] = defaultdict(
            lambda: ([], [], [])
        )
        needless: set[int] = set()
        literals: dict[int, tuple[str, ...]] = {}
        at_start: set[int] = set()
        count = 0
        lists = [r.branches for r in registry.rules] + [r.unless_branches for r in registry.rules]
        for number, group in enumerate(lists):
            numbered = []
            for position, branch in enumerate(group):
                numbered.append((count, branch.regex, branch.needs))
                spaces = most_spaces(branch.regex) if branch.needs else None
                if spaces is None:
                    tries.append((number, branch.regex, 0, None, None))
                else:
                    tries.append((
                        number, branch.regex, spaces + 1, branch.needs[0],
                        branch.needs[1] if len(branch.needs) > 1 else None,
                    ))
                if not branch.needs:
                    needless.add(count)
                elif len(branch.needs) == 1:
                    for word in branch.needs[0]:
                        needed_by_word[word][0].append(count)
                else:
                    for place, needed in enumerate(branch.needs[:2], start=1):
                        for word in needed:
                            needed_by_word[word][place].append(count)
                found = _broad_literals(branch.regex, branch.starts)
                if found is not None:
                    literals[count] = found
                if anchored_at_start(branch.regex):
                    at_start.add(count)
                count += 1
                if branch.starts is None:
                    anywhere.append((number, position))
                for string in branch.starts or ():
                    starts[string].append((number, position))
            branches.append(tuple(numbered))
        index = _Index(
            branches=tuple(branches),
            starts={k: tuple(v) for k, v in starts.items()},
            anywhere=tuple(anywhere),
            count=count,
            tries=tuple(tries),
            needed_by_word={
                word: (_mask(one), _mask(first), _mask(second))
                for word, (one, first, second) in needed_by_word.items()
            },
            needless=_mask(needless),
            literals=literals,
            broad=_mask(literals),
            at_start=frozenset(at_start),
        )
        _INDEXES[registry] = index
        return index


def _mask(branches: Iterable[int]) -> int:
    """The bit mask of a set of branch numbers."""
    mask = 0
    for branch in branches:
        mask |= 1 << branch
    return mask


def _bits(mask: int) -> list[int]:
    """The branch numbers of a mask, in increasing order."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _broad_literals(
    regex: re.Pattern[str], starts: frozenset[str] | None
) -> tuple[str, ...] | None:
    """The literals to check once per text for a branch tried at a large share of words (no
    listed starts, or a start of `_BROAD_START` characters or fewer); None for the others,
    whose few tries cost less than the substring searches would."""
    if starts is not None and min(map(len, starts), default=0) > _BROAD_START:
        return None
    found = required_literals(regex)
    if found is None or len(found) > _MOST_LITERALS:
        return None
    return tuple(sorted(found, key=lambda s: (-len(s), s)))


class RuleDetector:
    """Scans one message at a time; the engine feeds it only messages it has not seen.

    Built once per registry. `scan` is pure: the same message gives the same findings. A
    `Detector`.
    """

    name = "rules"

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._normaliser = registry.normaliser
        # Each rule's negators: its language's and the default language's (`Registry`).
        default = registry.settings.languages.default
        self._negators = [
            registry.negators_by_lang.get(rule.spec.lang or default, registry.negators)
            for rule in registry.rules
        ]
        self._breaks = registry.clause_breaks
        self._window = registry.settings.negation_window
        self._questions = registry.question_markers
        self._hypotheticals = registry.hypothetical_markers
        self._max_chars = registry.settings.max_scan_chars
        by_role: dict[Role, set[int]] = defaultdict(set)
        for number, rule in enumerate(registry.rules):
            for role in rule.spec.roles:
                by_role[role].add(number)
        # Each role's rules, and their unless pseudo-rules (see `_start_index`).
        self._by_role = {
            role: frozenset(numbers) | {n + len(registry.rules) for n in numbers}
            for role, numbers in by_role.items()
        }
        self._rules = registry.rules
        self._index = _start_index(registry)
        # The branch numbers filed under a key (`_branches_at`), at any word but the first and
        # at the first; the branch numbers of each role's rules.
        # Masks, see `_Needed`.
        self._ids_at: dict[str, int] = {}
        self._first_ids_at: dict[str, int] = {}
        self._role_branches = {
            rules: _mask(b for b, (number, *_) in enumerate(self._index.tries) if number in rules)
            for rules in self._by_role.values()
        }
        self._hypothetical_memo: dict[str, bool] = {}

    def scan(self, index: int, message: Message) -> Scan:
        """Findings for message number `index`, and the canonical words they were read from.

        Every part of the message is read, in linear time: a message longer than
        ``max_scan_chars`` is read window by window (overlapping, so no phrase is cut in two),
        and says so (``failsafe.oversized_input``); the canonical words returned, which the need
        model reads, are the first window's. Text repeated in a long message is read once
        (`_scannable`); past `_SCAN_BUDGET` distinct characters the rest is not read, and
        ``failsafe.unscanned_input`` says so. Text the message carries
        encoded (base64, hex,
        percent-encoding, rot13 where it asks for decoding) is decoded and read too.
        """
        rules = self._by_role.get(message.role)
        if not rules:
            return Scan([], None)
        content = message.content
        source = f"message[{index}]"
        findings: list[Finding] = []
        if len(content) > self._max_chars:
            findings.append(_failsafe("failsafe.oversized_input", "engine.max_scan_chars",
                                      source, index))
        canonical: Canonical | None = None
        seen: set[str] = set()
        cued = False
        text, unscanned = _scannable(content, self._max_chars)
        for window in _windows(text, self._max_chars):
            read, found = self._read(index, window, rules, source, spans=canonical is None)
            canonical = read if canonical is None else canonical
            # Folded once, for the cue words ("décoder") and the second reading.
            folded = self._normaliser.fold(window)
            cued = cued or asks_to_decode(folded)
            _extend(findings, found, seen)
            rejoined = self._normaliser.rejoined(folded)
            if rejoined is not None:  # words split in the middle: what they add to the risk
                _, more = self._read(index, rejoined, rules, f"{source}:rejoined", spans=False)
                _extend(findings, [f for f in more if f.kind in _RAISING], seen)
        decoded = []
        for payload in payloads(text, cued, self._max_chars):
            at = f"{source}:decoded:{payload.encoding}"
            words, found = self._read(index, payload.text, rules, at, spans=False)
            _extend(findings, found, seen)
            decoded.append((at, words))
        if unscanned:
            findings.append(_failsafe("failsafe.unscanned_input", "engine.scan_budget", source,
                                      index))
        return Scan(findings, canonical, decoded=tuple(decoded))

    def _read(
        self, index: int, text: str, rules: frozenset[int], source: str, spans: bool
    ) -> tuple[Canonical, list[Finding]]:
        """The canonical words of `text` and the findings of `rules` in them, each from
        `source`; with their spans in those words when `spans` (the words the scan returns)."""
        canonical = self._normaliser.canonical(text)
        if not canonical.text:
            return canonical, []
        findings = []
        matches = self._matches(canonical, rules)
        for number in sorted(matches):
            spec = self._rules[number].spec
            match = matches[number]
            findings.append(
                Finding(
                    kind=spec.kind,
                    code=spec.code,
                    rule_id=spec.id,
                    source=source,
                    explanation=spec.explanation,
                    raw_evidence=match.group(),
                    span=match.span() if spans else None,
                    need_state=spec.need_state,
                    risk=spec.risk,
                    weight=spec.weight,
                    index=index,
                )
            )
        return canonical, findings

    def _matches(self, canonical: Canonical, allowed: frozenset[int]) -> dict[int, re.Match[str]]:
        """Rule number -> its first match that is not negated, a how-to question or a
        hypothetical, for the `allowed` rules (none for a rule whose ``unless`` holds).

        One pass over the words: at each, only the branches filed under its leading characters
        are tried, in the rule's order, so the first that matches is what the rule's combined
        regex would match there; a rule is settled by its first kept match, an unless
        pseudo-rule by its first match. A branch that cannot match anywhere in this text
        (`_possible`) is not tried at all: which branches are left at a word is worked out once
        per distinct leading string of the text (`_live`); nor is one whose needed words are
        not within the words its match can span from this one (`_Reach`).
        """
        text = canonical.text
        tokens = text.split(" ")
        possible = self._possible(text, tokens, allowed)
        if not possible:
            return {}
        # Words as the text spells them, for the branches' reach (a slang word read as two
        # words would shift them: then reach is not used).
        words = canonical.words if len(tokens) == len(canonical.words) else None
        first_unless = len(self._rules)
        tries = self._index.tries
        ids_at = self._ids_at
        live_at: dict[str, list[_Try]] = {}
        settled: set[int] = set()
        found: dict[int, re.Match[str]] = {}
        for word, offset in enumerate(canonical.starts):
            key = text[offset : offset + _KEY]
            if word:
                live = live_at.get(key)
                if live is None:  # `_live`, inlined: this runs once per distinct key
                    ids = ids_at.get(key)
                    if ids is None:
                        ids = self._branches_at(key, False)
                    live = live_at[key] = [tries[b] for b in _bits(ids & possible)]
                if not live:
                    continue
            else:  # the first word also tries the branches anchored at the text's start
                live = self._live(key, True, possible)
            done = -1  # the rule whose branch matched here: its later branches are not tried
            for number, regex, reach, need, also in live:
                if number == done or number in settled:
                    continue
                if reach and words is not None:
                    near = words[word : word + reach]
                    if (need is not None and need.isdisjoint(near)) or (
                        also is not None and also.isdisjoint(near)
                    ):
                        continue
                match = regex.match(text, offset)
                if match is None:
                    continue
                done = number
                if number < first_unless and self._suppressed(number, canonical, word):
                    continue
                settled.add(number)
                if number < first_unless:
                    found[number] = match
        return {
            number: match for number, match in found.items()
            if number + first_unless not in settled
        }

    def _possible(self, text: str, tokens: list[str], allowed: frozenset[int]) -> int:
        """The branches of the `allowed` rules that can match somewhere in `text`: those that
        have a word of each set they need among the text's words (`_prefix.required_words`),
        and, when broad, one of their literals in the text (`_prefilter.required_literals`).

        Read from the text's distinct words through the index, so the cost follows the text,
        not the number of rules. A mask (`_Needed`).
        """
        index = self._index
        needed_by_word = index.needed_by_word
        possible = index.needless
        first = second = 0
        for word in needed_by_word.keys() & tokens:
            one, in_first, in_second = needed_by_word[word]
            possible |= one
            first |= in_first
            second |= in_second
        possible |= first & second
        branches = self._role_branches.get(allowed)
        if branches is None:
            branches = _mask(b for b, (n, *_) in enumerate(index.tries) if n in allowed)
        possible &= branches
        literals = index.literals
        for branch in _bits(possible & index.broad):
            if not any(literal in text for literal in literals[branch]):
                possible ^= 1 << branch
        return possible

    def _live(self, key: str, first: bool, possible: int) -> list[_Try]:
        """The `possible` branches filed under `key` (with those anchored at the text's start
        when `first`), in the order they are tried: by rule, then by place in the rule (the
        order of branch numbers)."""
        ids = (self._first_ids_at if first else self._ids_at).get(key)
        if ids is None:
            ids = self._branches_at(key, first)
        tries = self._index.tries
        return [tries[branch] for branch in _bits(ids & possible)]

    def _branches_at(self, key: str, first: bool) -> int:
        """The numbers of the branches `_rules_for` files under `key`, without those anchored
        at the text's start unless `first` (cached, bounded)."""
        at_start = self._index.at_start
        ids = _mask(
            branch
            for _, branches in self._rules_for(key)
            for branch, _, _ in branches
            if first or branch not in at_start
        )
        cache = self._first_ids_at if first else self._ids_at
        if len(cache) >= _KEY_CACHE:
            cache.clear()  # bounded: hostile input cannot grow it without limit
        cache[key] = ids
        return ids

    def _suppressed(self, number: int, canonical: Canonical, word: int) -> bool:
        """Is a match of rule `number` starting at word number `word` negated, a how-to
        question or a hypothetical, as far as this rule cares?"""
        spec = self._rules[number].spec
        return (
            (spec.negatable and self._negated(canonical.words, word, number))
            or (spec.suppress_in_question and self._in_question(canonical, word))
            or (
                spec.kind == "risk"
                and spec.suppress_if_hypothetical
                and self._hypothetical(canonical, word)
            )
        )

    def _rules_for(self, key: str) -> tuple[_Group, ...]:
        """The rule branches a match could start with at a word whose text begins with `key`,
        grouped by rule, each group in the rule's own order (what `_branches_at` caches)."""
        index = self._index
        pairs: set[tuple[int, int]] = set(index.anywhere)
        for size in range(1, len(key) + 1):
            pairs.update(index.starts.get(key[:size], ()))
        grouped: dict[int, list[int]] = defaultdict(list)
        for number, branch in sorted(pairs):
            grouped[number].append(branch)
        return tuple(
            (number, tuple(index.branches[number][b] for b in branches))
            for number, branches in grouped.items()
        )

    def _negated(self, words: tuple[str, ...], start: int, number: int) -> bool:
        negators = self._negators[number]
        for j in range(start - 1, max(start - 1 - self._window, -1), -1):
            word = words[j]
            if word == "." or word in self._breaks:
                return False
            if word in negators:
                return True
        return False

    def _hypothetical(self, canonical: Canonical, start: int) -> bool:
        """Is the sentence holding word `start` a hypothetical ("what happens if ... ever")?"""
        if self._hypotheticals is None:
            return False
        begin, end = _sentence(canonical.words, start)
        sentence = " ".join(canonical.words[begin:end])
        known = self._hypothetical_memo.get(sentence)
        if known is None:
            # Several rules often ask about the same sentence: the answer is memoised (bounded).
            known = self._hypotheticals.search(sentence) is not None
            if len(self._hypothetical_memo) >= _KEY_CACHE:
                self._hypothetical_memo.clear()
            self._hypothetical_memo[sentence] = known
        return known

    def _in_question(self, canonical: Canonical, start: int) -> bool:
        """Does the clause up to word `start` open with a how-to framing ("how do I ...")?"""
        if self._questions is None:
            return False
        begin, _ = _sentence(canonical.words, start)
        return self._questions.match(" ".join(canonical.words[begin : start + 1])) is not None


def _scannable(content: str, size: int) -> tuple[str, bool]:
    """What of `content` is read, and whether some of it is left unread.

    A message within `size` is read as written. A longer one (a pasted log, a flood of filler)
    is read as its runs of `_PIECE_WORDS` words, each distinct run once, in order of first
    appearance, up to `_SCAN_BUDGET` characters: linear time on any input. Runs never seen
    before stay next to each other, so a request amid repeated filler is read whole.
    """
    if len(content) <= size:
        return content, False
    distinct = "".join(dict.fromkeys(_PIECE.findall(content)))
    return distinct[:_SCAN_BUDGET], len(distinct) > _SCAN_BUDGET


def _windows(text: str, size: int) -> list[str]:
    """`text` in windows of `size` characters, each overlapping the next by a quarter of one
    (at most `_OVERLAP`), so a phrase shorter than the overlap is whole in some window."""
    if len(text) <= size:
        return [text]
    step = size - min(_OVERLAP, size // 4)
    return [text[start : start + size] for start in range(0, len(text) - size + step, step)]


def _extend(findings: list[Finding], found: list[Finding], seen: set[str]) -> None:
    """Add the findings of rules not found yet (the first place a rule matched is kept)."""
    for finding in found:
        if finding.rule_id not in seen:
            seen.add(finding.rule_id)
            findings.append(finding)


def _sentence(words: tuple[str, ...], index: int) -> tuple[int, int]:
    """The [begin, end) word range of the sentence holding word `index` (split at ".")."""
    begin = index
    while begin > 0 and words[begin - 1] != ".":
        begin -= 1
    end = index
    while end < len(words) and words[end] != ".":
        end += 1
    return begin, end
