from .common import R

K = "lockout"
R(K, "access_restore", True, "banking", "paraphrase", "card blocked after wrong PINs",
  "My card's been blocked after I typed the wrong PIN three times at the shop.")
R(K, "access_restore", True, "saas", "paraphrase", "too many attempts, urgent payroll",
  "Login screen says 'Too many attempts, try again later' and it's been saying that for two hours. I need to run payroll today.")
R(K, "access_restore", True, "gaming", "question", "banned, appeal loops",
  "Got banned from ranked for no reason?? I didn't do anything and the appeal form just loops back to the start")
R(K, "access_restore", True, "telecom", "paraphrase", "SIM PUK locked",
  "Phone's asking for a PUK code now. I guess I got the SIM PIN wrong too many times.")
R(K, "access_restore", True, "banking", "regional", "net banking blocked, Indian English",
  "My net banking is blocked due to wrong password attempts, please unblock at the earliest.")
R(K, "access_restore", True, "ecommerce", "paraphrase", "seller account deactivated",
  "My seller account got deactivated overnight and all my listings are gone. I've got orders waiting to ship.")
R(K, "access_restore", True, "saas", "emoji", "suspended, emoji",
  "account suspended?? 😳 what did i even do")
R(K, "access_restore", True, "travel", "caps", "locked out before flight",
  "I AM LOCKED OUT OF MY ACCOUNT AND I HAVE A FLIGHT IN 3 HOURS")
R(K, "access_restore", True, "banking", "fragment", "PIN locked again",
  "pin locked. again.")
R(K, "access_restore", True, "banking", "non_native", "account restricted",
  "My account is showing 'restricted', I cannot do any transfer. Why it is like this?")
R(K, "access_restore", True, "travel", "story", "card held by fraud system abroad",
  "Your fraud system has put my card on hold while I'm in Tokyo and I can't pay for my hotel. Checkout is at 11.")
R(K, "access_restore", True, "saas", "perspective", "office workspace disabled",
  "The whole workspace for our Melbourne office shows 'This organisation has been disabled'. Forty people can't work.")
R(K, "access_restore", True, "saas", "slang", "acc on lock, slang",
  "my acc is on lock fr, says come back in 24hrs")
R(K, "access_restore", True, "banking", "question", "frozen account",
  "Why has my account been frozen? I can see my balance but I can't move a penny.")
R(K, "access_restore", True, "utilities", "paraphrase", "portal locked before meter deadline",
  "Your online portal has locked my account and I can't submit my meter reading before tomorrow's deadline.")
R(K, "access_restore", True, "insurance", "question", "locked after third try, asks to unlock here",
  "I tried to log in to renew and after the third go it said my account is locked and to phone you. Can you unlock it here instead?")
R(K, "access_restore", True, "saas", "indirect", "access revoked for owner",
  "It won't let me back in, just says my access has been revoked. I'm the account owner!")
R(K, "access_restore", True, "saas", "typo", "disabled after phone change",
  "accnt got disabeld after i changed phones, cant get in at all")
R(K, "access_restore", True, "banking", "regional", "card stopped, refer to issuer",
  "Card's been stopped. The till just said 'refer to issuer' and then your app says it's blocked.")
R(K, "access_restore", True, "ecommerce", "story", "3DS mishaps lead to online block",
  "Trying to buy my mum's birthday present online. First attempt the security code didn't arrive, second attempt it arrived but had expired, third attempt I mistyped it, and now it says my card is blocked for online payments. Brilliant.")
R(K, "access_restore", True, "gaming", "perspective", "brother's account suspended",
  "My brother's account has been suspended since yesterday. He's devastated, he didn't break any rules as far as I can tell.")
R(K, "access_restore", True, "banking", "paraphrase", "wallet blocked after OTP errors",
  "Entered the wrong OTP too many times and now the app says my wallet is blocked for 24 hours.")
R(K, "access_restore", True, "telecom", "regional", "line barred despite paid bill",
  "Line's been barred. Can't make calls, only emergency ones, and I've paid my bill.")
R(K, "access_restore", True, "banking", "question", "how-long question, actual PIN lock",
  "How long does a PIN lock last? Mine locked this morning and I need cash today.")
R(K, "access_restore", True, "saas", "perspective", "tenant users suspended",
  "All our SSO users are getting 'account suspended' since this morning. It seems to be just our tenant.")
R(K, "access_restore", True, "banking", "non_native", "blocked after many tries",
  "i try login many time now it say blocked, pls open my account")
R(K, "access_restore", True, "ecommerce", "question", "account blocked after address changes",
  "Your site blocked my account after I changed my delivery address twice? Now I can't even see my orders.")
R(K, "access_restore", True, "banking", "paraphrase", "withdrawals disabled pending review",
  "Withdrawals have been disabled on my account 'pending review' for nine days now.")
R(K, "access_restore", True, "banking", "regional", "Aussie passcode lockout",
  "Reckon I fat-fingered my passcode one too many times, the app's locked me out completely.")
R(K, "access_restore", True, "banking", "perspective", "grandmother locked, distressed",
  "My grandmother's online banking is locked and she's getting really distressed. She can't pay her carer.")
R(K, "access_restore", True, "saas", "question", "user inactive, deactivated?",
  "Is my account deactivated? Every login returns 'user inactive' since Tuesday.")
R(K, "access_restore", True, "banking", "caps", "card declined, blocked, caps",
  "CARD DECLINED EVERYWHERE. APP SAYS BLOCKED. FIX IT")
R(K, "access_restore", True, "saas", "indirect", "not permitted to sign in",
  "Apparently I'm 'not permitted to sign in at this time'. What on earth does that mean?")
R(K, "access_restore", True, "gaming", "emoji", "account closed without user action",
  "got kicked out and now it says my account is closed?? 😭 i never closed it")
R(K, "access_restore", True, "travel", "paraphrase", "booking account suspended before trip",
  "My booking account was suspended after I cancelled two reservations. I travel Thursday and I can't see my tickets.")
R(K, "access_restore", True, "insurance", "typo", "claims portal locked, phone line shut",
  "locked out of the claims portal after 5 trys, it says to ring but the lines are shut")
