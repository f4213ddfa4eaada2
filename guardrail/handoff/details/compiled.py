"""The vocabulary compiled into the patterns the extractors run, once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guardrail.handoff.details.amounts import NUM, NUM_END, SPACED_NUM, WEIGHT, to_decimal
from guardrail.handoff.details.cards import Brands
from guardrail.handoff.details.dates import DatePatterns, compile_dates
from guardrail.handoff.details.devices import Devices, compile_devices
from guardrail.handoff.details.integrations import Integrations, compile_integrations
from guardrail.handoff.details.model import Amount
from guardrail.handoff.details.references import REF_ID
from guardrail.handoff.details.text import (
    LETTER_AHEAD,
    NOT_AFTER_WORD,
    NOT_IN_WORD,
    Names,
    alt,
    fold,
    nfkc,
    window,
)
from guardrail.handoff.details.vocab import ReferenceKind, RefKeyword, load_vocab

__all__ = ["Compiled", "compiled_vocab"]

@dataclass(frozen=True, slots=True)
class Compiled:
    money: re.Pattern[str]
    symbols: dict[str, str]
    words: dict[str, str | None]
    prefix_words: dict[str, str | None]
    money_word: re.Pattern[str]
    not_before_decimal: frozenset[str]
    after_number: re.Pattern[str]
    ref_keyword: re.Pattern[str]
    ref_keywords: dict[str, RefKeyword]
    explicit_marker: re.Pattern[str]
    number_word: re.Pattern[str]
    count_nouns: frozenset[str]
    ref_prefix: re.Pattern[str]
    prefixes: dict[str, ReferenceKind]
    not_prefixes: frozenset[str]
    brands: Brands
    http_phrase: re.Pattern[str]
    error_phrase: Names
    code_words: frozenset[str]
    devices: Devices
    integrations: Integrations
    dates: DatePatterns

    def currency_amount(self, m: re.Match[str], index: int) -> Amount | None:
        """The amount of a match of `money`, or None when "pounds" is a weight."""
        if m["pnum"] is not None:
            number, thousand = m["pnum"], bool(m["pk"])
            currency = (self.symbols[m["psym"]] if m["psym"] else m["pcode"] if m["pcode"]
                        else self.prefix_words[fold(m["pword"])])
        else:
            number, thousand = m["snum"], bool(m["sk"])
            word = m["sword"]
            if word is not None and fold(word).startswith("pound") and (
                re.match(r"\s+of\b", m.string[m.end() : m.end() + 6])
                or WEIGHT.search(window(m.string, m.start(), m.start(), 30, 0))
            ):
                return None
            currency = (self.symbols[m["ssym"]] if m["ssym"] else m["scode"] if m["scode"]
                        else self.words[fold(word)])
        value = to_decimal(number, thousand)
        if value is None:
            return None
        text = " ".join(m.group().split())
        return Amount(message=index, value=value, currency=currency, text=text)


@lru_cache(maxsize=1)
def compiled_vocab() -> Compiled:
    vocab = load_vocab()
    cur = vocab.currencies
    sym, code = alt(list(cur.symbols)), "|".join(sorted(cur.codes, key=len, reverse=True))
    money = re.compile(
        rf"(?:(?P<psym>{sym})|(?<![A-Za-z])(?P<pcode>{code})|(?<![A-Za-z])(?i:(?P<pword>"
        rf"{_words(list(cur.prefix_words))})))\s?(?P<pnum>{NUM})(?P<pk>[kK])?{NUM_END}(?![A-Za-z])"
        rf"|(?<![\w.,])(?P<snum>{SPACED_NUM}(?![\d.,])|{NUM})(?P<sk>[kK])?\s?(?:(?P<ssym>{sym})(?!\s?\d)|(?P<scode>{code})"
        rf"(?![A-Za-z])|(?i:(?P<sword>{_words(list(cur.words))}))(?![A-Za-z\u0900-\u097f]))"
    )
    amounts = vocab.amounts
    refs = vocab.references
    markers = _words([*refs.markers.explicit, *refs.markers.weak])
    # A keyword ending in a letter must end a word (order, not orders); one ending in a dot
    # ("Bestellnr.") already does.
    keywords = _words([k.word for k in refs.keywords])
    ref_keyword = re.compile(
        rf"(?<![\w/-]){NOT_AFTER_WORD}{LETTER_AHEAD}(?i:(?P<kw>{keywords})){NOT_IN_WORD}"
        rf"(?P<marker>(?:\s*(?i:{markers})){{0,3}})\s*#?\s*(?P<id>{REF_ID})(?![\w/-])"
    )
    ref_prefix = re.compile(
        rf"(?<![\w/-])(?i:(?P<pfx>{alt(list(refs.prefixes))}))-?\d{{3,12}}(?![\w/-]|[.,]\d)"
    )
    methods = vocab.payment_methods
    brands = Brands(
        pattern=Names.of([a for p in methods for a in p.aliases], r"(?<!\w)(?i:{})(?!\w)"),
        names={fold(a): p.name for p in methods for a in p.aliases},
        needs_context=frozenset(p.name for p in methods if p.context),
    )
    errs = vocab.errors
    return Compiled(
        money=money,
        symbols=dict(cur.symbols),
        words={fold(w): c for w, c in cur.words.items()},
        prefix_words={fold(w): c for w, c in cur.prefix_words.items()},
        money_word=re.compile(
            rf"(?i:{NOT_AFTER_WORD}{LETTER_AHEAD}(?:{_words(amounts.money_words)}){NOT_IN_WORD})"
        ),
        not_before_decimal=frozenset(fold(w) for w in amounts.not_before_decimal),
        after_number=re.compile(
            rf"(?<![\w.,/:$€£¥₹-])(?P<num>{NUM})(?P<k>[kK]?)\s+"
            rf"(?i:(?:{_words(amounts.after_number)})){NOT_IN_WORD}"
        ),
        ref_keyword=ref_keyword,
        ref_keywords={fold(k.word): k for k in refs.keywords},
        explicit_marker=re.compile(rf"(?i:{_words(refs.markers.explicit)})"),
        number_word=re.compile(
            rf"(?i:{NOT_AFTER_WORD}(?:{_words(refs.number_words)})\s*)\Z"
        ),
        count_nouns=frozenset(fold(w) for w in refs.count_nouns),
        ref_prefix=ref_prefix,
        prefixes={p.upper(): k for p, k in refs.prefixes.items()},
        not_prefixes=frozenset(refs.not_prefixes),
        brands=brands,
        http_phrase=re.compile(
            rf"(?<![\w$£€¥₹.,/-])[45]\d\d\s+(?i:{alt(errs.http_phrases)})(?!\w)"
        ),
        error_phrase=Names.of(errs.phrases, r"(?<!\w)(?i:{})(?!\w)"),
        code_words=frozenset(errs.code_words),
        devices=compile_devices(vocab.devices),
        integrations=compile_integrations(vocab.integrations),
        dates=compile_dates(vocab.dates),
    )


def _words(words: list[str]) -> str:
    """An alternation of vocabulary words in the form the prepared text has them."""
    return alt([nfkc(w) for w in words])
