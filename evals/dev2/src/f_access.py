from .common import R

K = "none"
# takeover-vocabulary near-misses
R(K, "other", False, "banking", "near_miss", "scam text deleted, not clicked",
  "Got a text saying my account is suspended and to click a link. Looks fake so I deleted it. Just letting you know.")
R(K, "how_to", False, "banking", "question", "how to lock card in app",
  "How do I lock my card in the app?")
R(K, "how_to", False, "saas", "question", "see logged-in devices",
  "Is there a way to see which devices are logged in to my account?")
R(K, "how_to", False, "banking", "negation", "lost phone, found it",
  "I lost my phone last week but found it under the car seat. Do I need to do anything with the app?")
R(K, "how_to", False, "saas", "paraphrase", "set up 2FA",
  "How do I turn on two-factor authentication?")
R(K, "how_to", False, "saas", "paraphrase", "move authenticator to new phone",
  "I'm getting a new phone next week. How do I move my authenticator codes over?")
R(K, "how_to", False, "banking", "near_miss", "temporary freeze while travelling",
  "Can I freeze my card temporarily while I'm travelling? I won't be using it.")
R(K, "how_to", False, "saas", "question", "hardware keys support",
  "Do you support hardware security keys like YubiKey for login?")
R(K, "other", False, "saas", "near_miss", "new sign-in alert was me",
  "Got an email about a new sign-in. That was me on my new laptop, just confirming it's fine.")
R(K, "how_to", False, "banking", "question", "hypothetical stolen card before trip",
  "What should I do if my card ever gets stolen? Asking before I go backpacking.")
R(K, "policy_compliance", False, "saas", "perspective", "phishing simulation permission",
  "We'd like to run a phishing simulation for our staff that mimics your login page. Is that allowed under your terms?")
R(K, "other", False, "banking", "negation", "scam caller, shared nothing",
  "Someone phoned pretending to be you and asked for my PIN. I hung up and didn't tell them anything. Just thought you should know.")
R(K, "account_change", False, "saas", "paraphrase", "change password for strength",
  "I'd like to change my password to something stronger. No problem with the account, just being careful.")
R(K, "how_to", False, "general", "near_miss", "cat changed language",
  "my cat walked across the keyboard and changed my display language lol, how do I change it back")
R(K, "account_change", False, "banking", "question", "add wife as authorised user",
  "Can I add my wife as an authorised user on my card?")
R(K, "other", False, "saas", "perspective", "friend hacked elsewhere, worried",
  "My friend got hacked on a different app. Should I be worried about my account with you?")
R(K, "how_to", False, "insurance", "question", "phone theft cover question",
  "Does my policy cover me if my phone gets stolen abroad?")
R(K, "account_change", False, "banking", "paraphrase", "replacement card for worn chip",
  "I'd like a replacement card please, the chip on mine has worn out.")
R(K, "how_to", False, "gaming", "slang", "opponent 'hacking' = cheating",
  "got hacked in a match lol, guy was obviously aimbotting. how do i report him")
R(K, "policy_compliance", False, "saas", "perspective", "pentest report shared",
  "Our pentest found nothing on your side. Sharing the report as your security team requested.")
R(K, "how_to", False, "ecommerce", "question", "forward suspicious email",
  "Received an email claiming to be from you with an attachment. I didn't open it. Where should I forward it?")
R(K, "how_to", False, "saas", "question", "turn off login alerts",
  "Can I turn off login alerts? I get one every single time I sign in on my own laptop.")
R(K, "how_to", False, "banking", "perspective", "daughter taking over old phone",
  "My daughter is taking over my old phone. How do I log out of your app on it first?")
R(K, "how_to", False, "ecommerce", "near_miss", "left card at home, pay by app",
  "Left my card at home, can I pay using the app instead?")
R(K, "how_to", False, "telecom", "near_miss", "SIM swap = moving to eSIM",
  "SIM swap question: I'm moving from a physical SIM to an eSIM, how do I do it?")
R(K, "policy_compliance", False, "banking", "story", "past theft, asks security features",
  "My wallet was stolen years ago and ever since I've been a bit paranoid. What security features do you have on the account?")
R(K, "how_to", False, "gaming", "question", "parental controls on spending",
  "How do I stop my kids making in-app purchases on my account?")
R(K, "other", False, "travel", "near_miss", "phishing email about booking, ignored",
  "Had an email about my booking asking me to 're-enter card details'. I didn't, it looked dodgy. Is my booking still fine?")
R(K, "how_to", False, "banking", "near_miss", "report lost card process question",
  "Where in the app is the option to report a card lost? Want to know for future reference.")
R(K, "other", False, "saas", "caps", "caps security praise",
  "LOVE THE NEW SECURITY DASHBOARD")
# lockout-vocabulary near-misses
R(K, "how_to", False, "banking", "question", "how many PIN attempts before block",
  "How many wrong PIN attempts before my card gets blocked?")
R(K, "how_to", False, "banking", "question", "what if OTP wrong too many times",
  "What happens if I get the OTP wrong too many times?")
R(K, "access_restore", False, "saas", "paraphrase", "first-time forgot password",
  "Forgot my password, can you send me a reset link?")
R(K, "access_restore", False, "ecommerce", "paraphrase", "reset email not arriving",
  "The password reset email never arrived. I've checked spam too.")
R(K, "access_restore", False, "banking", "question", "SMS code not arriving",
  "The verification code isn't coming through by SMS. Can I get it by email instead?")
R(K, "account_change", False, "telecom", "near_miss", "locked into contract",
  "I'm locked into a 24-month contract. How do I get out of it early?")
R(K, "how_to", False, "saas", "near_miss", "screen orientation locked",
  "My screen orientation is locked in landscape in your app, how do I unlock it?")
R(K, "how_to", False, "gaming", "near_miss", "block a user",
  "How do I block a player from messaging me?")
R(K, "account_change", False, "gaming", "near_miss", "suspended vs paused membership",
  "Is 'suspended' the same as 'paused'? I want to pause my membership for a month.")
R(K, "account_change", False, "saas", "near_miss", "temporarily deactivate on holiday",
  "I'd like to temporarily deactivate my account while I'm on holiday.")
R(K, "access_restore", False, "saas", "perspective", "SSO config error after IdP change",
  "SSO login gives 'invalid redirect URI' since we changed our IdP config this morning.")
R(K, "other", False, "ecommerce", "near_miss", "site blocks paste in password field",
  "Your site blocks pasting into the password field, which is really annoying for password manager users.")
R(K, "other", False, "general", "near_miss", "road blocked near office",
  "The road to your office is blocked by roadworks, is there another entrance?")
R(K, "account_change", False, "telecom", "negation", "past suspension resolved, update email",
  "My account was suspended last year for non-payment but that's all sorted. Can I update my email address?")
R(K, "how_to", False, "banking", "question", "reset PIN in app or branch",
  "Can I reset my PIN in the app or do I need to go into a branch?")
R(K, "access_restore", False, "saas", "paraphrase", "authenticator codes mismatch after phone change",
  "I changed phones and the authenticator codes don't work anymore.")
R(K, "access_restore", False, "saas", "question", "magic link to old email",
  "The magic link goes to my old work email. How do I get it sent somewhere else?")
R(K, "incident", False, "ecommerce", "typo", "ad blocker hides checkout",
  "blocked ads on your site and now the checkout button doesnt show, is that why??")
R(K, "policy_compliance", False, "banking", "question", "countries where blocked",
  "Which countries is your service blocked in? I'm moving for work.")
R(K, "incident", False, "banking", "paraphrase", "app keeps logging out",
  "The app keeps logging me out every few minutes.")
R(K, "account_change", False, "saas", "paraphrase", "suspend subscription while travelling",
  "Please suspend my subscription for two months while I'm travelling.")
R(K, "policy_compliance", False, "gaming", "slang", "ban policy for macros",
  "whats the ban policy on macros? dont wanna get banned by accident")
R(K, "how_to", False, "banking", "question", "code every login normal?",
  "Is it normal that it asks me for a code every time I log in?")
R(K, "incident", False, "saas", "paraphrase", "remember-me broken",
  "The 'remember me' box doesn't seem to work, I have to sign in every day.")
R(K, "access_restore", False, "utilities", "non_native", "forgot username, non-native",
  "I am forget my username for the online account, how to find it?")
R(K, "how_to", False, "saas", "perspective", "admin unlocking staff accounts",
  "As an admin, how do I unlock a staff member who's been locked out of our workspace?")
R(K, "access_restore", False, "travel", "emoji", "forgot password emoji",
  "forgot my password again 🤦‍♂️ send a reset?")
R(K, "how_to", False, "banking", "regional", "Indian English, set UPI PIN",
  "How to set UPI PIN for new debit card? Kindly guide.")
