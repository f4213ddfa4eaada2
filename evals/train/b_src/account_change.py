LABEL = "account_change"

DATA = [
    # --- logistics / couriers ---
    ("LOG", "please close our business shipping account, we're moving to another courier from next month"),
    ("LOG", "change the company name on the account to Kite Logistics Ltd, we rebranded"),
    ("LOG", "add 3 new users to our shipper dashboard for the warehouse team"),
    ("LOG", "remove Peter from our account, he left the company on Friday"),
    ("LOG", "upgrade us to the volume plan please, we're doing 2k parcels a month now"),
    ("LOG", ["my pickup address", "What would you like to do about the pickup address?", "update it to our new warehouse: 17 Dock Road, Tema"]),
    ("LOG", "transfer account ownership to my business partner, I'm stepping away from the company"),
    ("LOG", "we'd like to pause the monthly plan over the holidays, we close Dec 20 to Jan 6"),
    ("LOG", "We merged with another small e-commerce company and they also have an account with you. Can you combine the two into one so we get one invoice and one dashboard?"),

    # --- food delivery ---
    ("FOOD", "delete my account please"),
    ("FOOD", "cancel my Plus membership, I don't order enough for it to be worth it"),
    ("FOOD", "change the phone number on my account to 07700 900418"),
    ("FOOD", "we're permanently closing the restaurant at the end of the month, please take us off the app"),
    ("FOOD", "switch my membership from monthly to annual"),
    ("FOOD", ["my email", "What would you like to do with your email?", "change it to my new one, the old address got hacked"]),
    ("FOOD", "I read the new privacy terms and I'm out. Close my account."),
    ("FOOD", "add my husband to the family plan"),
    ("FOOD", "close my account, you double charged me again and I'm done with this app"),

    # --- ride-hailing ---
    ("RIDE", "I want to deactivate my driver account, I found a full-time job"),
    ("RIDE", "change the name on my account, I got married"),
    ("RIDE", "remove my old work profile from my account, I don't work there anymore"),
    ("RIDE", "switch my business account back to a personal one"),
    ("RIDE", "cancel the ride pass subscription"),
    ("RIDE", ["our company account", "What would you like to change on the company account?", "add 15 employees and set a monthly ride budget for each"]),
    ("RIDE", "replace the vehicle on my driver profile, I sold the corolla and got a prius"),
    ("RIDE", "please delete everything and close my account"),
    ("RIDE", ["emergency contact", "Would you like to add or change an emergency contact?", "change it to my sister, +63 917 555 0143"]),

    # --- property management ---
    ("PROP", "I'm moving out end of the month so please cancel the renter's insurance add-on"),
    ("PROP", "add my new roommate to the lease account, her name is Dana Ruiz"),
    ("PROP", "change the owner on the account to our LLC, paperwork attached"),
    ("PROP", "downgrade us to the starter plan, we sold 20 of our units"),
    ("PROP", "update my emergency contact to my brother"),
    ("PROP", ["unit 12", "What would you like to change for unit 12?", "transfer it to the new owner, the sale closed yesterday"]),
    ("PROP", "please remove my ex-partner's access to the tenant portal, we've separated and she moved out"),
    ("PROP", "pause the listing subscription for 3 months while we renovate"),
    ("PROP", ["my lease ends Friday", "What would you like to do when your lease ends?", "close my portal account, don't want any more emails after that"]),

    # --- HR / payroll software ---
    ("HR", "upgrade us to the plan with performance reviews"),
    ("HR", "we're downsizing, drop us from 60 seats to 35 from next cycle"),
    ("HR", "change our registered company address to the new office"),
    ("HR", "cancel our subscription at the end of the contract term please, we won't renew"),
    ("HR", "transfer the admin role from me to Sarah Chen, I'm going on maternity leave next week"),
    ("HR", ["Tax ID", "What would you like to do about the tax ID?", "we changed company structure and the new EIN is different \u2014 please update it on our account"]),
    ("HR", "add our new subsidiary as a separate entity under the same account"),
    ("HR", "I'm an employee, please change my surname on my profile, I got married and the admin keeps ignoring my emails"),
    ("HR", ["Payroll module", "What would you like to change about the payroll module?", "turn it off, we're outsourcing payroll from next month"]),

    # --- crypto exchanges ---
    ("CRYPTO", "close my account, I already withdrew everything"),
    ("CRYPTO", "change my registered email to my new one"),
    ("CRYPTO", "upgrade to a corporate account, we incorporated"),
    ("CRYPTO", "remove the sub-account I made for testing"),
    ("CRYPTO", "please disable futures trading on my account entirely, I don't trust myself with it"),
    ("CRYPTO", ["my debit card", "What's going on with your debit card?", "lost it in a taxi, block it please"]),
    ("CRYPTO", "update my address, I moved from Abuja to Lagos. do you need new proof of address?"),
    ("CRYPTO", "switch me from the VIP tier to the flat fee plan"),

    # --- mobile games ---
    ("GAME", "delete my account and all my progress"),
    ("GAME", "change my username, it's still my old gamertag from when I was 12 lol"),
    ("GAME", "cancel the monthly VIP pass"),
    ("GAME", "can you merge my two accounts into one, I have one on ios and one on android"),
    ("GAME", "unlink my facebook from my game account"),
    ("GAME", ["Region", "What would you like to do about your region?", "move my account to the EU server, I moved countries"]),
    ("GAME", "I quit. deactivate."),
    ("GAME", "the game keeps crashing every match and I've had enough, cancel my subscription"),

    # --- car rental / leasing ---
    ("CAR", "end my car subscription at the end of this month"),
    ("CAR", "switch my lease to a smaller car, the payments are too much for me right now"),
    ("CAR", "add my wife as a named driver on the lease"),
    ("CAR", "change my billing address, I moved"),
    ("CAR", "transfer the lease over to my company"),
    ("CAR", ["the key card", "What's happening with the key card?", "I lost it yesterday, please deactivate it and send me a new one"]),
    ("CAR", "close my membership in the car sharing club"),
    ("CAR", "update my driving licence details, I got a renewed licence with a new number"),

    # --- gyms / fitness apps ---
    ("GYM", "cancel my membership"),
    ("GYM", "freeze my membership for 2 months, I broke my ankle"),
    ("GYM", "upgrade me to the all-clubs plan"),
    ("GYM", "change my home club to the one on Baker St"),
    ("GYM", "my membership card got stolen with my wallet, block it and issue a new one"),
    ("GYM", ["family plan", "What would you like to change on the family plan?", "remove my daughter, she's off to uni in another city"]),
    ("GYM", "switch me from the 12-month contract to monthly rolling"),
    ("GYM", "update my phone number and email please"),
    ("GYM", "Hi, I'm relocating to Manchester for work in March. I don't want to cancel because I like you guys, but I want to move my membership to your Manchester Piccadilly club and drop the sauna add-on since that club doesn't have one."),

    # --- government / public services ---
    ("GOV", "change my address on my portal profile"),
    ("GOV", "delete my online account, I'll do everything by post from now on"),
    ("GOV", "add my accountant as a representative on my business tax account"),
    ("GOV", "remove my ex as an authorised person on my benefits account"),
    ("GOV", "update my name after marriage"),
    ("GOV", ["my company", "What would you like to update for your company?", "we changed directors, remove the old one and add Mrs. Adeyemi"]),
    ("GOV", "switch my correspondence from paper letters to email only"),
    ("GOV", "close my late mother's online account please, I have the death certificate"),

    # --- mobile carriers (India / Nigeria / Philippines) ---
    ("TEL", "mera number port karna hai Jio se Airtel, UPC bhej do"),
    ("TEL", "convert my prepaid line to postpaid"),
    ("TEL", "abeg help me block this sim, dem steal my phone inside danfo"),
    ("TEL", "deactivate the caller tune, I did not add it"),
    ("TEL", "change the registered name on my line to my own, it's in my brother's name"),
    ("TEL", ["my plan", "What would you like to do with your plan?", "downgrade to the 499 one, 999 is too costly"]),
    ("TEL", "I lost my sim, I want a replacement with the same number"),
    ("TEL", "stop the auto-renewal of my data bundle"),
    ("TEL", "switch me to the unli 599 plan po"),

    # --- developer tools / APIs ---
    ("DEV", "downgrade our org to the free tier"),
    ("DEV", "delete my account and all the projects under it"),
    ("DEV", "transfer ownership of the org to cto@acme.io"),
    ("DEV", "add 5 seats for our contractors"),
    ("DEV", "rename our organization from 'test-org-2' to 'Acme'"),
    ("DEV", ["our plan", "What would you like to change about your plan?", "move us from Team to Enterprise, we need SSO"]),
    ("DEV", "remove the ex-employee's access to our workspace"),
    ("DEV", "cancel the extended log retention add-on, we don't need 90 days"),
]
