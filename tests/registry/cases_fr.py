"""French rules (segments/52-lang-fr.yaml): a message alone -> handoff, and the segment it enters.

Triggers written the way French-speaking customers write (France, Belgium, Quebec, West Africa;
"ne" dropped, SMS shorthand, vous and tu), and look-alikes that must stay with the AI:
negations, hypotheticals, how-to questions about blocking a card, delivery questions.
"""

from __future__ import annotations

CASES: list[tuple[str, bool, str | None]] = [
    # requests for a person
    ("Je voudrais parler à un conseiller, s'il vous plaît.", True, "human_requested"),
    ("un humain stp", True, "human_requested"),
    ("Passez-moi quelqu'un du service client, c'est urgent.", True, "human_requested"),
    ("jveux parler a un vrai conseiller pas a une machine", True, "human_requested"),
    ("Rappelez-moi demain matin svp, je suis au 06 11 22 33 44.", True, "human_requested"),
    ("Y a quelqu'un de réel au bout du fil ?", True, "human_requested"),
    ("Chu tanné de jaser avec un robot, passe-moi un agent", True, "human_requested"),
    # billing disputes
    ("On m'a prélevé deux fois le même abonnement ce mois-ci.", True, "billing_dispute"),
    ("jai pas fait cet achat de 79 euros", True, "billing_dispute"),
    ("Je ne reconnais pas ce débit de 42 € sur mon relevé.", True, "billing_dispute"),
    ("c pas moi qui ai payé ça, je connais même pas ce site", True, "billing_dispute"),
    ("Je vais demander à ma banque d'annuler le paiement.", True, "billing_dispute"),
    ("Remboursement validé il y a un mois, toujours rien sur mon compte.", True, "billing_dispute"),
    ("Vous m'avez chargé deux fois pour la même commande.", True, "billing_dispute"),
    # takeover, fraud, lost or stolen
    ("Quelqu'un s'est connecté à mon compte depuis l'étranger, pas moi.", True, "fraud_takeover"),
    ("Mon mot de passe a été changé et je n'ai rien demandé.", True, "fraud_takeover"),
    ("On m'a volé mon portefeuille avec ma carte bancaire dedans.", True, "fraud_takeover"),
    ("J'ai perdu mon portable dans le train.", True, "fraud_takeover"),
    ("Je veux faire opposition sur ma carte, elle a disparu.", True, "fraud_takeover"),
    ("Un faux conseiller m'a fait valider un virement par téléphone.", True, "fraud_takeover"),
    # lockout
    ("Mon compte est bloqué après trop de tentatives.", True, "lockout"),
    ("Ma carte SIM demande le code PUK.", True, "lockout"),
    ("Mon compte est barré, je peux pu rentrer", True, "lockout"),
    # legal and safety
    ("Je vais saisir mon avocat et porter plainte.", True, "legal_threat"),
    ("Je vais signaler votre société à la DGCCRF.", True, "legal_threat"),
    ("J'ai envie d'en finir, je n'en peux plus.", True, "safety"),
    ("Mon ex me menace de mort depuis hier.", True, "safety"),
    # look-alikes that must not hand off
    ("Je veux parler à personne, dites-moi juste vos horaires.", False, None),
    ("Pas besoin d'un conseiller, je cherche seulement mon RIB.", False, None),
    ("Vous êtes un humain ou un robot ?", False, None),
    ("Comment je bloque ma carte dans l'appli ?", False, None),
    ("Que se passe-t-il si un jour je perds ma carte ?", False, None),
    ("Mon compte n'est pas bloqué, j'ai juste oublié mon mot de passe.", False, None),
    ("J'ai pas été débité deux fois, je veux juste ma facture.", False, None),
    ("Je reconnais bien ce prélèvement, c'est quoi les frais de 2 € ?", False, None),
    ("Ma commande n'est toujours pas arrivée, elle est où ?", False, None),
    ("Comment on conteste un prélèvement en général ?", False, None),
    ("Ma carte n'est ni perdue ni volée, je veux changer mon code.", False, None),
    ("J'ai renvoyé le colis hier, sous combien de temps je serai remboursé ?", False, None),
    ("Mon appli reste bloquée sur l'écran de chargement.", False, None),
    ("Il y a des frais si je paye en plusieurs fois ?", False, None),
    ("J'ai envie d'en finir avec cet abonnement, je veux résilier.", False, None),
    ("Conformément au RGPD, je demande l'effacement de mes données.", False, None),
    ("Putain votre appli est nulle, ça rame tout le temps.", False, None),
]
