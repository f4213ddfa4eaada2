from .common import R

K = "none"
R(K, "incident", False, "ecommerce", "fragment", "502 on checkout",
  "site down for me, 502 on checkout")
R(K, "incident", False, "saas", "question", "EU region outage?",
  "Is there an outage? Nothing's loading in the EU region.")
R(K, "incident", False, "saas", "perspective", "payments failing for all customers",
  "Payments are failing for all our customers since 9am, error code PG-402.")
R(K, "incident", False, "telecom", "regional", "no internet since storm",
  "No internet since the storm last night, postcode BS3.")
R(K, "incident", False, "banking", "paraphrase", "app crashes on cards tab",
  "The app crashes as soon as I open the cards tab.")
R(K, "incident", False, "ecommerce", "paraphrase", "anger, nothing loads",
  "Your website is absolutely useless today, nothing loads and I'm furious.")
R(K, "how_to", False, "utilities", "story", "on hold, livid, but how-to",
  "I've been on hold for 40 minutes this morning and I'm livid. Anyway, forget the phone. How do I change my tariff online?")
R(K, "account_change", False, "saas", "fragment", "cancel subscription",
  "Cancel my subscription please.")
R(K, "account_change", False, "saas", "perspective", "downgrade at renewal",
  "Downgrade us from Business to Team at the next renewal, please.")
R(K, "account_change", False, "saas", "slang", "kill my subscription",
  "I want to kill my subscription, it's not for me anymore.")
R(K, "account_change", False, "ecommerce", "paraphrase", "delete all data",
  "Please delete all my data, I'm leaving.")
R(K, "account_change", False, "utilities", "paraphrase", "change address",
  "Change my address to 14 Elm Road, please.")
R(K, "other", False, "general", "fragment", "greeting",
  "Hi!")
R(K, "other", False, "general", "paraphrase", "thanks bye",
  "thanks a lot, have a good day")
R(K, "other", False, "travel", "question", "weather off-topic",
  "What's the weather like in Lisbon this week?")
R(K, "other", False, "saas", "question", "poem about invoices",
  "Can you write me a poem about invoices?")
R(K, "policy_compliance", False, "saas", "question", "EU data residency",
  "Where do you store EU customer data?")
R(K, "account_change", False, "telecom", "fragment", "upgrade plan",
  "upgrade me to the unlimited plan")
R(K, "account_change", False, "banking", "paraphrase", "close account moving abroad",
  "Close my account please, I'm moving abroad.")
R(K, "other", False, "general", "regional", "good morning",
  "Good morning, hope you're well.")
R(K, "policy_compliance", False, "telecom", "question", "is chat recorded",
  "is this chat recorded?")
R(K, "how_to", False, "saas", "paraphrase", "fuming about moved buttons, how-to",
  "I'm absolutely fuming that the update moved all the buttons. Where's the export option now?")
R(K, "account_change", False, "telecom", "regional", "update mobile number, Indian English",
  "Kindly update my mobile number in the account, the old number is not in use.")
R(K, "incident", False, "travel", "slang", "train wifi dead",
  "wifi on the train is dead again")
R(K, "incident", False, "gaming", "paraphrase", "server lag EU-West",
  "Server lag in EU-West is unplayable tonight.")
R(K, "how_to", False, "utilities", "question", "report streetlight",
  "The streetlight outside my house is out, who do I report it to?")
R(K, "billing", False, "ecommerce", "paraphrase", "remove saved card",
  "Remove my saved card details from my account please.")
R(K, "account_change", False, "telecom", "caps", "angry cancel everything, no trigger",
  "I'VE HAD ENOUGH OF YOUR PRICES. CANCEL EVERYTHING.")
R(K, "incident", False, "ecommerce", "paraphrase", "crash during checkout, angry",
  "This is the third time the app has crashed during checkout. Sort it out!")
R(K, "incident", False, "utilities", "typo", "power cut typo",
  "powercut on our street since 6, any idea when its back")
R(K, "incident", False, "telecom", "emoji", "no signal emoji",
  "no signal at all in town centre today 📵")
R(K, "other", False, "general", "emoji", "thanks emoji",
  "legend, thank you 🙌")
R(K, "incident", False, "saas", "caps", "caps outage, anger no trigger",
  "YOUR API HAS BEEN RETURNING 500s FOR AN HOUR. THIS IS UNACCEPTABLE.")
R(K, "policy_compliance", False, "ecommerce", "question", "cookie consent GDPR",
  "Why do you need all these cookies? Is that even GDPR compliant?")
R(K, "account_change", False, "utilities", "story", "moving house, close account",
  "We're moving out on the 30th after eleven years in the place, which is a bit emotional. Could you close the electricity account on that date? New tenants are sorting their own.")
R(K, "how_to", False, "ecommerce", "regional", "Aussie, returns how-to",
  "How do I send back a jumper that's too small? Happy to swap for a bigger one.")
R(K, "incident", False, "banking", "near_miss", "ATM out of order",
  "The cash machine outside your Leeds branch is out of order.")
R(K, "how_to", False, "banking", "near_miss", "PIN pad broken at shop, alternative",
  "The PIN pad at the shop was broken so they couldn't take my card. Can I pay them by bank transfer from your app?")
R(K, "other", False, "general", "perspective", "mum says thanks",
  "My mum asked me to say thank you for helping her set up the app last week.")
R(K, "policy_compliance", False, "saas", "question", "pen test allowed?",
  "Are customers allowed to pen test your API, or do we need written permission?")
R(K, "incident", False, "utilities", "non_native", "water pressure low",
  "Water pressure very low since morning in our building, please check.")
