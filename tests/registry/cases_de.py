"""German rules (segments/54-lang-de.yaml): a message alone -> handoff, and the segment it enters.

Triggers written the way German-speaking customers write (Germany, Austria, Switzerland; Sie and
du; umlauts, "ae/oe/ue" and "ß"/"ss" spellings; verb-final clauses and separable verbs; Denglisch),
and look-alikes that must stay with the AI: negations, hypotheticals, how-to questions about
blocking a card, delivery and refund-timeline questions.
"""

from __future__ import annotations

CASES: list[tuple[str, bool, str | None]] = [
    # requests for a person
    ("Ich hätte gerne einen Mitarbeiter am Telefon.", True, "human_requested"),
    ("Kannst du mich bitte mit einem echten Menschen verbinden?", True, "human_requested"),
    ("Verbinden Sie mich mit Ihrem Kundenservice, bitte.", True, "human_requested"),
    ("Mitarbeiter bitte!", True, "human_requested"),
    ("Rufen Sie mich bitte morgen früh zurück.", True, "human_requested"),
    ("Gibt es bei euch überhaupt noch einen Menschen?", True, "human_requested"),
    ("ich will keinen chatbot mehr sondern nen menschen", True, "human_requested"),
    ("Ich bitte um einen telefonischen Rückruf.", True, "human_requested"),
    # billing disputes
    ("Diese Abbuchung über 34,99 € kenne ich nicht.", True, "billing_dispute"),
    ("Die Lastschrift vom 12. habe ich nie genehmigt.", True, "billing_dispute"),
    ("Mir wurde das Abo dreimal berechnet.", True, "billing_dispute"),
    ("Auf dem Kontoauszug steht zweimal derselbe Betrag von Zalando.", True, "billing_dispute"),
    ("Ich lasse das Geld von meiner Bank zurückholen.", True, "billing_dispute"),
    ("Die Rückerstattung wurde vor einem Monat bestätigt, angekommen ist bis heute nichts.", True,
     "billing_dispute"),
    ("Ich warte seit sechs Wochen auf mein Geld für die Retoure.", True, "billing_dispute"),
    ("Ich habe nichts bestellt, trotzdem wurden 59 Franken belastet.", True, "billing_dispute"),
    ("Ueberweisung an eine Firma, die ich nicht kenne, wurde einfach so ausgefuehrt?!", True,
     "billing_dispute"),
    # "Mai" is a negator in the shared lexicon (Italian "mai"): the dispute still counts
    ("Im Mai wurde mir doppelt abgebucht.", True, "billing_dispute"),
    # takeover, fraud, lost or stolen
    ("Jemand hat sich in mein Kundenkonto eingeloggt und die Lieferadresse geändert.", True,
     "fraud_takeover"),
    ("Ich glaube, ich wurde gephisht, ich habe meine Zugangsdaten auf einer falschen Seite "
     "eingegeben.", True, "fraud_takeover"),
    ("Meine Geldbörse ist weg, da waren Ausweis und Kreditkarte drin.", True, "fraud_takeover"),
    ("Mein Handy wurde mir gestern in der U-Bahn geklaut.", True, "fraud_takeover"),
    ("Sperren Sie bitte sofort meine Kreditkarte!", True, "fraud_takeover"),
    ("Mein Account wurde gehackt, was soll ich tun?", True, "fraud_takeover"),
    # lockout
    ("Mein Konto wurde nach zu vielen Fehlversuchen gesperrt.", True, "lockout"),
    (
        "Die Bankomatkarte ist blockiert, ich habe den PIN zu oft falsch eingegeben.",
        True, "lockout",
    ),
    ("Bitte entsperren Sie meinen Zugang zum Kundenportal.", True, "lockout"),
    # legal and safety
    ("Ich werde Sie verklagen, wenn das Geld nicht zurückkommt.", True, "legal_threat"),
    ("Ich schalte die Verbraucherzentrale ein.", True, "legal_threat"),
    ("Ich will mir das Leben nehmen.", True, "safety"),
    ("Der Nachbar hat ein Messer und bedroht mich.", True, "safety"),
    # look-alikes that must not hand off
    ("Ich brauche keinen Mitarbeiter, nur die Öffnungszeiten.", False, None),
    ("Sind Sie ein Mensch oder eine KI?", False, None),
    ("Wie sperre ich meine Karte vorübergehend in der App?", False, None),
    ("Was passiert, wenn meine Karte mal gestohlen wird?", False, None),
    ("Mein Konto ist nicht gesperrt, ich habe nur das Passwort vergessen.", False, None),
    ("Ich wurde nicht doppelt belastet, ich brauche nur eine Rechnungskopie.", False, None),
    ("Die Abbuchung kenne ich, aber was bedeutet die Servicegebühr?", False, None),
    ("Meine Bestellung ist noch nicht da, wo ist sie?", False, None),
    ("Wie funktioniert eine Rückbuchung eigentlich?", False, None),
    ("Meine Karte ist weder verloren noch gestohlen, ich möchte nur die PIN ändern.", False, None),
    ("Ich habe das Paket gestern zurückgeschickt, wann bekomme ich die Erstattung normalerweise?",
     False, None),
    ("Die App hängt beim Laden, kommt nur ein weißer Bildschirm.", False, None),
    ("Kann ich die Rechnung in Raten bezahlen?", False, None),
    (
        "Ich möchte meinen Vertrag kündigen, das bringt mich sonst noch um den Verstand.",
        False, None,
    ),
    ("Gemäß DSGVO bitte ich um Löschung meiner Daten.", False, None),
    ("Verdammt, eure App ist echt der letzte Mist.", False, None),
    ("Im Mai wurde mir nicht doppelt abgebucht, ich brauche nur den Kontoauszug.", False, None),
]
