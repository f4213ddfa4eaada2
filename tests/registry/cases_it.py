"""Italian rules (segments/53-lang-it.yaml): a message alone -> handoff, and the segment it enters.

Triggers written the way Italian customers write (Lei and tu, "nn", "xke", "cmq", missing
accents), and look-alikes that must stay with the AI: negations, hypotheticals, how-to
questions about blocking a card, delivery questions.
"""

from __future__ import annotations

CASES: list[tuple[str, bool, str | None]] = [
    # requests for a person
    ("Vorrei parlare con un operatore, grazie.", True, "human_requested"),
    ("operatore per favore", True, "human_requested"),
    ("Mi passi una persona vera, non un bot.", True, "human_requested"),
    ("voglio parlare cn qlc del servizio clienti", True, "human_requested"),
    ("Mi fate richiamare domani mattina?", True, "human_requested"),
    ("C'è qualcuno in carne e ossa?", True, "human_requested"),
    ("Potrebbe mettermi in contatto con un consulente?", True, "human_requested"),
    # billing disputes
    ("Mi avete addebitato due volte la stessa ricarica.", True, "billing_dispute"),
    ("nn ho fatto io questo acquisto", True, "billing_dispute"),
    ("Non riconosco questo addebito di 39 euro.", True, "billing_dispute"),
    ("C'è un pagamento che non ho mai autorizzato.", True, "billing_dispute"),
    ("Chiedo alla banca di stornare il pagamento.", True, "billing_dispute"),
    ("Il rimborso approvato un mese fa non è ancora arrivato.", True, "billing_dispute"),
    ("Vorrei disconoscere un addebito sulla carta.", True, "billing_dispute"),
    # takeover, fraud, lost or stolen
    ("Qualcuno è entrato nel mio account, non ero io.", True, "fraud_takeover"),
    ("mi hanno hackerato l'account", True, "fraud_takeover"),
    ("Mi hanno rubato il portafoglio con la carta dentro.", True, "fraud_takeover"),
    ("Ho perso il cellulare in treno.", True, "fraud_takeover"),
    ("nn trovo piu il bancomat", True, "fraud_takeover"),
    ("Un finto operatore della banca mi ha fatto fare un bonifico.", True, "fraud_takeover"),
    # lockout
    ("Il mio account è stato bloccato dopo troppi tentativi.", True, "lockout"),
    ("la carta e stata bloccata, xke?", True, "lockout"),
    ("La SIM mi chiede il codice PUK.", True, "lockout"),
    # legal and safety
    ("Mi rivolgerò al mio avvocato.", True, "legal_threat"),
    ("Faccio ricorso all'AGCOM.", True, "legal_threat"),
    ("Voglio farla finita, non ce la faccio più.", True, "safety"),
    ("Il mio compagno mi picchia.", True, "safety"),
    # look-alikes that must not hand off
    ("Non ho bisogno di parlare con nessuno, mi dica solo gli orari.", False, None),
    ("Non voglio essere richiamato, basta una mail.", False, None),
    ("Sei un operatore vero o un bot?", False, None),
    ("Come faccio a bloccare la carta dall'app?", False, None),
    ("Cosa succede se un giorno perdo la carta?", False, None),
    ("Il conto non è bloccato, ho solo dimenticato la password.", False, None),
    ("Non mi avete addebitato niente due volte, chiedo solo la fattura.", False, None),
    ("L'addebito lo riconosco, cosa sono i 2 euro di commissione?", False, None),
    ("Il mio ordine non è ancora arrivato, dov'è?", False, None),
    ("In generale come si contesta un addebito?", False, None),
    ("La carta non è né persa né rubata, voglio cambiare il PIN.", False, None),
    ("Ho spedito il reso ieri, fra quanto arriva il rimborso?", False, None),
    ("L'app resta bloccata sulla schermata di caricamento.", False, None),
    ("Voglio farla finita con questa storia, disdico l'abbonamento.", False, None),
    ("Per quanto tempo tenete i miei dati dopo la chiusura del conto?", False, None),
    ("Ho pagato cento euro di bolletta, mi mandate la ricevuta?", False, None),
    ("Che schifo di app, è lentissima!", False, None),
]
