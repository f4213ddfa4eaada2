"""`extract_details` on customers writing in Spanish, Portuguese, French, Italian, German, Dutch
and Hindi (Devanagari and Hinglish).

Each positive case pins the reference (kind, value), the amount (value, currency) and the date
(as written, ISO where it is absolute) of one realistic message, typos and missing accents
included; each look-alike pins that a count ("3 pedidos", "2 Bestellungen") is not an id.
The last tests pin that the words live in the vocabulary file, not in the Python code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from guardrail.errors import RegistryError
from guardrail.handoff.details import Details, extract_details
from guardrail.handoff.details.vocab import load_vocab, parse_vocab

ROOT = Path(__file__).resolve().parents[2]
VOCAB = ROOT / "guardrail" / "_data" / "vocab" / "details.yaml"
DETAILS_DIR = ROOT / "guardrail" / "handoff" / "details"

Ref = tuple[str, str]
Money = tuple[str, str | None]
When = tuple[str, str | None]


def one(text: str) -> Details:
    return extract_details([text])


def check(text: str, refs: list[Ref], amounts: list[Money], dates: list[When]) -> None:
    details = one(text)
    assert [(r.kind, r.value) for r in details.references] == refs
    assert [(a.value, a.currency) for a in details.amounts] == amounts
    assert [(d.value, d.iso.isoformat() if d.iso else None) for d in details.dates] == dates


CASES: dict[str, list[tuple[str, list[Ref], list[Money], list[When]]]] = {
    "es": [
        ("Me cobraron dos veces 49,90 € el 3 de marzo, pedido nº 48213",
         [("order", "48213")], [("49.90", "EUR")], [("3 de marzo", None)]),
        ("buenas, me cobraron 2 veces 35,50€ el 3 de marzo de 2025, mi numero de pedido es 48213",
         [("order", "48213")], [("35.50", "EUR")], [("3 de marzo de 2025", "2025-03-03")]),
        ("hola, la factura FAC-2025-0042 del 15 de enero tiene un cargo de 120 dolares q no "
         "reconozco", [("invoice", "FAC-2025-0042")], [("120", "USD")], [("15 de enero", None)]),
        ("mi reserva es localizador XK9P2Q para el 2 de abril, me cobraron 350 pesos de mas",
         [("booking", "XK9P2Q")], [("350", None)], [("2 de abril", None)]),
        ("transaccion 7781234 del 1 de dic. 2024, me descontaron 1.250,00 €",
         [("transaction", "7781234")], [("1250.00", "EUR")], [("1 de dic. 2024", "2024-12-01")]),
        ("Número de pedido 123, llegó roto ayer",
         [("order", "123")], [], [("ayer", None)]),
    ],
    "pt": [
        ("Pix de R$ 120,00 no dia 12 de fevereiro, pedido 9921",
         [("order", "9921")], [("120.00", "BRL")], [("12 de fevereiro", None)]),
        ("minha fatura nº 55512 de 5 de marco de 2025 veio com 89,90 reais a mais",
         [("invoice", "55512")], [("89.90", "BRL")], [("5 de marco de 2025", "2025-03-05")]),
        ("abri o protocolo 2025123456 ontem e ninguem respondeu",
         [("ticket", "2025123456")], [], [("ontem", None)]),
        ("o pedido número 3381 chegou faltando item, paguei R$ 249,90 no dia 1º de março de 2025",
         [("order", "3381")], [("249.90", "BRL")], [("1o de março de 2025", "2025-03-01")]),
        ("transação 88120455 de 300 reais em 2 de setembro de 2024, não reconheço",
         [("transaction", "88120455")], [("300", "BRL")],
         [("2 de setembro de 2024", "2024-09-02")]),
    ],
    "fr": [
        ("on m'a prélevé deux fois 49,90 € le 3 mars, commande n° 48213",
         [("order", "48213")], [("49.90", "EUR")], [("3 mars", None)]),
        ("Bonjour, facture n° FA-2024-118 du 3 mars 2025, prélevée deux fois",
         [("invoice", "FA-2024-118")], [], [("3 mars 2025", "2025-03-03")]),
        ("ma reservation numero XK9P2Q du 1er avril a ete annulee",
         [("booking", "XK9P2Q")], [], [("1er avril", None)]),
        ("un virement de 2 000 € est parti le 14 fevrier 2025, transaction 99812345",
         [("transaction", "99812345")], [("2000", "EUR")], [("14 fevrier 2025", "2025-02-14")]),
        ("numéro de client 7781234, débité de 19,99 euros ce matin",
         [("reference", "7781234")], [("19.99", "EUR")], [("ce matin", None)]),
    ],
    "it": [
        ("fattura n. 2024/118 del 5 aprile",
         [("invoice", "2024/118")], [], [("5 aprile", None)]),
        ("Buongiorno, ordine n. 48213 del 5 aprile 2025, addebitati 49,90 € due volte",
         [("order", "48213")], [("49.90", "EUR")], [("5 aprile 2025", "2025-04-05")]),
        ("ho la prenotazione 7HG2K1 per il 3 giugno, pagato 120 euro",
         [("booking", "7HG2K1")], [("120", "EUR")], [("3 giugno", None)]),
        ("numero d'ordine 48213, addebito di 1.299,00 € il 1° marzo 2025",
         [("order", "48213")], [("1299.00", "EUR")], [("1° marzo 2025", "2025-03-01")]),
        ("transazione numero 99812345 di ieri sera, 35 euro",
         [("transaction", "99812345")], [("35", "EUR")], [("ieri sera", None)]),
    ],
    "de": [
        ("Doppelt abgebucht: 49,90 € am 3. März, Bestellnummer 48213",
         [("order", "48213")], [("49.90", "EUR")], [("3. März", None)]),
        ("Guten Tag, Rechnung Nr. 2024-118 vom 3. März 2025 wurde doppelt abgebucht",
         [("invoice", "2024-118")], [], [("3. März 2025", "2025-03-03")]),
        ("meine Buchungsnummer ist XK9P2Q, Reise am 12. Mai 2025, 1.299,00 EUR",
         [("booking", "XK9P2Q")], [("1299.00", "EUR")], [("12. Mai 2025", "2025-05-12")]),
        ("Bestellung 48213 vom 3 maerz, Kundennummer 7781234",
         [("order", "48213"), ("reference", "7781234")], [], [("3 maerz", None)]),
        ("Rechnungsnr. 2024-0815 seit gestern offen, 89 Euro",
         [("invoice", "2024-0815")], [("89", "EUR")], [("gestern", None)]),
    ],
    "nl": [
        ("bestelling 48213 van 3 maart",
         [("order", "48213")], [], [("3 maart", None)]),
        ("Hallo, bestelling 48213 van 3 maart is dubbel afgeschreven, 49,90 euro",
         [("order", "48213")], [("49.90", "EUR")], [("3 maart", None)]),
        ("factuurnummer 2025-0042 van 12 februari 2025",
         [("invoice", "2025-0042")], [], [("12 februari 2025", "2025-02-12")]),
        ("mijn boekingsnummer is XK9P2Q, vertrek 3 mei 2025, 350 euro betaald",
         [("booking", "XK9P2Q")], [("350", "EUR")], [("3 mei 2025", "2025-05-03")]),
        ("bestelnummer 77812 van 1 okt. 2024, nog steeds niet geleverd",
         [("order", "77812")], [], [("1 okt. 2024", "2024-10-01")]),
    ],
    "hi": [
        ("mera order 48213 ka 499 rupaye do baar kat gaya 3 march ko",
         [("order", "48213")], [("499", "INR")], [("3 march", None)]),
        ("bhai txn id 412877301 se ₹2,500 kat gaye 5 april 2025 ko",
         [("transaction", "412877301")], [("2500", "INR")], [("5 april 2025", "2025-04-05")]),
        ("invoice no 7781 ka Rs. 1,200 double charge hua kal",
         [("invoice", "7781")], [("1200", "INR")], [("kal", None)]),
        ("booking id XK9P2Q cancel hui 12 may 2025 ko, refund 3500 rupees nahi aaya",
         [("booking", "XK9P2Q")], [("3500", "INR")], [("12 may 2025", "2025-05-12")]),
        ("मेरा ऑर्डर नंबर 48213 है, 3 मार्च 2025 को 499 रुपये दो बार कटे",
         [("order", "48213")], [("499", "INR")], [("3 मार्च 2025", "2025-03-03")]),
    ],
}


@pytest.mark.parametrize(
    ("text", "refs", "amounts", "dates"),
    [case for cases in CASES.values() for case in cases],
    ids=[f"{lang}-{i}" for lang, cases in CASES.items() for i in range(len(cases))],
)
def test_message(text: str, refs: list[Ref], amounts: list[Money], dates: list[When]) -> None:
    check(text, refs, amounts, dates)


def test_every_language_has_cases() -> None:
    assert set(CASES) == {"es", "pt", "fr", "it", "de", "nl", "hi"}
    assert all(len(cases) >= 5 for cases in CASES.values())


@pytest.mark.parametrize(
    "text",
    [
        "tengo 3 pedidos pendientes",
        "hice 2 pedidos y 3 facturas me llegaron repetidas",
        "pedido de 300 unidades para la tienda",
        "mi pedido 2024 no llego",
        "fiz 3 pedidos semana passada",
        "j'ai passé 3 commandes ce mois",
        "commande 250 articles pour le magasin",
        "ho fatto 2 ordini ieri",
        "Ich habe 2 Bestellungen offen, seit 3 Wochen",
        "Bestellung 250 Stück Flyer",
        "ik heb 2 bestellingen geplaatst",
        "bestelling 300 stuks",
        "maine 2 order kiye the",
        "order 3 baar cancel hua",
        "la reserva es para 4 personas",
    ],
)
def test_counts_are_not_references(text: str) -> None:
    assert one(text).references == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seit Mai geht nichts", [("Mai", None)]),
        ("en mai 2025, commande 48213", [("mai 2025", None)]),
        ("Anfang März kam die Rechnung", [("Anfang März", None)]),
        ("desde marzo me cobran de más", [("marzo", None)]),
        ("el viernes pasado me cobraron dos veces", [("viernes pasado", None)]),
        ("Letzten Donnerstag zweimal abgebucht", [("Letzten Donnerstag", None)]),
        ("vorige week en vandaag weer", [("vorige week", None), ("vandaag", None)]),
        ("कल रात से इंटरनेट बंद है", [("कल रात", None)]),
        ("le 12 juil. 2024", [("12 juil. 2024", "2024-07-12")]),
        ("il 31 dicembre 2024", [("31 dicembre 2024", "2024-12-31")]),
        ("am 1. Jänner 2025", [("1. Jänner 2025", "2025-01-01")]),
        ("me cobraron hace 3 días", [("hace 3 días", None)]),
        ("il y a deux jours j'ai payé", [("il y a deux jours", None)]),
        ("ho pagato 3 giorni fa", [("3 giorni fa", None)]),
        ("vor einem Tag abgebucht", [("vor einem Tag", None)]),
        ("3 dagen geleden betaald", [("3 dagen geleden", None)]),
        ("2 din pehle paise kat gaye", [("2 din pehle", None)]),
    ],
)
def test_dates(text: str, expected: list[When]) -> None:
    found = [(d.value, d.iso.isoformat() if d.iso else None) for d in one(text).dates]
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "mai 3 baar call kar chuka hu",  # Hinglish "mai" is "I", not May
        "mai 2024 se customer hu",
        "ho parlato da Marco",  # a name, not "março" without its cedilla
        "कला की क्लास",  # "art" is not "कल" (yesterday/tomorrow)
        "ik ben hier al een uur",  # Dutch "hier" is "here", not French "yesterday"
        "3 out of 5 times",
        "I have 2. May I ask something?",
        "Guten Morgen!",  # "good morning", not "tomorrow"
        "my iPad 9 gen won't charge",
        "5 lug nuts missing from the kit",
        "ha 3 giorni di ritardo",  # "it is 3 days late", not "3 days ago"
    ],
)
def test_no_date(text: str) -> None:
    assert one(text).dates == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("49,90 €", [("49.90", "EUR")]),
        ("1.299,00 EUR", [("1299.00", "EUR")]),
        ("2 000 €", [("2000", "EUR")]),
        ("1 250,50 €", [("1250.50", "EUR")]),
        ("4,999 रुपये", [("4999", "INR")]),
        ("500 rupay kat gaye", [("500", "INR")]),
        ("89 dólares", [("89", "USD")]),
        ("1.200.000 pesos", [("1200000", None)]),
        ("commande 4471 100 €", [("100", "EUR")]),
        # A bare decimal beside a money word of the language; a bare number before a Hinglish
        # or Hindi money verb.
        ("Quiero disputar este cargo de 59,90, el curso nunca estuvo disponible",
         [("59.90", None)]),
        ("tem uma cobrança estranha de 39,90 no meu cartão", [("39.90", None)]),
        ("Y a 2 prélèvements identiques de 45,60 sur mon relevé", [("45.60", None)]),
        ("Ci sono 2 addebiti identici da 45,60 sull'estratto conto", [("45.60", None)]),
        ("Was ist das für eine Lastschrift über 12,90?", [("12.90", None)]),
        ("er staan 3 aankopen van 19,99 op mijn kaart", [("19.99", None)]),
        ("mere khate se 2 baar 899 kate hai same din", [("899", None)]),
        ("UPI से दुकानदार को 850 भेजे, मेरे पैसे कट गए", [("850", None)]),
    ],
)
def test_amounts(text: str, expected: list[Money]) -> None:
    assert [(a.value, a.currency) for a in one(text).amounts] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hiermit widerspreche ich der Lastschrift vom 03.11.",  # a date, not 3.11
        "tengo 3 pedidos pendientes de pago",
        "2 Bestellungen, beide bezahlt",
        "la versión 2,10 de la app no carga el pago",
        "mai 3 baar call kar chuka hu",
    ],
)
def test_no_amount(text: str) -> None:
    assert one(text).amounts == []


# --- the vocabulary -----------------------------------------------------------------------------


def test_the_vocabulary_validates_and_holds_every_language() -> None:
    vocab = parse_vocab(VOCAB.read_text("utf-8"))
    assert set(vocab.dates.months) == {"en", "es", "pt", "fr", "it", "de", "nl", "hi"}
    months = {w: n for names in vocab.dates.months.values() for w, n in names.items()}
    assert months["marzo"] == months["märz"] == months["maart"] == months["मार्च"] == 3
    words = {k.word for k in vocab.references.keywords}
    assert {"pedido", "factura", "fatura", "facture", "fattura", "rechnung", "factuur",
            "commande", "ordine", "bestellung", "bestelling", "bestellnummer",
            "factuurnummer"} <= words
    assert {"n°", "n.", "número", "numero", "numéro", "nummer", "nr."} <= set(
        vocab.references.markers.explicit)
    assert vocab.currencies.words["reais"] == "BRL"
    assert vocab.currencies.words["pesos"] is None
    assert vocab.currencies.words["rupaye"] == "INR"


def test_month_names_live_in_the_vocabulary_not_in_the_code() -> None:
    code = "\n".join(p.read_text("utf-8") for p in sorted(DETAILS_DIR.glob("*.py")))
    # As a string literal ("january": 1), the way the month table used to be written.
    for word in ("january", "jan", "sept", "december", "marzo", "märz", "maart", "pedido",
                 "bestellnummer", "orders", "nummer", "numéro", "veces"):
        assert not re.search(rf"[\"']{word}[\"']", code, re.IGNORECASE), word
    assert "_MONTH_NUMBERS" not in code
    assert "_COUNT_NOUNS" not in code
    assert load_vocab().dates.months["en"]["january"] == 1


def test_a_word_naming_two_months_is_a_registry_error() -> None:
    shipped = VOCAB.read_text("utf-8")
    broken = shipped.replace("agosto: 8,", "agosto: 9,", 1)
    assert broken != shipped
    with pytest.raises(RegistryError, match=r"vocab/details\.yaml.*dates"):
        parse_vocab(broken)
    assert "mei" in load_vocab().dates.day_or_lead_only


def test_a_month_number_out_of_range_is_a_registry_error() -> None:
    broken = VOCAB.read_text("utf-8").replace("dezember: 12,", "dezember: 13,", 1)
    with pytest.raises(RegistryError, match=r"months\.de\.dezember"):
        parse_vocab(broken)
