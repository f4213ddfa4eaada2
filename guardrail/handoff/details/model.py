"""The details a handoff summary carries: frozen items, each with the index of its message.

Every limit here bounds what a human agent's screen shows; none of them rejects what a customer
typed. A text longer than its field is cut and ends with "…" (a 41-digit amount is kept as its
first 39 characters and "…"), and a list longer than `MAX_ITEMS` keeps its first items, so no
message can make a summary fail to build.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from guardrail._base import FrozenModel
from guardrail.handoff.details.vocab import DeviceKind, ReferenceKind, load_vocab

__all__ = [
    "MAX_CHARS",
    "MAX_ITEMS",
    "Amount",
    "CardHint",
    "DateMention",
    "Details",
    "Device",
    "ErrorMention",
    "Integration",
    "Item",
    "Reference",
]

MAX_CHARS = 20_000
MAX_ITEMS = 50
_MARK = "…"


def _cut(limit: int) -> BeforeValidator:
    """Cut a longer string to `limit` characters, the last one "…", instead of rejecting it."""

    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            return value[: limit - len(_MARK)] + _MARK
        return value

    return BeforeValidator(cut)


def _first(value: Any) -> Any:
    """Keep the first `MAX_ITEMS` items of a longer list instead of rejecting it."""
    return value[:MAX_ITEMS] if isinstance(value, list) else value


_Items = BeforeValidator(_first)


class Item(FrozenModel):
    message: int = Field(ge=0, description="Index of the message the detail was said in.")


class Reference(Item):
    """An id the customer quoted: ``INV-2041``, ``order #A-77812``, ``booking ref XK9P2Q``."""

    kind: ReferenceKind
    value: Annotated[str, _cut(32)] = Field(
        max_length=32, description="The id as written, without a leading '#'."
    )


class Amount(Item):
    """A sum of money: `value` is a plain decimal string, `currency` an ISO 4217 code or None."""

    value: str = Field(pattern=r"^\d+(\.\d+)?$")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    text: Annotated[str, _cut(40)] = Field(
        max_length=40, description="The amount as written, e.g. '$1,200.50'."
    )


class DateMention(Item):
    """A date as written ("March 3rd", "last Tuesday"); `iso` only when absolute and unambiguous."""

    value: Annotated[str, _cut(60)] = Field(max_length=60)
    iso: date | None = None


class CardHint(Item):
    """A payment-method hint: the last four digits of a card, the brand or method named, or both.

    A full card number is never kept: only its last four digits reach `value`.
    """

    value: str | None = Field(default=None, pattern=r"^\d{4}$", description="Last four digits.")
    brand: Annotated[str | None, _cut(32)] = Field(default=None, max_length=32)


class ErrorMention(Item):
    """An error code or message, redacted and cut to 80 characters."""

    value: Annotated[str, _cut(80)] = Field(max_length=80)


class Device(Item):
    """A device, operating system, browser or app version ("iPhone 13", "app version 5.2.1")."""

    kind: DeviceKind
    value: Annotated[str, _cut(60)] = Field(max_length=60)


class Integration(Item):
    """A third-party product or integration, by canonical name ("Shopify", "Google Workspace")."""

    value: Annotated[str, _cut(40)] = Field(max_length=40)


class Details(FrozenModel):
    """Everything the customer already told the bot that a human agent would otherwise re-ask.

    Attributes:
        references: invoice, order, ticket, case, booking, transaction and other ids.
        amounts: sums of money, with the currency when it is clear.
        dates: explicit and relative dates, as written.
        card_last4: payment-method hints; never more than the last four digits of a card.
        errors: error codes and messages, redacted.
        devices: devices, operating systems, browsers and app versions.
        integrations: third-party products named.
    """

    references: Annotated[list[Reference], _Items] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    amounts: Annotated[list[Amount], _Items] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    dates: Annotated[list[DateMention], _Items] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    card_last4: Annotated[list[CardHint], _Items] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    errors: Annotated[list[ErrorMention], _Items] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    devices: Annotated[list[Device], _Items] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    integrations: Annotated[list[Integration], _Items] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )

    def missing(self, need_state: str) -> list[str]:
        """What a human would still have to ask for this need-state, in asking order.

        Args:
            need_state: a need-state id such as ``billing`` or ``incident``. One the vocabulary
                does not list needs nothing, so custom registries never break a handoff.

        Returns:
            The questions (from ``_data/vocab/details.yaml``) none of whose fields holds anything.
        """
        needs = load_vocab().needs.get(need_state, [])
        return [n.ask for n in needs if not any(getattr(self, f) for f in n.satisfied_by)]
