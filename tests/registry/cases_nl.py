"""Dutch rules (segments/55-lang-nl.yaml): a message alone -> handoff, and the segment it enters.

Triggers written the way Dutch and Flemish customers write (u and je/jij; "ff", "aub", "mn";
pinpas and bankkaart, mobiel and gsm; participle-last clauses), and look-alikes that must stay
with the AI: negations, hypotheticals, how-to questions about blocking a card, delivery and
refund-timeline questions.
"""

from __future__ import annotations

CASES: list[tuple[str, bool, str | None]] = [
    # requests for a person
    ("Mag ik een medewerker spreken?", True, "human_requested"),
    ("Kunt u mij doorverbinden met de klantenservice?", True, "human_requested"),
    ("Ik wil met een echt mens praten, niet met een robot.", True, "human_requested"),
    ("mens aub", True, "human_requested"),
    ("Bel me vanmiddag even terug alsjeblieft.", True, "human_requested"),
    ("Is er nog een medewerker online?", True, "human_requested"),
    ("Kan ik iemand van de klantendienst aan de lijn krijgen?", True, "human_requested"),
    ("Ik wil dit escaleren naar een leidinggevende.", True, "human_requested"),
    # billing disputes
    ("Deze afschrijving van 34,99 ken ik niet.", True, "billing_dispute"),
    ("Die incasso van de 12e heb ik nooit goedgekeurd.", True, "billing_dispute"),
    ("Het abonnement is drie keer afgeschreven deze maand.", True, "billing_dispute"),
    ("Op mijn afschrift staat twee keer hetzelfde bedrag van Zalando.", True, "billing_dispute"),
    ("Ik laat de betaling via mijn bank terugdraaien.", True, "billing_dispute"),
    ("De terugbetaling is een maand geleden bevestigd, maar er is nog niks binnen.", True,
     "billing_dispute"),
    ("Ik wacht al zes weken op mijn geld voor de retour.", True, "billing_dispute"),
    ("Ik heb niks besteld en toch is er 59 euro aangerekend.", True, "billing_dispute"),
    ("Er is geld overgemaakt naar een bedrijf dat ik niet ken?!", True, "billing_dispute"),
    # "pas" (the card) is a negator in the shared lexicon (French "pas"): the dispute still counts
    ("Met mijn pas is twee keer afgeschreven.", True, "billing_dispute"),
    ("Op mijn pas staat een betaling die ik niet herken.", True, "billing_dispute"),
    # takeover, fraud, lost or stolen
    ("Iemand heeft ingelogd op mijn account en het bezorgadres gewijzigd.", True, "fraud_takeover"),
    ("Ik denk dat ik gephisht ben, ik heb mijn inloggegevens op een nepsite ingevuld.", True,
     "fraud_takeover"),
    ("Mijn portemonnee is weg, mijn id-kaart en creditcard zaten erin.", True, "fraud_takeover"),
    ("Mijn gsm is gisteren gestolen op de tram.", True, "fraud_takeover"),
    ("Blokkeer alstublieft meteen mijn creditcard!", True, "fraud_takeover"),
    ("Mijn account is gehackt, wat moet ik doen?", True, "fraud_takeover"),
    # lockout
    ("Mijn rekening is geblokkeerd na te veel foute pogingen.", True, "lockout"),
    (
        "Mijn bankkaart is geblokkeerd, ik heb de pincode te vaak verkeerd ingevoerd.",
        True, "lockout",
    ),
    ("Kunt u mijn account deblokkeren?", True, "lockout"),
    # legal and safety
    ("Ik ga jullie aanklagen als het geld niet terugkomt.", True, "legal_threat"),
    ("Ik stap naar de Consumentenbond en de ACM.", True, "legal_threat"),
    ("Ik wil er een einde aan maken.", True, "safety"),
    ("Mijn buurman heeft een mes en bedreigt me.", True, "safety"),
    # look-alikes that must not hand off
    ("Ik heb geen medewerker nodig, alleen de openingstijden.", False, None),
    ("Bent u een mens of een AI?", False, None),
    ("Hoe blokkeer ik mijn pas tijdelijk in de app?", False, None),
    ("Wat gebeurt er als mijn pas ooit gestolen wordt?", False, None),
    ("Mijn account is niet geblokkeerd, ik ben alleen het wachtwoord vergeten.", False, None),
    ("Er is niet dubbel afgeschreven, ik wil alleen een kopie van de factuur.", False, None),
    ("Die afschrijving herken ik wel, maar wat zijn die servicekosten?", False, None),
    ("Mijn bestelling is er nog niet, waar is hij?", False, None),
    ("Hoe werkt een terugboeking eigenlijk?", False, None),
    ("Mijn pas is niet kwijt en niet gestolen, ik wil alleen mijn pincode wijzigen.", False, None),
    ("Ik heb het pakket gisteren teruggestuurd, wanneer krijg ik normaal mijn geld terug?", False,
     None),
    ("De app blijft hangen op een wit scherm.", False, None),
    ("Kan ik de factuur in termijnen betalen?", False, None),
    ("Ik wil mijn abonnement opzeggen, ik word er gek van.", False, None),
    ("Volgens de AVG wil ik dat jullie mijn gegevens verwijderen.", False, None),
    ("Wat een kutapp is dit zeg.", False, None),
    ("Met mijn pas is niet dubbel afgeschreven, ik wil alleen een overzicht.", False, None),
]
