from .common import R

K = "legal"
R(K, "billing", True, "ecommerce", "paraphrase", "small claims court threat",
  "If this isn't refunded by Friday I'll be filing in the small claims court.")
R(K, "other", True, "general", "fragment", "solicitor will be in touch",
  "My solicitor will be in touch.")
R(K, "billing", True, "banking", "regional", "next stop Financial Ombudsman",
  "You've had eight weeks to sort out my complaint about the overdraft charges. Next stop is the Financial Ombudsman.")
R(K, "incident", True, "utilities", "regional", "Trading Standards over boiler install",
  "I'm reporting you to Trading Standards over this botched boiler install.")
R(K, "billing", True, "ecommerce", "non_native", "consumer court, Indian English",
  "I will file complaint in consumer court if my refund is not credited in 2 days.")
R(K, "policy_compliance", True, "saas", "paraphrase", "already spoke to lawyer about data handling",
  "I've already spoken to a lawyer about the way you've handled my personal data.")
R(K, "billing", True, "telecom", "indirect", "joining class action over compensation",
  "Happy to join the class action if you keep ignoring my request for outage compensation.")
R(K, "policy_compliance", True, "saas", "regional", "reporting breach to ICO",
  "I will be reporting this data breach to the ICO.")
R(K, "incident", True, "telecom", "regional", "Aussie TIO complaint",
  "Lodging a complaint with the TIO first thing Monday unless my service is fixed.")
R(K, "billing", True, "telecom", "regional", "Aussie ACCC over 'unlimited' plan",
  "Mate, I'll be going to the ACCC about your 'unlimited' plan that's clearly limited.")
R(K, "other", True, "saas", "perspective", "attorney says breach of contract",
  "Our attorney says you're in breach of our contract. Expect a letter.")
R(K, "billing", True, "telecom", "paraphrase", "seeking legal advice on cancellation fee",
  "I'll be seeking legal advice regarding this cancellation fee.")
R(K, "other", True, "general", "caps", "caps sue threat",
  "I WILL SUE YOU FOR EVERY PENNY YOU HAVE")
R(K, "other", True, "insurance", "paraphrase", "ombudsman and press over claim",
  "If you don't pay out on my claim I'm taking it to the ombudsman and naming your company in the local paper.")
R(K, "policy_compliance", True, "saas", "indirect", "legal team to review ToS conduct",
  "I think it's time my legal team had a proper look at your terms of service and what you've actually been doing with our account.")
R(K, "billing", True, "travel", "typo", "court over kept deposit",
  "ill be taking you to court over this, you cant just keep my deposit")
R(K, "other", True, "banking", "paraphrase", "formal FCA complaint",
  "Just so you know, I'm filing a formal complaint with the FCA about how my fraud case was handled.")
R(K, "billing", True, "gaming", "perspective", "consumer authority + lawyer re son's refund",
  "I'm reporting your loot boxes to the consumer protection authority and I've asked a lawyer about getting my son's money back.")
R(K, "other", True, "general", "non_native", "lawyer and police complaint",
  "If not solve, I go to lawyer and police complaint about your company.")

K = "safety"
R(K, "other", True, "banking", "story", "self-harm hint over debt",
  "Honestly I don't see the point of anything anymore. This debt is the last straw, I might just end it all.")
R(K, "incident", True, "utilities", "paraphrase", "smells gas now",
  "I can smell gas in the kitchen, it's really strong.")
R(K, "incident", True, "telecom", "paraphrase", "sparking cable after engineer visit",
  "There's a cable hanging down from the pole outside my house since your engineers were here, and it's sparking.")
R(K, "other", True, "banking", "perspective", "partner threatening harm over login",
  "My partner is threatening to hurt me if I don't hand over the login for our joint account.")
R(K, "incident", True, "ecommerce", "paraphrase", "power bank smoking",
  "The power bank I ordered from you is hissing and smoking on my desk right now.")
R(K, "other", True, "gaming", "story", "doxxing and threat from player",
  "A guy in game chat says he knows where I live and he's going to come round and hurt me. He posted my street name.")
R(K, "other", True, "travel", "fragment", "reckless driver won't stop",
  "driver going way over the limit and ignoring me asking to stop, i want out of this car")
R(K, "other", True, "general", "typo", "thinking of self-harm",
  "i cant do this anymore, been thinking about hurting myself")
R(K, "other", True, "ecommerce", "paraphrase", "customer threatens violence to courier",
  "If I see your delivery guy again I'll smash his face in.")
R(K, "incident", True, "utilities", "paraphrase", "CO alarm after service",
  "The carbon monoxide alarm keeps going off since your guy serviced the boiler.")
R(K, "other", True, "banking", "non_native", "wants to die over loan",
  "i want die. no money for pay the loan, everything finish")
R(K, "incident", True, "telecom", "perspective", "elderly dad's fall alarm offline",
  "My elderly dad's fall-alert pendant hasn't connected since your network change and he's on his own. He fell last month.")
R(K, "account_change", True, "saas", "story", "abuser tracking via account, refuge",
  "This account is how my ex keeps track of where I am. I'm in a refuge now. Please help me get him off it.")
R(K, "incident", True, "ecommerce", "paraphrase", "heater caught fire",
  "the electric heater I bought from you caught fire last night. we're ok but the wall is black")
R(K, "other", True, "general", "perspective", "friend goodbye message",
  "My friend just sent me a goodbye message through your app and now she's not answering. I'm scared she's going to do something.")
R(K, "other", True, "utilities", "perspective", "neighbour threatens arson over water cut",
  "The man in the flat downstairs is shouting that he'll burn the building down because the water's been shut off.")
R(K, "incident", True, "insurance", "emoji", "water onto light fitting",
  "water coming through the ceiling onto the light fitting ⚡💦 what do i do")
R(K, "other", True, "travel", "paraphrase", "stranger trying hotel door",
  "There's a man outside the hotel room you booked me into and he's been trying the door handle for the past ten minutes.")
R(K, "other", True, "general", "caps", "threatens to hurt someone",
  "I SWEAR IF THIS HAPPENS AGAIN I WILL HURT SOMEONE")
R(K, "account_change", True, "saas", "indirect", "passive suicidal remark while cancelling",
  "Not sure anyone would even notice if I wasn't around. Sorry, ignore me, I just need to cancel my plan.")
