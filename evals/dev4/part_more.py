# Additional handoff-true items (more distressed and multi-turn coverage).
T = True
ITEMS = []
def E(need, h, dom, style, why, text):
    ITEMS.append((need, h, dom, style, why, text))

# dispute
E("billing", T, "telecom", "distressed", "dispute: unrecognised charges buried in rant", "I've had the worst week of my life, my car got towed, my kid is sick, and now I open my phone bill and there's £62 of 'digital content' I have never bought in my life. I can't deal with this")
E("billing", T, "insurance", "sms", "dispute: charged twice for premium (multi-turn)", ["hey quick one", "Sure, what do you need?", "premium came out twice this month, 2 x 48.20 same day"])
E("billing", T, "travel", "non_native/spanish", "dispute: bank reversal initiated", "I ask my bank to return the money of the tour because you never came to pick us up at hotel. The bank say they open a dispute")
E("billing", T, "gaming", "distressed", "dispute: child purchases not recognised", "I just checked my account and there are eleven charges from your game totalling £310, I have never played this game in my life, please this was supposed to go on my electricity")
E("billing", T, "government", "non_native/arabic", "dispute: fee charged twice", "I pay the residence permit fee one time but in my card it is taken two times, 500 dirham each")
E("billing", T, "ecommerce", "elderly", "dispute: charged for unordered item (multi-turn)", ["I've had a parcel arrive with some hair straighteners in it", "Thanks for letting us know. Did you place an order for these?", "No I certainly did not, I'm 84 and I haven't got much hair left. But the money has come out of my account."])

# takeover
E("policy_compliance", T, "banking", "non_native/chinese", "takeover: unknown device login and transfer (multi-turn)", ["I receive a message: new device login. It is not me", "Thanks for telling us. Have you noticed any transactions you don't recognise?", "Yes one transfer 3000 yuan to a name I don't know"])
E("account_change", T, "telecom", "distressed", "takeover: phone stolen in mugging", "I just got mugged outside the station, they took my phone, I'm on my friend's phone, I'm okay but please stop my number before they get into everything")
E("access_restore", T, "saas", "sms", "takeover: password changed by someone else (multi-turn)", ["password reset", "I can send a reset link to your registered email. Shall I?", "nah thats the thing, someone changed the email on it, i didnt do that"])
E("policy_compliance", T, "government", "non_native/hindi", "takeover: benefits claimed by someone else", "Someone has taken my pension amount using my Aadhaar number, the portal is showing paid but I have not received. Bank account in portal is not mine.")
E("account_change", T, "banking", "non_native/portuguese", "takeover: lost card abroad", "I lost my card in the beach in Rio, please cancel it, I am afraid somebody find it")
E("policy_compliance", T, "delivery", "non_native/filipino", "takeover: gave OTP to fake rider", "The rider call me and ask the code from SMS, he said for the delivery, then my wallet balance become zero po")

# lockout
E("access_restore", T, "utilities", "distressed", "lockout: prepayment account blocked, no heat", "it's freezing and the baby's crying and your app says my prepay account is blocked so I can't top up the meter, we've got no heating")
E("access_restore", T, "government", "elderly", "lockout: account suspended (multi-turn)", ["I'm trying to get into my tax account", "I can help. What happens when you try to sign in?", "It says my account has been suspended and to contact you. I don't know why, I've never done anything wrong."])
E("access_restore", T, "healthcare", "non_native/spanish", "lockout: portal blocked", "The portal of the hospital is blocked for me after I put wrong the birth date, I need see my results")
E("access_restore", T, "insurance", "sms", "lockout: account locked, claim deadline", "acc locked n my claim deadline is fri, cant upload the photos")
E("access_restore", T, "saas", "formal", "lockout: service account disabled (multi-turn)", ["Our nightly integration has failed.", "Can you share the error message returned?", "The error reads 'Account disabled by administrator'. No one on our side disabled it; please reinstate the service account urgently."])
E("access_restore", T, "delivery", "non_native/pidgin", "lockout: customer account banned", "Una ban my account for the app, I no fit order anything again. Wetin I do?")

# legal
E("billing", T, "ecommerce", "distressed", "legal: small claims threat buried in distress", "I've cried about this twice today. 3 months chasing a refund for a sofa that arrived broken, nobody replies, I'm filing in small claims court on Monday, I have every email")
E("account_change", T, "saas", "formal", "legal: breach of contract over cancellation", "Please be advised that failure to process our termination notice served on 1 April will be treated as a breach of contract and referred to our solicitors.")
E("billing", T, "telecom", "non_native/arabic", "legal: consumer protection authority threat", "I will make complaint to the consumer protection and the court if you not return the money of the cancel contract")
E("policy_compliance", T, "healthcare", "sms", "legal: HIPAA complaint threat", "u sent my test results to the wrong person?? im reporting u to HHS for a HIPAA violation")
E("incident", T, "delivery", "non_native/chinese", "legal: lawyer over damaged goods (multi-turn)", ["My fridge delivery is broken, the door is bent", "I'm sorry. I can arrange a return. Did you note the damage with the driver?", "I already send photos three times. If no solution this week my lawyer will send letter."])
E("access_restore", T, "gaming", "non_native/portuguese", "legal: Procon over banned account", "I will open a process in Procon because you ban my account with all my purchases and nobody explain why")

# safety
E("incident", T, "utilities", "non_native/hindi", "safety: electric shock from pole", "Electric pole near my house is giving current, one cow got shock and fell down. Children play there. Please send someone fast")
E("other", T, "ecommerce", "distressed", "safety: self-harm buried in refund complaint", "whatever. keep the refund. I won't be around to spend it anyway")
E("incident", T, "travel", "sms", "safety: passenger threatened on train", "guy on ur 18:40 train is shouting at ppl n says hes got a knife, carriage 4, no staff anywhere")
E("other", T, "banking", "non_native/filipino", "safety: threatened by loan collector", "Your collector is texting me that he will go to my house and hurt my family if I don't pay today po. I'm scared")
E("incident", T, "healthcare", "elderly", "safety: wrong medication delivered", "The tablets delivered today are not my usual ones, they're a different colour and name. I've already taken one and feel very dizzy.")
E("other", T, "telecom", "sms", "safety: self-harm (multi-turn)", ["can i cancel my contract early", "There's an early termination fee. Can I ask why you want to leave?", "doesnt matter. wont need a phone soon. ive decided"])
E("incident", T, "delivery", "formal", "safety: dangerous goods leaking", "Please be advised that a parcel delivered to our premises this morning is leaking a corrosive liquid labelled UN1830; one employee has sustained a skin burn.")

# human
E("billing", T, "banking", "non_native/spanish", "human: person for money issue (multi-turn)", ["Hello, I have question about my loan payment", "Sure! What would you like to know?", "Is complicated, is better I speak with a person from the bank, please"])
E("other", T, "gaming", "distressed", "human: begs for a person", "please just let me talk to an actual person, i've been going in circles with this chat for an hour and i'm about to lose it")
E("access_restore", T, "healthcare", "elderly", "human: asks for someone to phone her", "I can't get on to this computer portal at all. Would somebody be able to telephone me at home instead? I'm in all day.")
E("incident", T, "utilities", "formal", "human: facilities manager requests account manager call", "As facilities manager for three sites affected by today's outage, I request a call from your commercial account manager this afternoon.")
E("other", T, "insurance", "sms", "human: real agent after bot loop (multi-turn)", ["claim status", "Please enter your claim number.", "CLM-88213", "I couldn't find that claim. Please enter your claim number.", "omg. real agent. now."])
E("how_to", T, "government", "non_native/chinese", "human: wants staff for visa question", "The visa question is too complicated, can I talk to the officer? Or book a time to talk?")
E("billing", T, "telecom", "non_native/pidgin", "human: customer care agent", "I wan talk to una customer care agent abeg, no be this auto reply. Na about my bill")
