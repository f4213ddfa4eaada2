from .common import R

K = "dispute"
R(K, "billing", True, "banking", "regional", "unrecognised payment, UK phrasing",
  "There's a payment of £49.99 on my statement to something called VXM Media and I've honestly no idea what it is. Wasn't me.")
R(K, "billing", True, "ecommerce", "typo", "double debit, typos",
  "u charged me twice for order 88213 , two seperate debits same amount same day")
R(K, "billing", True, "banking", "non_native", "ATM short cash, Indian English",
  "ATM dispensed only 2000 rs but my account is debited for 5000. Kindly reverse the balance amount at the earliest.")
R(K, "billing", True, "telecom", "indirect", "threatens bank pull-back",
  "If this isn't sorted by Friday I'm just going to have my bank pull the payment back.")
R(K, "billing", True, "saas", "perspective", "finance team contests seat invoice",
  "Our finance team is querying last month's invoice. It bills us for 40 seats and we've never had more than 25. We don't accept it as it stands.")
R(K, "billing", True, "ecommerce", "story", "approved refund overdue, buried",
  "So I ordered a kettle in March, it arrived with a cracked base, I sent it back with the prepaid label and your chat agent Priya said the refund was approved and I'd see it within 5 working days. That was six weeks ago. Nothing on either card. The replacement I bought elsewhere is great so please don't send another one, I just want my money.")
R(K, "billing", True, "gaming", "perspective", "child's unauthorised in-game spend",
  "my 9 year old apparently bought 14,000 gems on my card without me knowing?? I never authorised any of that")
R(K, "billing", True, "travel", "paraphrase", "hotel charged prepaid room again",
  "The hotel took a second payment at checkout for a room I'd already prepaid through you. Same amount, so I've now paid for it twice.")
R(K, "billing", True, "banking", "fragment", "terse unrecognised debit",
  "debit 14 May, £212.40, 'INTL TXN'. not mine.")
R(K, "billing", True, "insurance", "paraphrase", "premium taken after cancellation",
  "You took my premium again this month even though the policy was cancelled in January. I want that money back, it never should have come out.")
R(K, "billing", True, "utilities", "regional", "bill for vacated property, refuses to pay",
  "Got a bill for £380 for a flat I moved out of in February. I gave you the final meter reading at the time. I'm not paying this.")
R(K, "billing", True, "telecom", "regional", "Aussie roaming charge contested",
  "Mate, $300 in roaming from Bali? Phone was on flight mode the whole trip. That's rubbish and I'm not wearing it.")
R(K, "billing", True, "ecommerce", "caps", "charged after cancelling, shouting",
  "WHY IS THERE A $89 CHARGE ON MY CARD FROM YOU WHEN I CANCELLED IN DECEMBER")
R(K, "billing", True, "ecommerce", "emoji", "processed refund missing",
  "refund was 'processed' 3 weeks ago 🙄 still nothing in my account 💸")
R(K, "billing", True, "utilities", "question", "direct debit taken twice",
  "Can you explain why I've been debited twice for the same direct debit this month? Both went out on the 1st.")
R(K, "billing", True, "saas", "slang", "unknown recurring descriptor, slang",
  "yo who tf is 'PRMR*SVC 12.99' and why are they dipping into my account every month")
R(K, "billing", True, "banking", "non_native", "denies transaction, non-native grammar",
  "Sir I have not did this transaction of 4,999 on 12th. I am not knowing this merchant. Please check and return my money.")
R(K, "billing", True, "banking", "indirect", "card issuer case already open",
  "I've already opened a case with Amex about this charge, so you'll probably be hearing from them.")
R(K, "billing", True, "banking", "regional", "cash machine debited without cash",
  "The cash machine on the High Street swallowed my withdrawal. Screen said 'transaction cancelled' but £100 has gone from my balance.")
R(K, "billing", True, "ecommerce", "paraphrase", "charged for two shipping options",
  "Pretty sure you've charged me for premium shipping and then again for standard. I only picked one of them.")
R(K, "billing", True, "saas", "paraphrase", "contests annual renewal charge",
  "We were billed for the annual plan even though we switched to monthly before the renewal date. We're contesting the whole annual charge.")
R(K, "billing", True, "utilities", "perspective", "elderly mum, unknown direct debit",
  "My mum's just noticed a direct debit to your company on her bank account. She's 82, doesn't have an account with you and never signed anything.")
R(K, "billing", True, "banking", "paraphrase", "contests late fee with proof",
  "I'm contesting the £25 late fee. The payment left my account on the 2nd, two days before it was due, and I've got the confirmation.")
R(K, "billing", True, "travel", "story", "phone-confirmed refund 47 days late",
  "Airline cancelled my flight, your agent confirmed a full refund to my card on the phone, reference RF-20931. It's been 47 days and I'm still waiting.")
R(K, "billing", True, "gaming", "paraphrase", "battle pass charged on two methods",
  "Battle pass got charged to my PSN wallet AND my credit card. I only have one battle pass, obviously.")
R(K, "billing", True, "telecom", "typo", "premium SMS never signed up",
  "my bill has 3 premium sms subscriptions i never signed up to, some horoscope thing?? take them off and give the money back")
R(K, "billing", True, "banking", "question", "how-to phrasing but real unknown charge",
  "How do I dispute a payment? There's one on my card from a shop in Valencia and I've never been to Spain.")
R(K, "billing", True, "banking", "typo", "unrecognised savings withdrawal",
  "theres a withdrawl from my savings i didnt make, 600 dollars on tuesday")
R(K, "billing", True, "insurance", "paraphrase", "claim excess overcharged",
  "The excess you charged on my claim is double what my policy schedule says. I'm disputing it.")
R(K, "billing", True, "ecommerce", "indirect", "will do chargeback over missing refund",
  "Fine, I'll just do a chargeback then, since nobody's replying to my emails about the missing refund.")
R(K, "billing", True, "utilities", "non_native", "autopay deducted twice",
  "Electricity bill show 2 time same amount deducted from my account by autopay. Please return one.")
R(K, "billing", True, "saas", "story", "double billing buried in praise",
  "Hi, bit of context: we moved to your Team plan on the 4th, the migration went smoothly and the help article was great. However the card on file was charged for both the old Pro plan and the new Team plan for the same period, so we've effectively been billed twice for April. Can you look?")
R(K, "billing", True, "banking", "regional", "UPI debited, merchant not paid",
  "Amount got debited but merchant is saying payment not received. Money is gone from my account only. UPI ref 412877301.")
R(K, "billing", True, "ecommerce", "caps", "triple charge, caps and emoji",
  "CHARGED 3 TIMES FOR ONE PIZZA 🍕🍕🍕 ARE YOU SERIOUS")
R(K, "billing", True, "ecommerce", "fragment", "refund promised never came",
  "refund promised. never came. 2 months.")
R(K, "billing", True, "saas", "perspective", "merchant's customer double charged",
  "A customer of ours says your payment gateway charged her twice for one booking on our site, and both show as settled on her statement. How do we get one reversed?")
R(K, "billing", True, "banking", "question", "asks what unknown charge is",
  "There's a charge on my card I don't recognise, 'FLX 7.49'. Can you tell me what it is? If it isn't mine I want it stopped.")
R(K, "billing", True, "telecom", "indirect", "never agreed to fee",
  "I'm not normally one to complain, but I never agreed to this fee and I want it reversed.")
R(K, "billing", True, "travel", "slang", "car hire damage charge contested",
  "car hire place slapped a €450 'damage' charge on my card after I returned it spotless. not having it.")
R(K, "billing", True, "telecom", "regional", "payments continued after payoff",
  "I paid my phone off in full in March and yet you've carried on taking £32 every month. That's four payments you had no right to take.")
