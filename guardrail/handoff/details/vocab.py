"""The details vocabulary: currencies, reference keywords and markers, month names and date
words (in every supported language), payment methods, error phrases, devices, integrations and
the questions per need-state, loaded from ``_data/vocab/details.yaml``
once and validated like the registry (every problem names the file and its YAML path).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import Field, model_validator

from guardrail._base import FrozenModel
from guardrail._yaml import load_yaml
from guardrail.errors import RegistryError

__all__ = [
    "VOCAB_FILE",
    "DatesSpec",
    "DetailField",
    "DeviceKind",
    "DeviceSpec",
    "IntegrationSpec",
    "Month",
    "RefKeyword",
    "ReferenceKind",
    "Vocab",
    "load_vocab",
    "parse_vocab",
]

ReferenceKind = Literal["invoice", "order", "ticket", "case", "booking", "transaction", "reference"]
DeviceKind = Literal["device", "os", "browser", "app"]
DetailField = Literal[
    "references", "amounts", "dates", "card_last4", "errors", "devices", "integrations"
]


VOCAB_FILE = "vocab/details.yaml"


class _Currencies(FrozenModel):
    symbols: dict[str, str]
    codes: list[str]
    words: dict[str, str | None]
    prefix_words: dict[str, str | None]


class _Amounts(FrozenModel):
    money_words: list[str] = Field(min_length=1)
    not_before_decimal: list[str]
    after_number: list[str]


class RefKeyword(FrozenModel):
    word: str = Field(min_length=2)
    kind: ReferenceKind
    marker: bool = False
    number: bool = False


class _Markers(FrozenModel):
    explicit: list[str] = Field(min_length=1)
    weak: list[str]


class _References(FrozenModel):
    keywords: list[RefKeyword]
    markers: _Markers
    number_words: list[str]
    count_nouns: list[str]
    prefixes: dict[str, ReferenceKind]
    not_prefixes: list[str]


Month = Annotated[int, Field(ge=1, le=12)]


class DatesSpec(FrozenModel):
    months: dict[str, dict[str, Month]]
    month_first: list[str]
    day_only: list[str]
    day_or_lead_only: list[str]
    day_suffixes: list[str]
    day_month: list[str]
    month_year: list[str]
    month_leads: list[str]
    month_modifiers: list[str]
    weekdays: list[str]
    weekday_modifiers: list[str]
    after_weekday: list[str]
    ago_before: list[str]
    ago_after: list[str]
    ago_numbers: list[str]
    ago_units: list[str]
    relative: list[str]

    @model_validator(mode="after")
    def _one_month_per_word(self) -> DatesSpec:
        seen: dict[str, int] = {}
        for language, names in self.months.items():
            for word, month in names.items():
                key = word.casefold()
                if seen.setdefault(key, month) != month:
                    raise ValueError(f"months.{language}: {word!r} names two months")
        unknown = sorted(set(self.month_first) - set(self.months))
        if unknown:
            raise ValueError(f"month_first: no months for {', '.join(unknown)}")
        return self


class _PaymentMethod(FrozenModel):
    name: str
    aliases: list[str] = Field(min_length=1)
    context: bool = False


class _Errors(FrozenModel):
    http_phrases: list[str]
    phrases: list[str]
    code_words: list[str]


class DeviceSpec(FrozenModel):
    name: str
    kind: DeviceKind
    version: Literal["none", "number", "model"]
    bare: Literal["always", "cased", "never"]
    aliases: list[str] = Field(default_factory=list)
    versions: list[str] = Field(default_factory=list)


class IntegrationSpec(FrozenModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    ambiguous: bool = False
    only_cased: bool = False


class _Need(FrozenModel):
    ask: str = Field(min_length=3)
    satisfied_by: list[DetailField] = Field(min_length=1)


class Vocab(FrozenModel):
    currencies: _Currencies
    amounts: _Amounts
    references: _References
    dates: DatesSpec
    payment_methods: list[_PaymentMethod]
    errors: _Errors
    devices: list[DeviceSpec]
    integrations: list[IntegrationSpec]
    needs: dict[str, list[_Need]]


@lru_cache(maxsize=1)
def load_vocab() -> Vocab:
    """The shipped vocabulary, loaded and validated once per process."""
    return parse_vocab((resources.files("guardrail") / "_data" / VOCAB_FILE).read_text("utf-8"))


def parse_vocab(text: str) -> Vocab:
    """Validate the vocabulary text.

    Raises:
        RegistryError: every problem, each with the file and its YAML path.
    """
    vocab, issues = load_yaml(text, Vocab, file=VOCAB_FILE)
    if vocab is None:
        raise RegistryError(issues)
    return vocab
