"""The details a customer already gave, pulled out of their messages for the human who takes over.

`extract_details` reads the user messages only and returns a frozen `Details`: references
(invoice, order, ticket ... ids), amounts, dates, payment-method hints (last four digits only),
error messages and codes, devices and integrations. Each item keeps the index of the message it
was said in; lists are in order of first mention, without repeats. `Details.missing(need_state)`
says what a human would still have to ask.

Precision comes before recall: a detail shown to an agent as "already given" must have been
given. So a bare number is an amount only beside a money word ("charged me 43"), an id only after
a keyword or a known prefix, a date only in a date shape; phone and card numbers are blanked
before any of that runs, and a full card number is reduced to its last four digits.

Other choices an agent should know about: a bare "$" reads as USD and "¥" as JPY (the amount
keeps its text as written, so "$300" from an Australian is still visible as such), while words
like "pesos" or "dirham" give no currency; a date gets `iso` only with a year and one possible
reading ("03/04/2026" has none); error messages in free text are redacted with `redact`, error
codes are kept as written (their grammar admits no personal data and redaction would turn
"0x80070005" into "0x[number]").

Every pattern is linear (no nested unbounded quantifiers) and each message is cut to its first
20,000 characters. Names and words (currencies, reference keywords and markers, month names and
relative dates, products, the questions per need-state) are data in ``_data/vocab/details.yaml``,
loaded once and validated like the registry; the grammar around them stays in the code.

Languages: English, Spanish, Portuguese, French, Italian, German, Dutch and Hindi (Devanagari and
Hinglish). A message in any of them is read with all their words at once (no language detection):
"pedido nº 48213", "Bestellnummer 48213", "3 de marzo de 2025", "3. März", "49,90 €",
"499 rupaye". A decimal comma reads as a decimal point ("49,90" -> 49.90) and a group of three
digits after a comma or a dot as thousands ("1.299,00", "4,999"), as before; space-grouped
thousands ("2 000 €") are read only right before a currency.

One module per extractor (`references`, `amounts`, `dates`, `cards`, `errors`, `devices`,
`integrations`), beside the items (`model`), the vocabulary (`vocab`, compiled in `compiled`)
and the scanning helpers they share (`text`); this module runs them over a conversation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from guardrail.conversation import Message
from guardrail.errors import UserError
from guardrail.handoff.details.amounts import find_amounts
from guardrail.handoff.details.cards import find_card_hints
from guardrail.handoff.details.compiled import Compiled, compiled_vocab
from guardrail.handoff.details.dates import find_dates
from guardrail.handoff.details.devices import find_devices
from guardrail.handoff.details.errors import find_errors
from guardrail.handoff.details.integrations import find_integrations
from guardrail.handoff.details.model import (
    MAX_ITEMS,
    Amount,
    CardHint,
    DateMention,
    Details,
    Device,
    ErrorMention,
    Integration,
    Item,
    Reference,
)
from guardrail.handoff.details.references import find_references
from guardrail.handoff.details.text import (
    CARDISH,
    PHONEISH,
    Found,
    Scan,
    blank_card,
    blank_phone,
    prepare,
)
from guardrail.handoff.details.vocab import DetailField, DeviceKind, ReferenceKind

__all__ = [
    "Amount",
    "CardHint",
    "DateMention",
    "DetailField",
    "Details",
    "Device",
    "DeviceKind",
    "ErrorMention",
    "Integration",
    "Reference",
    "ReferenceKind",
    "extract_details",
]

def _texts(messages: Sequence[Message] | Sequence[str] | str) -> Iterator[tuple[int, str]]:
    if isinstance(messages, str):
        yield 0, messages
        return
    for index, message in enumerate(messages):
        if isinstance(message, str):
            yield index, message
        elif isinstance(message, Message):
            if message.role == "user":
                yield index, message.content
        else:
            raise UserError(
                f"extract_details: message {index} is a {type(message).__name__}, "
                "not a Message or a str"
            )


def _scan(index: int, content: str, compiled: Compiled) -> dict[str, list[Found]]:
    raw = prepare(content)
    scan = Scan(index, raw, raw)
    cards = find_card_hints(raw, scan, compiled.brands)
    # Every 13-19 digit run shaped like a card is blanked for the later extractors, so no field
    # can hold more than the last four digits of one; phone numbers are blanked for all but dates.
    scan.text = CARDISH.sub(blank_card, raw)
    scan.plain = PHONEISH.sub(blank_phone, scan.text)
    # The order matters: each extractor claims its spans, so "error 502" is not an amount, a
    # date is not an id and "iPhone 15" is not a quantity.
    return {
        "card_last4": cards,
        "dates": find_dates(scan, compiled.dates),
        "errors": find_errors(scan, compiled),
        "devices": find_devices(scan, compiled.devices),
        "references": find_references(scan, compiled),
        "amounts": find_amounts(scan, compiled),
        "integrations": find_integrations(scan, compiled.integrations),
    }


def _dedupe(found: list[tuple[int, Found]]) -> list[Item]:
    seen: set[object] = set()
    items: list[Item] = []
    for _, f in sorted(found, key=lambda pair: (pair[1].item.message, pair[1].start)):
        if f.key not in seen:
            seen.add(f.key)
            items.append(f.item)
    return items[:MAX_ITEMS]


def extract_details(messages: Sequence[Message] | Sequence[str]) -> Details:
    """Pull what the customer already said out of their messages, for a handoff summary.

    Args:
        messages: the conversation's messages; only those with role ``user`` are read. Plain
            strings are all taken as the customer's (a single string as one message). Each
            message is read up to its first 20,000 characters.

    Returns:
        The details, each list in order of first mention without repeats, each item with the
        index of its message in `messages`.

    Raises:
        UserError: an element is neither a `Message` nor a `str`.
    """
    compiled = compiled_vocab()
    fields: dict[str, list[tuple[int, Found]]] = {}
    for index, content in _texts(messages):
        for name, found in _scan(index, content, compiled).items():
            fields.setdefault(name, []).extend((index, f) for f in found)
    merged = {name: _dedupe(found) for name, found in fields.items()}
    cards = [c for c in merged.get("card_last4", []) if isinstance(c, CardHint)]
    brands_with_digits = {c.brand for c in cards if c.value is not None}
    # "an iPhone ... my iPhone 15" is one device, told twice.
    devices = [d for d in merged.get("devices", []) if isinstance(d, Device)]
    merged["devices"] = [
        d for d in devices if not any(o.value.startswith(f"{d.value} ") for o in devices)
    ]
    # "paid by Visa ... Visa ending 4242" is one hint, not two.
    merged["card_last4"] = [
        c for c in cards if c.value is not None or c.brand not in brands_with_digits
    ]
    return Details.model_validate({name: [i.model_dump() for i in items]
                                   for name, items in merged.items()})
