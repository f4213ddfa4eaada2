from .common import R

K = "none"
# dispute-vocabulary near-misses
R(K, "billing", False, "saas", "negation", "not disputing, asks what fee is",
  "I'm not disputing it, I just want to know what the £3 'service fee' is for.")
R(K, "billing", False, "banking", "question", "asks what a chargeback is",
  "What's a chargeback and how long does one usually take?")
R(K, "billing", False, "ecommerce", "negation", "suspected double charge was pending auth",
  "Thought I'd been charged twice but one of them was just a pending authorisation and it's dropped off now. All good!")
R(K, "billing", False, "ecommerce", "paraphrase", "change-of-mind refund",
  "Could I get a refund? I've changed my mind about the blender, it's still unopened in the box.")
R(K, "other", False, "ecommerce", "near_miss", "refund arrived, thanks",
  "My refund came through this morning, thanks for sorting it so quickly.")
R(K, "billing", False, "saas", "paraphrase", "resend invoice PDF",
  "Can you resend the invoice for March? Our accountant needs it as a PDF.")
R(K, "billing", False, "saas", "question", "update card on file",
  "How do I update the card you charge every month?")
R(K, "billing", False, "utilities", "negation", "bill higher, not complaining",
  "Why is this month's bill higher than last month's? Not complaining, I'd just like the breakdown.")
R(K, "billing", False, "saas", "question", "failed payment retry question",
  "If a payment fails, will you retry it automatically or do I need to do something?")
R(K, "billing", False, "utilities", "question", "credit card vs direct debit fee",
  "Is there a fee for paying by credit card rather than direct debit?")
R(K, "other", False, "ecommerce", "near_miss", "charged correctly, asks shipping",
  "My order was charged correctly, thanks. Just wondering when it'll ship?")
R(K, "billing", False, "banking", "near_miss", "asks statement descriptor to recognise later",
  "What name will show on my bank statement when you take payment? I want to make sure I recognise it next time.")
R(K, "billing", False, "saas", "perspective", "finance team wants VAT numbers",
  "Our finance team needs our VAT number printed on the invoices from now on.")
R(K, "billing", False, "saas", "question", "refund policy on annual plans",
  "What's your refund policy on annual plans if we cancel in month two?")
R(K, "billing", False, "banking", "question", "ATM fee abroad",
  "Do you charge a fee for using cash machines abroad?")
R(K, "billing", False, "saas", "near_miss", "will upgrade mid-month charge twice?",
  "Just double-checking: if I upgrade mid-month, do I end up getting charged twice?")
R(K, "billing", False, "utilities", "near_miss", "bank reversed by mistake, wants to repay",
  "My bank reversed my last payment to you by mistake. How do I pay the balance so I don't fall behind?")
R(K, "billing", False, "ecommerce", "slang", "can't make event, refund pls",
  "refund for the concert tix pls, cant make it anymore :(")
R(K, "billing", False, "ecommerce", "question", "refund to card or credit?",
  "Do refunds go back to the original card or as store credit?")
R(K, "other", False, "saas", "slang", "right amount now, cheers",
  "got charged the right amount this time, cheers for fixing the pricing page")
R(K, "how_to", False, "banking", "question", "see past payments",
  "Where can I see all my past payments?")
R(K, "billing", False, "telecom", "non_native", "roaming price question",
  "Please tell me how much is the charge for international roaming in Thailand.")
R(K, "billing", False, "ecommerce", "question", "pending charge on cancelled order",
  "Will the pending charge from yesterday go away if the order gets cancelled?")
R(K, "billing", False, "insurance", "question", "premium change adding driver",
  "Will my premium go up if I add my son as a named driver?")
R(K, "billing", False, "saas", "negation", "two invoices, resolves self",
  "Why do I have two invoices this month? Oh, one's for the add-on. Never mind, makes sense now.")
R(K, "billing", False, "ecommerce", "near_miss", "refund just requested, timing",
  "How long do refunds normally take to land? I dropped the return off yesterday.")
R(K, "billing", False, "ecommerce", "near_miss", "refund within promised window",
  "The refund hasn't arrived yet, but it's only been two days and you said up to ten, so I'm just checking it's in progress.")
R(K, "billing", False, "saas", "regional", "Aussie, price cheeky, discount?",
  "That price is a bit cheeky haha, is there a discount for non-profits?")
R(K, "billing", False, "banking", "near_miss", "not a double charge, asks about two debits explanation",
  "I see two debits from you this month but I know one is the loan repayment and one is the card. Which date does each come out?")
R(K, "billing", False, "utilities", "regional", "Indian English, bill copy",
  "Kindly send duplicate copy of last month electricity bill for my office records.")
R(K, "billing", False, "telecom", "near_miss", "recognises charge, wants to stop it going forward",
  "That £4.99 each month is the music add-on I signed up for, right? I'd like to stop it from next month.")
R(K, "billing", False, "banking", "negation", "unrecognised? no, recognised after checking",
  "Had a mini heart attack seeing a charge from 'TFL TRAVEL CH', then realised it's just my bus fares. Carry on!")
R(K, "billing", False, "travel", "question", "card surcharge on booking",
  "Why is there a 2% surcharge when I pay for the booking by credit card?")
R(K, "billing", False, "saas", "perspective", "customer asks how chargebacks work on platform",
  "A customer of ours asked how chargebacks work on your payment platform. Is there a doc we can send them?")
R(K, "billing", False, "banking", "negation", "not fraud, just wants to confirm pre-auth",
  "Not reporting fraud or anything, just curious why the petrol station took £99 and then only charged £42.")
R(K, "billing", False, "banking", "paraphrase", "switch payment method to PayPal",
  "I'd like to pay with PayPal instead of my debit card going forward.")
R(K, "billing", False, "telecom", "caps", "caps but routine bill question",
  "WHEN IS MY BILL DUE THIS MONTH")
R(K, "billing", False, "saas", "fragment", "invoice address change fragment",
  "invoice address wrong. new one: 3 Quay St, Manchester.")
