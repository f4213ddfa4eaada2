from .common import R

K = "none"
# human-request vocabulary near-misses
R(K, "policy_compliance", False, "saas", "near_miss", "person = signatory, not an agent",
  "Can a person sign the DPA on our behalf, or does it have to be a director?")
R(K, "other", False, "saas", "near_miss", "speak at conference",
  "I'd love to speak at your conference next year. Who handles speaker applications?")
R(K, "other", False, "general", "question", "bot question, satisfied",
  "Are you a bot? Just curious, you've been really helpful.")
R(K, "other", False, "general", "negation", "no need to pass on",
  "No need to pass me to anyone, that answered it. Thanks!")
R(K, "how_to", False, "banking", "negation", "don't transfer me, just link",
  "Don't transfer me, I just need the link to download my statements.")
R(K, "how_to", False, "general", "question", "agents work weekends?",
  "Do your support agents work weekends?")
R(K, "other", False, "telecom", "near_miss", "thank the agent",
  "Please pass my thanks to the agent who helped me yesterday, Sam was brilliant.")
R(K, "how_to", False, "saas", "question", "add team member",
  "How do I add a new team member to our workspace?")
R(K, "how_to", False, "general", "question", "phone support hours",
  "What are your phone support hours?")
R(K, "how_to", False, "saas", "perspective", "bot handover to their own agents",
  "Our customers keep asking to speak to a person. Can your bot hand over to our own agents?")
R(K, "how_to", False, "saas", "question", "configure escalation in product",
  "How do I set up live-chat escalation to human agents in your product?")
R(K, "other", False, "telecom", "near_miss", "operator was lovely",
  "The operator on your line earlier was lovely, just wanted to say.")
R(K, "account_change", False, "saas", "near_miss", "new manager wants admin rights",
  "I'm the new manager for our account. How do I get admin rights?")
R(K, "other", False, "general", "near_miss", "speak French?",
  "Can I speak French to you? My English is not great.")
R(K, "policy_compliance", False, "saas", "near_miss", "DPO name for records",
  "Who is your data protection officer? We need the name for our vendor records.")
R(K, "incident", False, "ecommerce", "near_miss", "captcha thinks I'm a robot",
  "I'm a real person, why does your captcha keep saying I'm a robot?")
R(K, "how_to", False, "saas", "near_miss", "human-readable export",
  "Is it possible to get a human-readable export of my data instead of JSON?")
R(K, "billing", False, "utilities", "question", "who to make cheque out to",
  "Who do I make the cheque out to?")
R(K, "other", False, "saas", "near_miss", "relay docs typo to author",
  "Could you let whoever wrote the API docs know there's a typo in the webhook example? No reply needed.")
R(K, "how_to", False, "saas", "near_miss", "escalate ticket priority in dashboard",
  "How do I escalate a ticket's priority in the dashboard?")
R(K, "other", False, "general", "slang", "bot is goated",
  "ngl this bot is goated, sorted it in 2 mins")
R(K, "how_to", False, "telecom", "regional", "Aussie, book tech visit online",
  "Can I book the tech visit myself online or do youse have to do it?")
# legal-vocabulary near-misses
R(K, "how_to", False, "insurance", "near_miss", "lawyer needs policy docs for will",
  "My lawyer needs a copy of my policy documents for my will. How do I download them?")
R(K, "policy_compliance", False, "saas", "near_miss", "lawyer asks about SCCs",
  "I'm a lawyer myself. Does your DPA include the updated standard contractual clauses?")
R(K, "policy_compliance", False, "saas", "paraphrase", "subprocessor list",
  "Can you send us your GDPR subprocessor list?")
R(K, "policy_compliance", False, "ecommerce", "question", "read terms before signup",
  "Where can I read your terms of service before I sign up?")
R(K, "policy_compliance", False, "banking", "question", "FCA regulated?",
  "Are you regulated by the FCA?")
R(K, "policy_compliance", False, "telecom", "negation", "complaints procedure for uni",
  "What's your complaints procedure? Not making one, I just need it for a uni assignment.")
R(K, "billing", False, "saas", "negation", "not suing, invoice name fix",
  "I'm not going to sue anyone, I just want the invoice corrected to the right company name.")
R(K, "billing", False, "travel", "near_miss", "court date, flight change fee",
  "I've got a court date coming up and need to move my flight. What's the change fee?")
R(K, "policy_compliance", False, "saas", "perspective", "legal team redlines accepted?",
  "Our legal team has reviewed the MSA and has a few redlines. Do you accept redlines on the standard MSA at all?")
R(K, "policy_compliance", False, "saas", "question", "SOC 2 under NDA",
  "Do you have a SOC 2 Type II report we can review under NDA?")
R(K, "policy_compliance", False, "telecom", "question", "call recording retention",
  "How long do you keep call recordings under GDPR?")
R(K, "how_to", False, "travel", "near_miss", "tennis court booking",
  "Can I book a tennis court at the resort through your app?")
R(K, "account_change", False, "banking", "negation", "ombudsman closed case, happy, close account",
  "The ombudsman closed my case last year and I'm happy with how it ended. Now I'd just like to close my account.")
R(K, "policy_compliance", False, "saas", "question", "DSAR how",
  "How do I submit a data subject access request?")
R(K, "policy_compliance", False, "insurance", "perspective", "BAA for HIPAA",
  "Our compliance officer needs a signed BAA from you for HIPAA. Is that something you offer?")
R(K, "policy_compliance", False, "saas", "perspective", "customer's auditor asks for ISO cert",
  "A customer of ours is being audited and their auditor wants a copy of your ISO 27001 certificate.")
R(K, "other", False, "general", "near_miss", "watching courtroom drama",
  "Off topic but have you seen that new courtroom drama? Lawyers everywhere, loved it.")
# safety-vocabulary near-misses
R(K, "other", False, "saas", "near_miss", "killer feature",
  "The new dashboard is killer, nice work.")
R(K, "other", False, "saas", "near_miss", "dying to try beta",
  "I'm dying to try the new beta, when does it open?")
R(K, "incident", False, "saas", "near_miss", "bug is killing me",
  "This bug is killing me lol, the export button does nothing on Safari.")
R(K, "how_to", False, "ecommerce", "regional", "could murder a coffee",
  "I could murder a coffee. Anyway, how do I change my delivery slot?")
R(K, "other", False, "gaming", "emoji", "update is fire",
  "the new update is fire 🔥🔥🔥")
R(K, "incident", False, "saas", "near_miss", "smoke tests failing",
  "Our smoke tests started failing after your API change at 14:00 UTC.")
R(K, "how_to", False, "utilities", "near_miss", "thermostat integrate with fire alarms",
  "Does your smart thermostat integrate with our fire alarm system?")
R(K, "incident", False, "telecom", "near_miss", "app killing battery",
  "Your app is killing my battery since the last update.")
R(K, "billing", False, "ecommerce", "near_miss", "daylight robbery, student discount",
  "That price is daylight robbery haha, is there a student discount?")
R(K, "other", False, "general", "near_miss", "died laughing at 404",
  "I nearly died laughing at your 404 page.")
R(K, "how_to", False, "utilities", "near_miss", "hypothetical gas leak reporting",
  "How would I report a gas leak if I ever smelled one? Just want the number saved.")
R(K, "other", False, "gaming", "emoji", "boss fight murders me",
  "the new boss fight is brutal, I keep getting murdered 😂")
R(K, "how_to", False, "insurance", "question", "fire damage from candles cover",
  "Does my home policy cover fire damage caused by candles?")
R(K, "how_to", False, "utilities", "question", "emergency number for power cut",
  "What's the number to call if there's a power cut?")
R(K, "other", False, "gaming", "slang", "trailer slaps",
  "the trailer for the new season absolutely slaps, cant wait")
R(K, "account_change", False, "saas", "near_miss", "hurt my wallet, upgrading",
  "It's going to hurt my wallet but I'm upgrading to the annual plan.")
R(K, "how_to", False, "saas", "perspective", "support team drowning, auto-triage",
  "Our support team is drowning in tickets. Does your tool do auto-triage?")
R(K, "how_to", False, "saas", "near_miss", "stressed about migration, checklist",
  "I'm so stressed about this migration lol. Is there a checklist somewhere?")
R(K, "other", False, "travel", "question", "safe to walk at night",
  "Is it safe to walk from the hotel to the bus station at night?")
R(K, "other", False, "general", "near_miss", "suicide squad film",
  "Just watched Suicide Squad on your streaming app, picture quality was great.")
R(K, "incident", False, "gaming", "near_miss", "game crashes on kill",
  "Game crashes every time I get a kill with the new sniper.")
R(K, "how_to", False, "insurance", "negation", "no one hurt, fender bender claim",
  "Minor bump in a car park, nobody hurt at all. How do I start a claim?")
