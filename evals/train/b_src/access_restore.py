# access_restore exemplars. Each entry: (domain, content); content is a str
# (single user message) or a 3-item list [user, assistant, user].
LABEL = "access_restore"

DATA = [
    # --- logistics / couriers ---
    ("LOG", "cant log into the shipper portal, it keeps saying invalid credentials but I literally just reset it yesterday"),
    ("LOG", "Hi, our warehouse tablet asks for a 6 digit code every login and the guy who had the authenticator left the company last week. How do we get back in?"),
    ("LOG", "tracking account locked after too many attempts. how long until it unlocks??"),
    ("LOG", "forgot which email i used for my courier business account, can you find it with my phone number 0803 555 0192"),
    ("LOG", "the OTP for signing into the driver app goes to my old number which I don't have anymore"),
    ("LOG", ["hello, about the merchant dashboard", "Sure, what's going on with the merchant dashboard?", "it says session invalid every time I enter the code from the SMS"]),
    ("LOG", "My SSO login to the freight portal fails with 'user not assigned to this application'. My colleagues can get in fine."),
    ("LOG", "password reset email for the shipping portal never arrives, checked spam 3 times, whitelisted your domain, nothing"),
    ("LOG", ["Hi there", "Hello! What can I help you with?", "i cant sign in to the courier app, it says my password is wrong but i'm typing it exactly"]),

    # --- food delivery ---
    ("FOOD", "cant sign in, the app says 'verify it's you' and sends a code to an email i deleted years ago"),
    ("FOOD", "restaurant partner here - I forgot the PIN for the order tablet and the kitchen is backed up with tickets we can't accept"),
    ("FOOD", "it keeps logging me out and then says my account is temporarily blocked?? I just want to order lunch"),
    ("FOOD", "new phone, I used to log in with google and now it makes a brand new empty account instead of my old one with all my saved addresses and points"),
    ("FOOD", ["my account", "Hi! What's happening with your account?", "locked after i typed the wrong password like 4 times lol"]),
    ("FOOD", "rider app won't accept my face verification, says selfie does not match, so I can't go online tonight"),
    ("FOOD", "Reset link says expired even though I clicked it within a minute of getting it"),
    ("FOOD", "I wanted to ask for a refund on Saturday's order but I can't even get into my account to do it, forgot my password and the reset goes to my old work email"),
    ("FOOD", "is there a way to... ugh nvm, the code you texted me already expired while I was switching apps, send another one pls"),

    # --- ride-hailing ---
    ("RIDE", "Driver here. The selfie check at login keeps failing, I think because it's dark in the car. I've tried 6 times and now it says try again in 24h. That's a whole day of no income."),
    ("RIDE", "I changed my number and now can't log into my rider account because the code goes to the old sim"),
    ("RIDE", "code not received. tried 5 times. resend button greyed out"),
    ("RIDE", "my account says 'locked for security reasons' after I logged in from abroad, how do i unlock it, I'm stuck at the airport"),
    ("RIDE", "can't login with apple id anymore since I switched to android, what do I do"),
    ("RIDE", ["The code you sent", "Which code are you referring to \u2014 a login code or a promo code?", "the login one, it says incorrect every time even when I type it straight away"]),
    ("RIDE", "forgot password and the reset asks a security question about my first car, which I never set up"),
    ("RIDE", "Hola, no puedo entrar a mi cuenta, it says too many attempts. Please unlock it"),
    ("RIDE", ["my account", "Hi! What's going on with your account?", "it's asking me to verify with a code sent to an email I don't have access to anymore"]),

    # --- real estate / property management ---
    ("PROP", "So I've been with you guys since 2021, always paid on time through the tenant portal. Today I go to pay rent and it says my username doesn't exist. Tried my email, my phone, the old username, nothing. Reset says 'no account found'. Rent is due tomorrow and I don't want a late fee, can someone get me back in?"),
    ("PROP", "I'm the landlord on the account, my property manager moved the 2FA to her phone and then she quit. Need access back to my own owner portal"),
    ("PROP", "resident app keeps asking for the activation code from the welcome letter and I lost the letter when we moved in"),
    ("PROP", "The owner portal locked me out after I tried my old password. Can you unlock it before the board meeting at 6?"),
    ("PROP", ["hi I'm in unit 4B", "Hi! How can I help you today?", "the email link to set up my account expired before I could use it, can you send another"]),
    ("PROP", "I need to log a maintenance request but I forgot my password and the reset email isn't coming through"),
    ("PROP", "SSO from our company's property software into your listings portal gives 'SAML response invalid' for my user"),
    ("PROP", "my husband set up our tenant account with his email. He passed away in March and I need to get into it to see the lease and payments. I have no idea what his password was."),

    # --- HR / payroll software ---
    ("HR", "I left my old job in June and need my payslips for a mortgage application but my login was deactivated. How can I get back in to download them?"),
    ("HR", "Hi, I'm the only payroll admin at a 30-person company. My MFA was on my work phone which IT wiped and reissued this morning, so the authenticator entry is gone. Payroll has to be approved by 3pm. Who can reset my MFA and how fast?"),
    ("HR", "SSO via Azure AD fails for new hires only: AADSTS50105. Older employees log in fine"),
    ("HR", "I never got the invite email to activate my account on the HR portal, my manager says it was sent Monday"),
    ("HR", "which username am i supposed to use, employee ID or email? neither works and now it says 2 attempts left"),
    ("HR", ["The authenticator", "Happy to help \u2014 what's happening with the authenticator?", "got a new iphone and didn't transfer it, now i can't approve my team's timesheets"]),
    ("HR", "the account recovery form wants my last net pay amount to verify me, but I can't see my payslip without logging in... lol"),
    ("HR", "Hi, my ESS PIN got blocked after 3 tries"),
    ("HR", "My manager's account got locked this morning and now all the payroll approvals are stuck waiting on her. Can you unlock her?"),

    # --- crypto exchanges ---
    ("CRYPTO", "Long story short: phone fell in the lake on holiday and it had my authenticator on it. I have my passport, the email is still mine, I can answer whatever questions. I just need the 2FA removed so I can log in. There's about 3k in there and I'm kinda panicking"),
    ("CRYPTO", "login asks for email code, then SMS code, then by the time the SMS comes the email code is expired. going in circles for an hour"),
    ("CRYPTO", "account frozen after i logged in from a new laptop, it wants a video selfie and the video check fails every time"),
    ("CRYPTO", "the yubikey I registered as my only 2FA broke in half. how do I log in without it"),
    ("CRYPTO", ["I can't access my wallet", "Sorry to hear that. Is this the exchange account login or a self-custody wallet?", "the exchange login, the SMS code never arrives to my Nigerian number"]),
    ("CRYPTO", "bro my authenticator codes are all 'invalid', time sync on my phone is correct, i checked"),
    ("CRYPTO", "is there any way to restore access if I lost both my email account and my 2FA? I still have my ID and the bank card I deposited with"),
    ("CRYPTO", "Someone changed the email on my account last night and now I can't log in!! I didn't do it"),
    ("CRYPTO", ["email change", "Are you trying to change the email on your account?", "no, someone else did. i can't log in now"]),

    # --- mobile games ---
    ("GAME", "i got a new phone and my village is gone. it was linked to facebook but when I log in with fb it says no game account is linked"),
    ("GAME", "forgot which email i used for my game ID, it's a level 312 account pls help 😭"),
    ("GAME", "my little brother changed the password on my account and he doesn't remember what he set it to"),
    ("GAME", "account locked for 'suspicious activity' after I played on a vpn for one evening. I just want back in"),
    ("GAME", "game says 'guest account cannot be recovered' but I spent like 50 bucks on it, there must be some way"),
    ("GAME", ["yo", "Hey! What can I help with?", "cant get into my main acc after reinstalling, it started me on a new lvl 1 save"]),
    ("GAME", "login with google play games keeps failing, 'sign-in required', reinstalled twice already"),
    ("GAME", "recovery email goes to spam, fine, but then the link says invalid token"),
    ("GAME", "someone hacked my account and changed the email and password. I still have all the purchase receipts from the app store if that helps prove it's mine"),

    # --- car rental / leasing ---
    ("CAR", "cannot unlock the car because the app logged me out and now the SMS code to log back in isn't coming. I'm standing next to the car"),
    ("CAR", "forgot password for the lease customer portal, the reset asks for my contract number which is in the glovebox of the car i already returned"),
    ("CAR", "my account got blocked after I typed the wrong PIN at the key box 3 times"),
    ("CAR", "corporate fleet account \u2014 my colleague set it up with SSO but I get 'no access to this tenant' when I sign in"),
    ("CAR", ["booking ref CX-44821", "Thanks \u2014 what do you need help with on booking CX-44821?", "I can't log in to see it, the app says my email isn't verified and the verification email never comes"]),
    ("CAR", "2-step verification keeps sending the code to my US number, I'm in Lisbon with a local sim now"),
    ("CAR", "new phone, the digital key didn't carry over and when it asks me to log in again my password doesn't work anymore"),
    ("CAR", "hi forgot my username for the leasing account, it isn't my email apparently"),

    # --- gyms / fitness apps ---
    ("GYM", "the app logged me out and my entry QR won't show until I log in, and login says wrong password. standing at the turnstile rn"),
    ("GYM", "can't sign in with apple, it says an account already exists with this email"),
    ("GYM", "I'm locked out of my account and need to book spin in 20 minutes before it fills up"),
    ("GYM", "my PIN for the front door kiosk stopped working, the staff said it's been locked and I need to contact you"),
    ("GYM", ["Sign in problem", "I can help with that. What happens when you try to sign in?", "it sends the magic link but tapping it just opens the app on the login screen again"]),
    ("GYM", "trainer account - I set up 2FA last week and then lost my phone at the gym, of all places"),
    ("GYM", "Hi, I registered through my employer's wellness program and I never set a password. How do I get in?"),
    ("GYM", "my watch still syncs but I can't log into the website anymore, reset mail not arriving"),

    # --- government / public services portals ---
    ("GOV", "I forgot my username for the tax portal and the recovery asks for a letter code mailed to my old address"),
    ("GOV", "my digital ID app was on my old phone, now I can't log in to renew my licence"),
    ("GOV", "e-services account locked after 5 wrong passwords. I need to file before the deadline on friday"),
    ("GOV", "aadhaar OTP nahi aa raha login ke liye, mobile number is linked, tried since morning"),
    ("GOV", ["my citizen account", "Hi, what's happening with your citizen account?", "the security questions don't match what I remember and now it's locked me out"]),
    ("GOV", "Log in with BankID fails and says 'identification cancelled' every time, even though I approve it on my phone"),
    ("GOV", "new phone, and the government login app wants me to re-verify by scanning my passport chip but it never reads it"),
    ("GOV", "pls the password reset page says my date of birth doesn't match records but it's definitely correct, it's on my passport"),
    ("GOV", ["Question about the reset", "Sure \u2014 which reset do you mean?", "the password one, I did it and the new password still isn't accepted"]),

    # --- mobile carriers (India / Nigeria / Philippines) ---
    ("TEL", "sir my self care app login otp not coming since morning, i want to check my balance"),
    ("TEL", "my MPIN got blocked after wrong entries, how to unblock? I need to send money today"),
    ("TEL", "phone says SIM PUK locked after i entered wrong PIN 3 times. what is my PUK code"),
    ("TEL", "abeg I forgot my password for the app, and the reset is sending to email wey I no dey use again"),
    ("TEL", ["Hello po", "Hello! How can I help you today?", "cannot log in to my account po, it says account temporarily locked"]),
    ("TEL", "new phone, the app needs sim verification but i'm on dual sim and it keeps saying verification failed"),
    ("TEL", "my USSD PIN for mobile money is locked, pls reset it"),
    ("TEL", "I'm not receiving the OTP since I ported to this network last week, so can't login to my postpaid account"),
    ("TEL", ["sim", "Hi! What's the issue with your SIM?", "it ask for PUK code, i dont know it"]),

    # --- developer tools / APIs ---
    ("DEV", "Locked out of the dashboard, lost my 2FA device and my backup codes. I'm the org owner so nobody else can reset it"),
    ("DEV", "GitHub OAuth login to your console fails with 'redirect_uri mismatch' for me only, teammates are fine"),
    ("DEV", "We enforce SAML via Okta. Yesterday our Okta admin rotated the signing cert and uploaded the new one to your side \u2014 or thought he did. Now every login returns 'Invalid signature' and the only person with a break-glass account is on a flight to Singapore. Can support temporarily disable SSO enforcement for org 44120 so I can fix the cert?"),
    ("DEV", "reset password email isn't reaching my work domain, probably our mail filter. any alternative way to verify me?"),
    ("DEV", ["API console", "Sure \u2014 what's up with the API console?", "it won't accept my passkey since I moved to a new laptop"]),
    ("DEV", "the CLI login flow opens the browser, i approve, then the terminal says 'device code expired'. every time"),
    ("DEV", "my personal account got merged into the company org and now my old password doesn't work. which login am I supposed to use?"),
    ("DEV", "getting 'email not verified' at login, but I verified it back in 2021"),
    ("DEV", ["backup codes", "What would you like to know about backup codes?", "i used the last one and now my authenticator is gone too"]),
]
