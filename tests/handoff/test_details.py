"""What `extract_details` pulls out of customer messages for the human who takes over.

Cases are realistic phrasing from SaaS, e-commerce, telecom, banking and travel. Each positive
case pins the exact items; each negative case pins that a look-alike (a phone number, a year, a
quantity, a version, a card number, an everyday word) yields nothing in that field.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pydantic import ValidationError

import guardrail.handoff.details as details_module
from guardrail.conversation import Message
from guardrail.errors import RegistryError, UserError
from guardrail.handoff.details import Details, extract_details
from guardrail.handoff.details.model import MAX_CHARS, MAX_ITEMS
from guardrail.handoff.details.vocab import load_vocab, parse_vocab

ROOT = Path(__file__).resolve().parents[2]
NEED_STATES = [
    "access_restore", "billing", "incident", "how_to", "policy_compliance", "account_change",
    "other",
]


def one(text: str) -> Details:
    return extract_details([text])


# --- references ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please check INV-2041, it was billed twice.", [("invoice", "INV-2041")]),
        ("Our invoice 10023 shows the wrong VAT number.", [("invoice", "10023")]),
        ("I placed order #A-77812 last week and it never arrived.", [("order", "A-77812")]),
        ("I was charged twice for order #55102.", [("order", "55102")]),
        ("ticket 4471 has been open for ages", [("ticket", "4471")]),
        ("the ombudsman gave me case number 55-1234", [("case", "55-1234")]),
        ("booking ref XK9P2Q, flight to Lisbon got cancelled", [("booking", "XK9P2Q")]),
        ("transaction ID TXN-99812 failed at checkout", [("transaction", "TXN-99812")]),
        ("your agent confirmed a refund, reference RF-20931", [("reference", "RF-20931")]),
        ("Money is gone. UPI ref 412877301.", [("reference", "412877301")]),
        ("future invoices must show purchase order number 4500123", [("order", "4500123")]),
        ("duplicate direct debit against account 7781-22", [("reference", "7781-22")]),
        ("CLM-88213", [("case", "CLM-88213")]),
        ("Our March invoice (INV-20931) bills us for 140 seats.", [("invoice", "INV-20931")]),
        ("a claim was filed under policy no. HX-99812", [("reference", "HX-99812")]),
    ],
)
def test_references(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(r.kind, r.value) for r in one(text).references] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Call me back on 07700 900123 please",
        "my card 4242 4242 4242 4242 was charged",
        "I need 2 users added to our plan",
        "We upgraded to version 5.2.1 in 2024",
        "I want to order 250 flyers for the shop",
        "in order to fix this I reset the router",
        "the ticket office at the station was closed",
        "we are ISO 27001 and SOC 2 certified with SHA-256 hashing",
        "COVID-19 delayed my parcel",
        "this is case 3 of the 5 I raised",
        "account 2024 was opened by my dad",
        "my order is 3 days late",
        "Flight FR2231 was delayed 5 hours under EU261",
    ],
)
def test_no_reference(text: str) -> None:
    assert one(text).references == []


# --- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was charged 49.00 EUR for nothing", [("49.00", "EUR")]),
        ("€49 taken from my account", [("49", "EUR")]),
        ("you billed me $1,200.50 for seats we never used", [("1200.50", "USD")]),
        ("got a £15 late fee on my bill", [("15", "GBP")]),
        ("that's 49 euros gone", [("49", "EUR")]),
        ("charged 120 USD on my card", [("120", "USD")]),
        ("paid Rs 500 for the recharge", [("500", "INR")]),
        ("a ¥3000 charge appeared in Tokyo", [("3000", "JPY")]),
        ("the bank show two charges of R$49,90", [("49.90", "BRL")]),
        ("refund of 1.234,56 € please", [("1234.56", "EUR")]),
        ("uknown transacshun on my card yesterday, 300 quid", [("300", "GBP")]),
        ("There's a payment to 'XYZ*DIGITAL' for 59.99 that I never made.", [("59.99", None)]),
        ("Sir this transaction of 4,999 on 12th is not mine", [("4999", None)]),
        ("I withdraw 20k for ATM yesterday, machine no bring money", [("20000", None)]),
        ("you charged me 43 and the bot keeps saying no refund", [("43", None)]),
        ("theres a charge 4 £19.99 from u", [("19.99", "GBP")]),
        ("£1 then £1 then £250 all to 'AMZ MKTP'", [("1", "GBP"), ("250", "GBP")]),
        ("500 dirham each time", [("500", None)]),
    ],
)
def test_amounts(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(a.value, a.currency) for a in one(text).amounts] == expected


def test_amount_keeps_the_text_as_written() -> None:
    (amount,) = one("Why does the renewal cost $1,200.50 more?").amounts
    assert amount.text == "$1,200.50"


@pytest.mark.parametrize(
    "text",
    [
        "I need 2 users added, we pay for 45 seats",
        "Call me back on 07700 900123 please",
        "my card 4242 4242 4242 4242 got declined",
        "We upgraded to version 5.2.1 in 2024",
        "the code only knocked 10% off at checkout",
        "the outage lasted 24 hours",
        "I rang 3 times and was charged twice",
        "it started failing at 14:10 UTC",
        "your app is rated 4.9 stars",
        "my new iPhone 15 will not activate",
        "error 500 on checkout",
        "my plan has 10GB of data",
        "I lost 10 pounds of weight on holiday",
        "so it says 2 passengers but my card was charged for 4",
        "Payments are failing since 9am, error code PG-402.",
    ],
)
def test_no_amount(text: str) -> None:
    assert one(text).amounts == []


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It happened on 3 March", [("3 March", None)]),
        ("charged on March 3rd, again", [("March 3rd", None)]),
        ("invoice dated 2026-03-03", [("2026-03-03", "2026-03-03")]),
        ("statement of 03/03/2026", [("03/03/2026", "2026-03-03")]),
        ("on 03/04/2026 it failed", [("03/04/2026", None)]),
        ("on 13/03/2026 it failed", [("13/03/2026", "2026-03-13")]),
        ("payment on 03/13/2026", [("03/13/2026", "2026-03-13")]),
        ("it was May 5, 2024 when I joined", [("May 5, 2024", "2024-05-05")]),
        ("it broke yesterday", [("yesterday", None)]),
        ("since last Tuesday nothing works", [("last Tuesday", None)]),
        ("two days ago I was charged", [("two days ago", None)]),
        ("this morning the app crashed", [("this morning", None)]),
        ("returning HTTP 500 since about 14:10 UTC", [("since about 14:10 UTC", None)]),
        ("you approved it on the 3rd and it's now the 20th", [
            ("the 3rd", None), ("the 20th", None)]),
        ("duplicate debit collected on 01/06", [("01/06", None)]),
        ("31 February 2026 was the date on the letter", [("31 February 2026", None)]),
    ],
)
def test_dates(text: str, expected: list[tuple[str, str | None]]) -> None:
    found = [(d.value, d.iso.isoformat() if d.iso else None) for d in one(text).dates]
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "is this chat open 24/7?",
        "I may 2 things to ask",
        "it failed for the 2nd time",
        "half the team, from 1/2 of the offices, can't log in",
        "we upgraded in 2024",
        "version 1.2.3 is installed",
        "march on, nothing to see",
        "My battery's dying faster than my patience on a Monday lol",
    ],
)
def test_no_date(text: str) -> None:
    assert one(text).dates == []


# --- payment-method hints ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card ending 4242 declined", [("4242", None)]),
        ("my visa ending in 1234 was charged twice", [("1234", "visa")]),
        ("last four 9876", [("9876", None)]),
        ("the last 4 digits of my card are 5555", [("5555", None)]),
        ("Mastercard ****4444 on file", [("4444", "mastercard")]),
        ("the company debit card ending 4471 was stolen", [("4471", None)]),
        ("paid with my Amex", [(None, "amex")]),
        ("I'd like to pay with PayPal instead of my debit card", [(None, "paypal")]),
        ("What's this payment to 'PAYPAL *MERCH'?", [(None, "paypal")]),
        ("paid by Visa, the visa ending 1111", [("1111", "visa")]),
    ],
)
def test_card_hints(text: str, expected: list[tuple[str | None, str | None]]) -> None:
    assert [(c.value, c.brand) for c in one(text).card_last4] == expected


@pytest.mark.parametrize(
    ("text", "card", "brand"),
    [
        ("my card number is 4111111111111111 please check", "4111111111111111", None),
        ("my card number is 4111 1111 1111 1111, visa", "4111111111111111", "visa"),
        ("card 5555-5555-5555-4444 was charged for order 12345", "5555555555554444", None),
        ("amex 378282246310005 please refund the £40", "378282246310005", "amex"),
        ("typed 4000 0566 5566 5556 into the fake site", "4000056655665556", None),
    ],
)
def test_full_card_number_keeps_only_the_last_four(text: str, card: str, brand: str | None) -> None:
    details = one(text)
    assert [(c.value, c.brand) for c in details.card_last4] == [(card[-4:], brand)]
    dumped = details.model_dump_json()
    assert card not in dumped
    # No run of the card's digits longer than the last four survives anywhere, in any field.
    assert all(card[i : i + 5] not in dumped for i in range(len(card) - 4))


@pytest.mark.parametrize(
    "text",
    [
        "it says my number ends 4471, mine ends 0932",
        "the accounts for the month ending 2024 are due",
        "my travel visa expired in Bangkok",
        "can I choose Visa or Mastercard?",
        "I've never bought a gift card in my life",
    ],
)
def test_no_card_hint(text: str) -> None:
    assert one(text).card_last4 == []


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('it says "payment declined" every time', ["payment declined"]),
        ("ERR_CONNECTION_RESET in Chrome", ["ERR_CONNECTION_RESET"]),
        ("code 0x80070005 when installing", ["code 0x80070005"]),
        ("403 forbidden on the admin page", ["403 forbidden"]),
        ("the traking page is broke, says eror 404", ["eror 404"]),
        ("All our calls have been returning HTTP 500 since 14:10.", ["HTTP 500"]),
        ("the API is returning 429s everywhere", ["429s"]),
        ("The app show me error 'E-502' when I try to buy bitcoin.", ["E-502"]),
        ("Payments are failing since 9am, error code PG-402.", ["error code PG-402"]),
        ("Checkout keeps failing with 'something went wrong'.", ["something went wrong"]),
        ("Error: Invalid redirect URI", ["Invalid redirect URI"]),
        ("it says 'call 07700 900123 for help'", ["call for help"]),
    ],
)
def test_errors(text: str, expected: list[str]) -> None:
    assert [e.value for e in one(text).errors] == expected


def test_long_error_message_is_cut_to_80_characters() -> None:
    text = "it says '" + "Your request could not be completed " * 3 + "'"
    (error,) = one(text).errors
    assert len(error.value) == 80
    assert error.value.endswith("…")


@pytest.mark.parametrize(
    "text",
    [
        "no errors at all, just slow",
        "your 404 page is funny",
        "500 users are affected by the outage",
        "the agent told me 'refund approved' two weeks ago",
        "How many wrong PIN attempts before my card gets blocked?",
        "I set DATABASE_URL in the config",
        "I got the error 10 times today, so annoying",
    ],
)
def test_no_error(text: str) -> None:
    assert one(text).errors == []


# --- devices and integrations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app crashes on my iPhone 13 Pro Max", [("device", "iPhone 13 Pro Max")]),
        ("Android 14 on a Pixel 8", [("os", "Android 14"), ("device", "Pixel 8")]),
        ("updated, still the same. iphone 12, ios 17", [("device", "iPhone 12"), ("os", "iOS 17")]),
        ("Windows 11 laptop, fresh install", [("os", "Windows 11")]),
        ("macOS Sonoma update broke it", [("os", "macOS Sonoma")]),
        ("tried Chrome and Safari 17", [("browser", "Chrome"), ("browser", "Safari 17")]),
        ("I'm on app version 5.2.1", [("app", "app version 5.2.1")]),
        ("Microsoft Edge shows a blank page", [("browser", "Microsoft Edge")]),
        ("I did not order an iPhone. Not an iPhone 15 either.", [("device", "iPhone 15")]),
    ],
)
def test_devices(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(d.kind, d.value) for d in one(text).devices] == expected


@pytest.mark.parametrize(
    "text",
    [
        "we live on the edge of town",
        "we went on safari in Kenya",
        "I cleaned the windows yesterday",
        "the tap has a chrome finish",
        "be brave and try again",
    ],
)
def test_no_device(text: str) -> None:
    assert one(text).devices == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Every order from our Shopify store gets rejected", ["Shopify"]),
        ("slack integraton stoped posting, slack integration broken", ["Slack"]),
        ("we paid with Square at the market", ["Square"]),
        ("Microsoft Teams and Google Workspace both fail", ["Microsoft Teams", "Google Workspace"]),
        ("HubSpot, Salesforce, Zapier and QuickBooks", [
            "HubSpot", "Salesforce", "Zapier", "QuickBooks"]),
        ("Xero sync broken, Okta SSO failing, Jira and Zendesk too", [
            "Xero", "Okta", "Jira", "Zendesk"]),
        ("the Stripe payouts and WooCommerce orders are delayed", ["Stripe", "WooCommerce"]),
    ],
)
def test_integrations(text: str, expected: list[str]) -> None:
    assert [i.value for i in one(text).integrations] == expected


@pytest.mark.parametrize(
    "text",
    [
        "cut me some slack please",
        "we sat at a square table",
        "zoom in on the chart",
        "our teams are busy this week",
        "Square one again, nothing works.",
    ],
)
def test_no_integration(text: str) -> None:
    assert one(text).integrations == []


# --- conversations ------------------------------------------------------------------------------


def test_only_user_messages_are_read_and_indices_point_into_the_conversation() -> None:
    messages = [
        Message(role="user", content="I was double charged"),
        Message(role="assistant", content="I can see £42.50 on order 99887 from 3 March."),
        Message(role="tool", content='{"invoice": "INV-7777", "amount": "$10"}'),
        Message(role="system", content="Card ending 1234. Error 500."),
        Message(role="user", content="yes, order 12345, £19.99 on my visa ending 4242"),
    ]
    details = extract_details(messages)
    assert [(r.value, r.message) for r in details.references] == [("12345", 4)]
    assert [(a.value, a.message) for a in details.amounts] == [("19.99", 4)]
    assert [(c.value, c.brand, c.message) for c in details.card_last4] == [("4242", "visa", 4)]
    assert details.dates == []
    assert details.errors == []


def test_repeats_are_dropped_and_order_is_first_mention() -> None:
    details = extract_details([
        "order 55102 hasn't arrived, it was £30",
        "I said ORDER 55102! Also INV-2041 is wrong, and £30.00 again",
        "yesterday... no, yesterday morning",
        "order 55102, INV-2041, £12",
    ])
    assert [(r.value, r.message) for r in details.references] == [("55102", 0), ("INV-2041", 1)]
    assert [(a.value, a.message) for a in details.amounts] == [("30", 0), ("12", 3)]
    assert [d.value for d in details.dates] == ["yesterday", "yesterday morning"]


def test_sequences_of_strings_are_all_the_customer() -> None:
    as_list = extract_details(["hi", "order 88120 is late"])
    as_tuple = extract_details(("hi", "order 88120 is late"))
    assert as_list == as_tuple
    assert [(r.value, r.message) for r in as_list.references] == [("88120", 1)]


def test_a_single_string_is_one_message() -> None:
    details = extract_details("order 88120 is late")  # a str is a Sequence[str]
    assert [(r.value, r.message) for r in details.references] == [("88120", 0)]


def test_an_element_of_another_type_is_a_user_error() -> None:
    with pytest.raises(UserError, match="message 1 is a dict"):
        extract_details(["hi", {"role": "user", "content": "x"}])  # type: ignore[arg-type]


def test_no_messages_gives_empty_details() -> None:
    assert extract_details([]) == Details()


def test_details_is_frozen_and_strict() -> None:
    details = one("order 88120")
    with pytest.raises(ValidationError):
        details.references = []  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Details.model_validate({"references": [], "notes": "x"})
    with pytest.raises(ValidationError):
        Details.model_validate({"card_last4": [{"message": 0, "value": "4242424242424242"}]})


# --- missing() -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("need_state", "messages", "expected"),
    [
        ("billing", ["you charged me twice"], [
            "invoice or order number", "amount charged", "date of the charge",
            "payment method (brand and last 4 digits)"]),
        ("billing", ["order 55102, £49.99 on 3 March, visa ending 4242"], []),
        ("billing", ["INV-2041 was charged twice yesterday"], [
            "amount charged", "payment method (brand and last 4 digits)"]),
        ("access_restore", ["I'm locked out"], [
            "device, OS or browser used to sign in", "error message shown"]),
        ("access_restore", ["on my iPhone 13 it says 'account locked'"], []),
        ("incident", ["dashboard is down"], [
            "error message or code", "device, browser or app version", "when it started"]),
        ("incident", ["HTTP 500 in Chrome since 9am"], []),
        ("account_change", ["downgrade me please"], [
            "which account, plan or subscription to change (account or reference number)"]),
        ("account_change", ["change the owner on account number 7781-22"], []),
        ("how_to", ["how do I connect Shopify?"], []),
        ("how_to", ["how do I export?"], ["which product, integration or device it is about"]),
        ("policy_compliance", ["where is my data stored?"], []),
        ("other", ["thanks!"], []),
    ],
)
def test_missing(need_state: str, messages: list[str], expected: list[str]) -> None:
    assert extract_details(messages).missing(need_state) == expected


def test_missing_for_an_unknown_need_state_asks_nothing() -> None:
    assert Details().missing("shipping") == []
    assert Details().missing("billing") != []


def test_every_design_need_state_is_in_the_vocabulary() -> None:
    assert set(NEED_STATES) <= set(load_vocab().needs)


# --- hostile and huge input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x" * 100_000,
        "🔥💳" * 50_000,
        "\x00\x07\x1b[31m" * 20_000,
        "1 2 3 4 5 6 7 8 9 0 " * 5_000,
        "order " * 20_000,
        "it says '" * 12_000,
        "£" * 100_000,
        "4242 4242 4242 4242 " * 5_000,
        "\u200b" * 100_000,
        "ﷺ" * 30_000,
    ],
)
def test_huge_or_odd_input_does_not_crash_and_stays_bounded(text: str) -> None:
    details = extract_details([text, text])
    for field in Details.model_fields:
        assert len(getattr(details, field)) <= MAX_ITEMS
    assert "4242424242424242" not in details.model_dump_json()


def test_only_the_first_20000_characters_of_a_message_are_read() -> None:
    padding = "a" * (MAX_CHARS - 40)
    details = one(f"{padding} order 11111 is late. " + "b" * 200 + " order 22222 too")
    assert [r.value for r in details.references] == ["11111"]


def test_control_characters_and_zero_width_spaces_do_not_hide_details() -> None:
    details = one("or\u200bder\x00 #55102 cost €4\u200b9 on my iPh\u200bone 13 🔥")
    assert [r.value for r in details.references] == ["55102"]
    assert [(a.value, a.currency) for a in details.amounts] == [("49", "EUR")]
    assert [d.value for d in details.devices] == ["iPhone 13"]


def test_fullwidth_digits_are_read() -> None:
    assert [r.value for r in one("order ５５１０２").references] == ["55102"]


# --- the vocabulary file -------------------------------------------------------------------------


def test_an_invalid_vocabulary_names_the_file_and_the_path() -> None:
    shipped = (ROOT / "guardrail" / "_data" / "vocab" / "details.yaml").read_text("utf-8")
    broken = shipped.replace("satisfied_by: [amounts]", "satisfied_by: [amountz]", 1)
    assert broken != shipped
    with pytest.raises(RegistryError) as caught:
        parse_vocab(broken)
    assert "vocab/details.yaml:needs.billing[1].satisfied_by[0]" in str(caught.value)


def test_vocabulary_that_is_not_yaml_is_a_registry_error() -> None:
    with pytest.raises(RegistryError, match=r"vocab/details\.yaml"):
        parse_vocab("needs: [unclosed")


def test_the_shipped_vocabulary_loads() -> None:
    vocab = parse_vocab(
        (ROOT / "guardrail" / "_data" / "vocab" / "details.yaml").read_text("utf-8"))
    assert vocab.currencies.symbols["€"] == "EUR"
    assert {i.name for i in vocab.integrations} >= {"Shopify", "Slack", "Okta", "Zendesk"}


def test_the_wheel_ships_the_vocabulary() -> None:
    wheel = pytest.importorskip("hatchling.builders.wheel")
    files = {f.distribution_path for f in wheel.WheelBuilder(str(ROOT)).recurse_included_files()}
    assert "guardrail/_data/vocab/details.yaml" in files
    assert "guardrail/handoff/details/__init__.py" in files
    for module in DETAIL_MODULES:
        assert f"guardrail/handoff/details/{module}.py" in files


DETAIL_MODULES = ("amounts", "cards", "compiled", "dates", "devices", "errors", "integrations",
                  "model", "references", "text", "vocab")


@pytest.mark.parametrize("name", ["", *DETAIL_MODULES])
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(f"guardrail.handoff.details{'.' if name else ''}{name}")
    exported = module.__all__
    if module is details_module:  # ruff (RUF022) keeps the submodules' constants first
        assert list(exported) == sorted(exported)
    assert all(hasattr(module, n) for n in exported)
