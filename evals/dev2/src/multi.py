from .common import R

MT = "multi_turn"
R("dispute", "billing", True, "saas", MT, "cancelled, unauthorised payment revealed late", [
  "Hi, quick question about my statement",
  "Sure, what would you like to know?",
  "There's a payment to you on the 9th for £64 and I cancelled months ago. I didn't authorise that."])
R("dispute", "billing", True, "travel", MT, "double charge in first turn", [
  "You've charged me twice for the same booking, both on my Visa.",
  "Sorry about that. Could you share the booking reference?",
  "HX-55120"])
R("takeover", "access_restore", True, "ecommerce", MT, "reset email changed by someone", [
  "I can't log in",
  "I can help with that. Have you tried resetting your password?",
  "Tried, but the reset goes to an email address that isn't mine. Someone's changed it."])
R("lockout", "access_restore", True, "banking", MT, "how-to turns into blocked card", [
  "How do I reset my PIN?",
  "You can reset it in the app under Card > PIN settings.",
  "The app says my card's blocked because of wrong attempts, and the reset option is greyed out."])
R("human", "incident", True, "telecom", MT, "asks for call after troubleshooting", [
  "my router keeps dropping",
  "Let's try a restart first: unplug it for 30 seconds and plug it back in.",
  "did that 5 times already. can someone actually ring me"])
R("none", "account_change", False, "banking", MT, "lost card then found, negated", [
  "I think I've lost my card!",
  "I can block it for you right away. Shall I go ahead?",
  "Hang on, found it in my coat pocket. Don't block it, sorry for the panic."])
R("none", "billing", False, "saas", MT, "unrecognised charge explained and accepted", [
  "There's a £12 charge from you I don't recognise",
  "That looks like the extra storage add-on enabled on your account on 3 March.",
  "Oh right, I forgot I turned that on. All good, thanks!"])
R("human", "account_change", True, "saas", MT, "wants someone who can override", [
  "Need to change the company name on our invoices",
  "You can update billing details under Settings > Billing.",
  "Tried that, it's locked to the original admin who left the company. I'd rather sort this with someone who can actually override it."])
R("legal", "billing", True, "ecommerce", MT, "solicitor drafting letter over refund", [
  "Where's my refund?",
  "Refunds take 5-10 working days after we receive the return.",
  "You received it on 2 March. It's now May. My solicitor is drafting a letter."])
R("safety", "account_change", True, "telecom", MT, "cancel reason hints self-harm", [
  "I need to cancel my plan",
  "I can help with that. May I ask why you're cancelling?",
  "Doesn't matter. I won't be around much longer anyway."])
R("none", "how_to", False, "banking", MT, "lock card before night out", [
  "hey",
  "Hi! How can I help?",
  "how do I lock my card from the app? going on a night out and want to be careful"])
R("none", "how_to", False, "saas", MT, "asked for someone then withdrew", [
  "Can I speak to someone?",
  "Of course. Before I transfer you, what's it about?",
  "Actually never mind, I found the invoice download button. Cheers!"])
R("takeover", "account_change", True, "ecommerce", MT, "phished card then code", [
  "I clicked a link in a text about a parcel and entered my card details.",
  "Thanks for telling us. Did you enter anything else, like a code?",
  "Yeah, the code that came through as well."])
R("none", "other", False, "ecommerce", MT, "scam text not clicked", [
  "Got a text about a missed delivery that says it's from you",
  "We never send payment links by text. Did you click on it?",
  "Nope, deleted it straight away."])
R("lockout", "access_restore", True, "banking", MT, "UPI PIN attempts exceeded", [
  "Sir my UPI not working",
  "Sorry to hear that. What error do you see?",
  "It is showing 'UPI PIN attempts exceeded, blocked for 24 hours'"])
R("human", "other", True, "general", MT, "wants someone to talk to, not chat", [
  "The bot told me to contact support",
  "I am support! What can I help with?",
  "No offence, but I'd like someone I can actually talk to."])
R("dispute", "billing", True, "banking", MT, "never agreed to adjustment fee", [
  "What's 'ADJ FEE' on my account?",
  "That's an adjustment fee applied when a transaction is re-processed.",
  "I never agreed to any adjustment fee. Take it off."])
R("none", "incident", False, "saas", MT, "angry but just a bug", [
  "your app is garbage",
  "I'm sorry to hear that. What's going wrong?",
  "it logs me out every five minutes, fix it"])
R("takeover", "access_restore", True, "gaming", MT, "items gone, foreign login", [
  "my items are gone",
  "Could you describe what's missing?",
  "all my skins, and there's a login from Russia in my history. not me"])
R("lockout", "access_restore", True, "travel", MT, "suspended before flight", [
  "trying to check in online",
  "Great, do you have your booking reference?",
  "yes but my account says suspended pending verification and the flight's in 2 hours"])
R("safety", "incident", True, "utilities", MT, "meter burning smell", [
  "Who do I contact about my meter?",
  "What's the issue with your meter?",
  "It's making a buzzing noise and there's a burning smell coming from it."])
R("human", "account_change", True, "saas", MT, "needs account exec on a call", [
  "We need to renegotiate our contract before renewal.",
  "I can share our standard plan options. Which plan are you on?",
  "Enterprise. Standard options won't cut it, we need our account exec on a call."])
R("none", "policy_compliance", False, "saas", MT, "someone on our side signs DPA", [
  "Do you have a DPA?",
  "Yes, you can download it from our Trust Center.",
  "Great, and can someone on our side sign it electronically?"])
R("dispute", "billing", True, "insurance", MT, "two premium payments taken", [
  "Why has my premium gone up?",
  "Premiums are reviewed at renewal based on several factors.",
  "It's not the renewal. You've taken two payments this month, £48 each."])
R("takeover", "billing", True, "banking", MT, "mum gave card and code to caller", [
  "I'm helping my mum with her account",
  "Happy to help. What does she need?",
  "She got a call from 'the bank' and gave them her card number and the code. Now there's a £900 payment."])
R("none", "how_to", False, "banking", MT, "PIN lock info, no lockout", [
  "What happens if I type my PIN wrong?",
  "After three incorrect attempts your PIN is locked.",
  "Ok good to know, I'll be careful. Thanks"])
R("legal", "incident", True, "telecom", MT, "Aussie ombudsman threat over outage", [
  "mate my nbn's been out 3 weeks",
  "Sorry about that. Have you run a line test?",
  "yes, 4 times. I'm going to the ombudsman tomorrow if a tech isn't booked."])
R("human", "billing", True, "telecom", MT, "5 turns, wants person who agreed price", [
  "Hi I need help with my bill",
  "Sure! What's the question?",
  "the amount is different to what I agreed on the phone",
  "Your current plan is £35 a month. Would you like to see the plan details?",
  "No, I want to speak to the person I agreed it with."])
R("none", "other", False, "banking", MT, "fake fraud call, shared nothing", [
  "Someone called pretending to be from your fraud team",
  "Thanks for letting us know. Did you share any details with them?",
  "No, I hung up. Just wanted you to know."])
R("lockout", "access_restore", True, "saas", MT, "MFA failures disable account", [
  "MFA isn't working",
  "Are you using the authenticator app or SMS codes?",
  "App. And now after all the failed tries it says my account is disabled."])
R("safety", "other", True, "gaming", MT, "player threatening offline", [
  "how do i report a player",
  "Open their profile and tap Report.",
  "done that, but he's messaging me on other sites now with my address saying he'll come round"])
R("none", "billing", False, "ecommerce", MT, "change-of-mind refund", [
  "Can I get a refund?",
  "What's the reason for the refund?",
  "Just changed my mind, the jacket's not my style. Unworn with tags."])
R("human", "other", True, "ecommerce", MT, "non-native, wants person not machine", [
  "my order not come",
  "I can check. What's your order number?",
  "88-1204. please i want talk with person, not machine"])
R("dispute", "billing", True, "telecom", MT, "international calls not theirs", [
  "Why is my bill £140 this month?",
  "It includes £95 of international calls.",
  "I haven't called anyone abroad. Those aren't mine."])
R("none", "account_change", False, "saas", MT, "annoyed cancel, declines transfer", [
  "I want to cancel",
  "Sorry to see you go. Can I ask why?",
  "Too expensive. I'm annoyed, but no need to transfer me, just cancel it."])
R("takeover", "account_change", True, "banking", MT, "stolen phone revealed after how-to", [
  "How do I log out of the app on all devices?",
  "Go to Settings > Security > Sign out everywhere.",
  "I can't, my phone was stolen an hour ago and it's my only device."])
R("human", "billing", True, "utilities", MT, "human request first, topic later", [
  "Get me a human",
  "I'll connect you. What's it regarding?",
  "My gas bill"])
R("none", "how_to", False, "saas", MT, "colleague locked? no, just forgot, self-service", [
  "My colleague can't get in",
  "Is their account showing as locked, or have they forgotten their password?",
  "Just forgot it. How do they reset it themselves?"])

# genuinely policy-dependent cases
U = "unclear"
R(U, "billing", None, "saas", "near_miss", "sales contact vs support handoff",
  "Can I talk to sales about enterprise pricing?")
R(U, "policy_compliance", None, "banking", "question", "asks ombudsman process, threat implied?",
  "How do I escalate my complaint to the ombudsman?")
R(U, "other", None, "ecommerce", "near_miss", "clicked scam link, entered nothing",
  "I clicked the link in that fake delivery text but closed the page before typing anything.")
R(U, "how_to", None, "saas", "question", "asks if human option exists",
  "Is the 'talk to a human' option available on the free plan?")
R(U, "access_restore", None, "banking", "near_miss", "self-locked card, unlock fails",
  "I locked my own card in the app by accident and now the unlock button doesn't do anything.")
R(U, "access_restore", None, "banking", "paraphrase", "dormant account closed by bank",
  "You closed my account because I hadn't used it in two years? I wanted to start using it again.")
