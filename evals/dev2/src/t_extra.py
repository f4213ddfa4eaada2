from .common import R

MT = "multi_turn"
# ---- disputes
R("dispute", "billing", True, "travel", "story", "resort fee charged though included, buried",
  "We booked a family holiday through you in January and paid in full. When we got there the rep made us pay a €180 'resort fee' in cash, which your confirmation clearly says was included. The kids had a lovely time and the pool was great, but I want that €180 back because we should never have been charged it.")
R("dispute", "billing", True, "insurance", "regional", "premium taken twice, Indian English",
  "Premium deducted twice from my salary account this month, once by ECS and once by card. Kindly refund the excess amount.")
R("dispute", "billing", True, "gaming", "emoji", "bundle billed four times",
  "bought the starter bundle ONCE and got billed 4x 😤 check my receipts")
R("dispute", "billing", True, "utilities", "indirect", "will get bank to claw back payments",
  "I'll be cancelling the direct debit and asking my bank to claw back the last three payments, since you've been estimating my readings the whole time.")
R("dispute", "billing", True, "ecommerce", MT, "refund issued months ago not received", [
  "hey is the refund for order 5521 done?",
  "Yes, it was issued on 14 June.",
  "14 JUNE? it's August and nothing has hit my card. your lot told me 3-5 days."])
R("dispute", "billing", True, "banking", MT, "unknown payments mentioned in passing", [
  "I need a statement for last month",
  "You can download it under Documents > Statements in the app.",
  "Got it. While I'm here, who is 'GLBL PAY LTD'? Two payments of £60 that I didn't make."])
R("dispute", "billing", True, "saas", "perspective", "client threatens bank reversal",
  "Our client tells us your platform billed her card after she'd deleted her account with us. She says she'll reverse it through her bank unless someone can explain it.")
R("dispute", "billing", True, "telecom", "fragment", "overcharged again, won't pay",
  "overcharged. again. third month running. not paying it.")
# ---- takeover / fraud
R("takeover", "billing", True, "travel", "paraphrase", "stranger booked hotel on account",
  "Someone used my account to book a hotel in Madrid for this weekend. I'm in Glasgow and I didn't book anything.")
R("takeover", "access_restore", True, "gaming", "perspective", "sister gave password to scam site",
  "My little sister typed her password into a 'free coins' website and now she can't get back into her account.")
R("takeover", "account_change", True, "utilities", "paraphrase", "switched supplier without consent",
  "I've had a letter saying I've switched supplier. I never agreed to that, someone has used my details.")
R("takeover", "account_change", True, "insurance", "indirect", "payout bank account changed by nobody",
  "Our policy documents now show a different bank account for claim payouts. Neither me nor my husband changed it.")
R("takeover", "account_change", True, "telecom", MT, "upgrade ordered by someone else", [
  "why am I getting texts about an upgrade order?",
  "It looks like an upgrade was ordered on your account yesterday evening.",
  "I didn't order anything. Someone's got into my account."])
R("takeover", "access_restore", True, "saas", MT, "API key rotated from foreign IP", [
  "Can you tell me when our API key was last rotated?",
  "It was regenerated yesterday at 02:14 UTC from an IP address in Singapore.",
  "None of us are in Singapore and nobody on our side rotated it."])
R("takeover", "account_change", True, "banking", "regional", "Aussie phone knocked off at pub",
  "Me phone got knocked off at the pub last night, banking app's on it and me cards were in the case.")
R("takeover", "billing", True, "ecommerce", "slang", "orders shipping that user never placed",
  "bruh someone's using my acc to order stuff, got 3 'your order has shipped' emails for things i never bought")
R("takeover", "account_change", True, "banking", "indirect", "gave login to 'investment helper'",
  "I gave my login details to someone who said he'd help me invest in crypto. I'm starting to think it was a scam.")
# ---- lockout
R("lockout", "access_restore", True, "gaming", "caps", "banned, caps",
  "WHY IS MY ACCOUNT BANNED I PAID FOR THIS GAME")
R("lockout", "access_restore", True, "telecom", "non_native", "service suspended, no bill received",
  "My outgoing calls stopped and message is saying 'your service has been suspended'. I not receive any bill.")
R("lockout", "access_restore", True, "utilities", "question", "prepayment account frozen, low credit",
  "Why has my prepayment account been frozen? The app won't let me top up and I've got £2 left on the meter.")
R("lockout", "access_restore", True, "insurance", "story", "claim portal suspended mid-claim",
  "I'm trying to make a claim after a burst pipe. Logged in fine yesterday and uploaded half the photos, but today the portal says my access is suspended pending verification, and the loss adjuster needs everything by tomorrow.")
R("lockout", "access_restore", True, "saas", MT, "how-to reveals org locked", [
  "Hey, how do I add a new admin?",
  "Go to Settings > Users and click 'Add admin'.",
  "Can't, it says our whole org has been locked pending a billing review."])
R("lockout", "access_restore", True, "banking", MT, "ATM retained card, permanently blocked", [
  "hello",
  "Hi! What can I help with today?",
  "tried my pin at the atm, it ate my card and now the app says card permanently blocked"])
R("lockout", "access_restore", True, "travel", "indirect", "restricted from bookings",
  "Your app says I've been 'temporarily restricted from making bookings'. I've got a trip next week and no idea why.")
R("lockout", "access_restore", True, "ecommerce", "typo", "account terminated typo",
  "my account got termianted for 'policy violation' but i only bought a phone case??")
R("lockout", "access_restore", True, "banking", "perspective", "company card frozen by issuer",
  "Our sales team's company card has been declined since Monday and the portal says 'card frozen by issuer'. Our reps are on the road.")
# ---- explicit human request
R("human", "other", True, "travel", "indirect", "doesn't want chat, someone at desk",
  "I don't want to sort this out through a chat window. Is there someone at the desk I can speak to?")
R("human", "other", True, "insurance", "regional", "UK, pop me through to phones",
  "Could you pop me through to someone on the phones? I'm not great with typing.")
R("human", "other", True, "gaming", "slang", "any staff online",
  "any staff online? need someone to actually look at my ticket, been 2 weeks")
R("human", "other", True, "utilities", "non_native", "engineer sir to call",
  "Please ask your engineer sir to call me, I want to explain the problem properly.")
R("human", "account_change", True, "banking", MT, "wants phone closure with someone", [
  "I want to close my account",
  "I can help you close it here. First, please confirm the last four digits of your card.",
  "I'd rather do it with someone on the phone, can you arrange that?"])
R("human", "other", True, "travel", MT, "lost bag, wants somebody not a form", [
  "my baggage didn't arrive",
  "Sorry! You can file a delayed baggage report here: /baggage/report",
  "did that yesterday. I want to talk to somebody today, not fill in another form"])
R("human", "other", True, "ecommerce", MT, "5 turns, missing parcel, wants call", [
  "my parcel says delivered but it isn't here",
  "Sorry about that. Have you checked with neighbours or any safe places?",
  "yes, nothing",
  "I can open a missing parcel claim for you now.",
  "please just get someone from your team to ring me, I want to know what actually happened"])
R("human", "how_to", True, "saas", "perspective", "solutions engineer on a call",
  "Can we get a solutions engineer on a call? The integration is blocking our launch.")
R("human", "account_change", True, "telecom", "question", "speak to staff in store about contract",
  "I'd like to talk this over with someone face to face. Which store has staff who can deal with contract changes?")
R("human", "other", True, "general", "indirect", "get me off this chatbot",
  "pls get me off this chatbot")
# ---- legal threats
R("legal", "billing", True, "travel", "regional", "CAA over compensation",
  "I'm going to the Civil Aviation Authority with this unless I get the compensation I'm owed.")
R("legal", "other", True, "insurance", "non_native", "advocate, legal notice",
  "I have consulted advocate and will send legal notice if my claim is not settled this week.")
R("legal", "billing", True, "gaming", "slang", "lawyer dad, not joking",
  "keep ignoring me and my dad's lawyer will sort you out. not joking. refund the skins")
R("legal", "billing", True, "utilities", MT, "ombudsman and lawyer over estimates", [
  "You've estimated my bill again",
  "I can update it if you send us a meter reading.",
  "I've sent five. I'm now in touch with the Energy Ombudsman and a consumer lawyer."])
R("legal", "incident", True, "saas", "perspective", "general counsel preparing claim",
  "Our general counsel has asked me to let you know we're preparing a claim over the data we lost during your outage.")
# ---- safety
R("safety", "incident", True, "utilities", "paraphrase", "gas hissing after engineer",
  "Your engineer left without putting the cap back on and there's a hissing noise by the gas meter.")
R("safety", "other", True, "travel", MT, "drunk driver won't let out", [
  "my taxi booked through you",
  "Sure, what's wrong with the booking?",
  "driver's drunk, I can smell it, and he won't let me out at the lights"])
R("safety", "incident", True, "insurance", "perspective", "tree on sparking power line",
  "My neighbour's tree came down on the power line and it's lying across our drive, sparking.")
R("safety", "account_change", True, "gaming", "indirect", "wants to disappear, delete account",
  "kind of want to disappear for good tbh. anyway how do i delete my account")
R("safety", "other", True, "banking", "perspective", "son nothing left to live for",
  "My son has been sending all his money to someone online and tonight he told me he's got nothing left to live for.")
