"""English rules (the default language): a message hands off (and enters the expected segment)
or does not.

Non-native English from India, Nigeria, the Philippines, Spanish and German speakers, card-desk
shorthand and voice-style rambles; the look-alikes that must not hand off are negations,
hypotheticals ("what if my card gets stolen"), how-to questions, delivery questions, plain
refund requests and problems already solved.
"""

from __future__ import annotations

CASES: list[tuple[str, bool, str | None]] = [
    # --- requests for a person --------------------------------------------------------------
    ("Please give me a callback on my registered number regarding the bill", True,
     "human_requested"),
    ("kindly arrange a call back from your side", True, "human_requested"),
    ("honestly i just want someone, a person, to pick up and sort it", True, "human_requested"),
    # --- billing disputes -------------------------------------------------------------------
    ("you people promised to return my money since last month, nothing till now", True,
     "billing_dispute"),
    ("I cancelled and still you keep deducting every month", True, "billing_dispute"),
    ("they keep deducting 500 every month from my salary account", True, "billing_dispute"),
    ("there is this 29.99 from some app store and i have never bought anything there", True,
     "billing_dispute"),
    ("some error on my credit card bill, need the charge removed", True, "billing_dispute"),
    # --- takeover, fraud, lost or stolen -----------------------------------------------------
    ("my sim suddenly no service and then i got bank alerts, i think sim swap", True,
     "fraud_takeover"),
    ("pls block my debit card immediately", True, "fraud_takeover"),
    ("my card was theft please block the card", True, "fraud_takeover"),
    ("i want to report my credit card loss", True, "fraud_takeover"),
    ("my card lost sir", True, "fraud_takeover"),
    ("my card got stolen. what if they use it online?", True, "fraud_takeover"),
    # --- lockout ------------------------------------------------------------------------------
    ("why is there a hold on my account", True, "lockout"),
    ("can you unlock my bank account", True, "lockout"),
    # --- legal ----------------------------------------------------------------------------------
    ("If this is not fixed I will file a case against your company", True, "legal_threat"),
    ("I will take you to consumer court for this", True, "legal_threat"),
    # --- look-alikes that must not hand off ---------------------------------------------------
    ("what if my card gets stolen while travelling", False, None),
    ("what to do if I lose my phone, will my wallet app be safe", False, None),
    ("what if my account is locked, can i still pay bills", False, None),
    ("i want to return the shoes and get refund, size not fitting", False, None),
    ("the double charge issue was solved last week, thank you", False, None),
    ("how do i dispute a charge with a merchant in general", False, None),
    ("will you keep deducting after i cancel?", False, None),
    ("I'm not going to file a complaint against you, just fix it", False, None),
    ("how do I file a complaint against a seller on your platform", False, None),
    ("is there a callback option in the app", False, None),
    ("we want someone to explain the pricing page", False, None),
    ("how do I block my card in the app?", False, None),
    # --- round two, later kinds ---------------------------------------------------------------
    ("sir my card is swallowed by atm", True, "lockout"),
    ("amount deducted but recharge not done", True, "billing_dispute"),
    ("unknown person withdraw money from my account", True, "billing_dispute"),
    ("they charged me extra 200 naira for nothing", True, "billing_dispute"),
    ("two gift cards bought last night that I definitely never bought", True, "billing_dispute"),
    ("Gas cylinder wey una deliver dey leak, the whole compound dey smell", True, "safety"),
    ("can a human moderator check my report? the bot closed it", True, "human_requested"),
    ("I want to complain to someone higher", True, "human_requested"),
    ("How would I report a gas leak if I ever smelled one? Just saving the number.", False, None),
    ("r u a bot or a real person lol", False, None),
    ("the shoes I bought last month that I never wore, can I return them", False, None),
    ("can a human read these reviews before they get published? asking for our shop", False,
     None),
    ("how to unblock my card if it gets blocked", False, None),
    ("recharge failed and money not deducted, ok good", False, None),
    # third round (families fixed on the retired held-out lines, 2026-12-07)
    ("my card was theft yesterday pls block immediately", True, "fraud_takeover"),
    ("i will tell my bank to reverse the payment and get my money back", True, "billing_dispute"),
    ("someone did sim swap on my number, no network since morning", True, "fraud_takeover"),
    ("sometimes i feel my family is better off without me", True, None),
    ("no bro just give me human", True, "human_requested"),
    ("what is a chargeback", False, None),
    ("it was locked yesterday but it's fine now, thanks", False, None),
    ("suppose someday my card is stolen what do i do", False, None),
]
