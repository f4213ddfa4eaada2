from .common import R

K = "takeover"
R(K, "account_change", True, "banking", "regional", "wallet stolen, UK slang",
  "Had my wallet nicked on the bus this morning, both my debit and credit card were in it.")
R(K, "access_restore", True, "saas", "perspective", "admin email changed by unknown party",
  "Someone changed the email address on our admin account overnight and now none of us can get in. Nobody on the team made that change.")
R(K, "access_restore", True, "banking", "paraphrase", "login from unknown country",
  "I got a text about a login from a new device in Lagos. I've never been to Nigeria and I'm sat at home on my sofa.")
R(K, "account_change", True, "banking", "story", "read OTP to fake fraud caller",
  "A man rang saying he was from your fraud team and I read him the code that came through by text. Thinking about it now, I'm worried that was a big mistake.")
R(K, "access_restore", True, "gaming", "typo", "child's game account hacked",
  "my sons fortnite got hacked, they changed the password and all his skins are gone")
R(K, "access_restore", True, "telecom", "story", "suspected number port / SIM swap",
  "My phone suddenly went to 'No Service' and about an hour later I started getting password reset emails from my bank. I think someone's moved my number to another SIM.")
R(K, "billing", True, "ecommerce", "paraphrase", "orders placed to stranger's address",
  "There are three orders on my account going to an address in Leeds. I live in Bristol and I didn't place any of them.")
R(K, "account_change", True, "ecommerce", "paraphrase", "entered card on lookalike site",
  "Typed my full card number and the 3-digit code into what I thought was your website. The URL was slightly off. Realised too late.")
R(K, "access_restore", True, "saas", "perspective", "customer's admin taken over",
  "One of our customers reports their admin account on your platform was taken over. Whoever it was generated a new API key and invited two outside users.")
R(K, "account_change", True, "banking", "regional", "Aussie bag theft",
  "Had my bag pinched at the servo, phone and cards all gone.")
R(K, "access_restore", True, "saas", "slang", "someone live in account now",
  "some rando is logged into my acc rn, i can literally see them moving stuff around")
R(K, "billing", True, "banking", "non_native", "unauthorised transfers",
  "Somebody is doing transaction from my account without my permission, 3 transfer yesterday night to unknown person.")
R(K, "access_restore", True, "saas", "question", "password changed not by user",
  "Is there a way to see who logged into my account? Because my password got changed and it definitely wasn't me.")
R(K, "billing", True, "banking", "story", "marketplace scam, shared login+code, money gone",
  "Bit of a long one. I was selling a sofa online and the buyer said he'd pay through your app and sent me a 'verification link'. I put in my login and the 6-digit code. Next morning my balance was zero. I've reported it to the police too.")
R(K, "account_change", True, "banking", "perspective", "dad let fake tech remote in during banking",
  "My dad is 79 and he let a 'Microsoft technician' remote into his laptop while he had his online banking open. We don't know yet what they did.")
R(K, "account_change", True, "banking", "emoji", "phone stolen with app logged in",
  "phone got stolen at the concert 😭 your app is on it and I'm still logged in")
R(K, "access_restore", True, "ecommerce", "caps", "password and phone changed by someone",
  "SOMEONE HAS CHANGED MY PASSWORD AND PHONE NUMBER ON MY ACCOUNT. I DID NOT DO THIS.")
R(K, "access_restore", True, "saas", "fragment", "unknown 2FA device added",
  "new 2FA device added to my account. not by me.")
R(K, "access_restore", True, "saas", "indirect", "unfamiliar activity on streaming account",
  "I don't think I'm the only one using my account anymore. There's watch history and playlists I definitely didn't make, in a language I don't speak.")
R(K, "billing", True, "travel", "paraphrase", "loyalty points drained by stranger",
  "My loyalty account has been emptied. 240,000 points redeemed for flights out of Dubai that I never booked.")
R(K, "account_change", True, "utilities", "paraphrase", "account details changed by someone else",
  "Someone has put my energy account into their name and changed the bank details on it. I got a confirmation email for a change I never asked for.")
R(K, "billing", True, "banking", "non_native", "shared OTP with KYC scammer, money debited",
  "I shared OTP to one caller who told KYC update pending, after that 25000 debited. Please help urgent.")
R(K, "access_restore", True, "telecom", "question", "unrequested SIM replacement",
  "Why has my SIM been swapped to a new one? I didn't request a replacement and now my phone has no signal at all.")
R(K, "access_restore", True, "gaming", "paraphrase", "login from abroad, inventory traded",
  "Someone logged into my account from Brazil and traded away my whole inventory while I was asleep.")
R(K, "billing", True, "banking", "story", "card used while locked in gym locker",
  "If someone else used my card without permission, what do I do? Because that's what's happened: four contactless payments this morning and my card was in my locker at the gym the whole time.")
R(K, "account_change", True, "banking", "regional", "missing debit card, Indian English",
  "My debit card is missing since yesterday evening, please block it immediately.")
R(K, "billing", True, "ecommerce", "perspective", "flatmate used saved card",
  "My flatmate has been using my saved card on your app to order takeaways. I never said he could.")
R(K, "access_restore", True, "saas", "typo", "hacked email, recovery changed",
  "i think im hacked, theres emails in my sent folder i never wrote and my recovery email is someone elses")
R(K, "billing", True, "ecommerce", "story", "new address and card added then order, buried",
  "Ordering on your site is usually fine and I like the loyalty scheme. Anyway, yesterday I got two emails confirming a new delivery address and a new payment card that I never added, and then an order for a games console went through. I'd like to understand how this happened.")
R(K, "account_change", True, "banking", "indirect", "phone left in taxi with app",
  "Left my phone in a taxi last night and it hasn't been handed in. Your banking app is on it, unlocked with face ID.")
R(K, "access_restore", True, "gaming", "slang", "account jacked, slang",
  "acc got jacked, cant get in, some dude changed everything")
R(K, "account_change", True, "saas", "perspective", "engineer pasted API token into phishing form",
  "We got a message that looked like it came from your support team and one of our engineers pasted an API token into the form. We've since realised it wasn't you.")
R(K, "account_change", True, "banking", "question", "replied to text with PIN",
  "Did you guys just text me asking for my card PIN? Because I replied with it before I'd thought about it...")
R(K, "account_change", True, "banking", "emoji", "stolen card, freeze",
  "card stolen 🚨 pls freeze it")
R(K, "billing", True, "banking", "story", "safe-account scam transfer",
  "Got a call, the person knew my name and address and said my account was compromised, so I moved my savings into the 'safe account' he gave me. Now his number's dead.")
R(K, "other", True, "insurance", "paraphrase", "claim filed in user's name by someone else",
  "Someone has filed a claim on my policy using my details. I got a letter about a car accident I wasn't in and I don't even drive that car anymore.")
