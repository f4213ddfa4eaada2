LABEL = "how_to"

DATA = [
    # --- logistics / couriers ---
    ("LOG", "how do I schedule a pickup for tomorrow morning"),
    ("LOG", "what's the max weight for a standard parcel?"),
    ("LOG", "can I change the delivery address after the parcel is already shipped"),
    ("LOG", "how long does delivery take from Lagos to Abuja usually"),
    ("LOG", "how to print labels in bulk from a csv"),
    ("LOG", "can the recipient pick it up from a parcel locker instead of home delivery?"),
    ("LOG", ["international", "Are you asking about international shipping?", "yes, do you ship to Canada and how long does it take"]),
    ("LOG", "how do I get a proof of delivery document to attach to an insurance claim"),
    ("LOG", "Is there a way to save a default box size so I don't have to type the dimensions every single time? We ship the same 3 box sizes all day"),

    # --- food delivery ---
    ("FOOD", "how do I schedule an order for later tonight"),
    ("FOOD", "can I order for someone else to a different address, my mum is sick"),
    ("FOOD", "is there a minimum order amount?"),
    ("FOOD", "how to add dietary preferences so it only shows vegan places"),
    ("FOOD", "restaurant owner: how do I mark an item as sold out just for today"),
    ("FOOD", "do you deliver to E14?"),
    ("FOOD", ["group order", "Sure \u2014 what would you like to know about group orders?", "how do I invite colleagues so everyone adds their own food to one cart"]),
    ("FOOD", "how do I get an invoice for a company lunch order? I need it for expenses"),
    ("FOOD", "I want to become a delivery rider, what documents do I need and can I use a bicycle?"),

    # --- ride-hailing ---
    ("RIDE", "how do I book a ride for my mom, she doesn't have the app"),
    ("RIDE", "can I schedule a ride to the airport for 5am tomorrow"),
    ("RIDE", "how do I add a stop on the way"),
    ("RIDE", "what kind of car do I need to drive for XL"),
    ("RIDE", "is there a way to share my trip live with my family"),
    ("RIDE", ["pets", "What would you like to know about pets?", "can I bring my dog in a regular ride or do I need a special option"]),
    ("RIDE", "how do i use a gift card to pay for rides"),
    ("RIDE", "driver: how do I set a destination filter so I only get rides heading home at the end of the shift"),
    ("RIDE", "I think I left my headphones in the car last night, how do I contact the driver?"),

    # --- property management ---
    ("PROP", "how do I set up autopay for rent"),
    ("PROP", "how do I submit a maintenance request with photos"),
    ("PROP", "can I see my payment history for the whole year in the app"),
    ("PROP", "property manager here, how do I list a new unit and reorder the photos"),
    ("PROP", "what's the process to reserve the clubhouse for a birthday party"),
    ("PROP", "landlord here, how do I run a background check on an applicant through your platform"),
    ("PROP", ["parking", "What would you like to know about parking?", "how do I register a guest vehicle for the weekend"]),
    ("PROP", "how do I download my rent receipts for my tax return"),
    ("PROP", "can I set up reminders a few days before rent is due"),
    ("PROP", ["the gym in our building", "What would you like to know about the building gym?", "how do I get my fob activated for it"]),

    # --- HR / payroll software ---
    ("HR", "how do I add a new pay component like a night shift allowance"),
    ("HR", "where do I find my P60"),
    ("HR", "how to set up a custom approval flow for expenses over 500"),
    ("HR", "can employees see each other's leave on a team calendar? how do I turn that on"),
    ("HR", "how do I export payroll to our accounting system as CSV"),
    ("HR", "what's the max number of pay groups per company"),
    ("HR", ["bank details", "What would you like to know about bank details?", "where in the app do employees update them themselves"]),
    ("HR", "how do I run an off-cycle payroll for a one-time bonus"),
    ("HR", "does the mobile app support clock in with geofencing?"),
    ("HR", ["Leave", "What would you like to know about leave?", "how do I set carry-over rules so unused days roll into next year"]),

    # --- crypto exchanges ---
    ("CRYPTO", "how long do SEPA withdrawals take"),
    ("CRYPTO", "what network should I choose to send USDT from here to my own wallet? don't want to lose it"),
    ("CRYPTO", "minimum withdrawal for SOL?"),
    ("CRYPTO", "how do I set up a recurring buy every Monday"),
    ("CRYPTO", "how to create API keys with trade-only permission, no withdrawals"),
    ("CRYPTO", ["staking", "What would you like to know about staking?", "can I unstake any time or is there a lock period"]),
    ("CRYPTO", "how do I export my full trade history for my accountant"),
    ("CRYPTO", "can I use stop-limit orders on the mobile app"),
    ("CRYPTO", "is there a daily withdrawal limit for level 2 verified accounts"),

    # --- mobile games ---
    ("GAME", "how do I transfer my progress from iPhone to Android"),
    ("GAME", "how to join a clan"),
    ("GAME", "what's the max hero level right now"),
    ("GAME", "how do I turn off in-app purchases on my kid's tablet for this game"),
    ("GAME", "how do i redeem a code from the stream"),
    ("GAME", ["Trading", "What would you like to know about trading?", "can I trade items with friends or only sell on the market"]),
    ("GAME", "when does the season reset"),
    ("GAME", "how to link my account to an email so I don't lose it if I change phones"),
    ("GAME", "what level do you need to be to unlock ranked"),

    # --- car rental / leasing ---
    ("CAR", "how do I add a second driver to my booking"),
    ("CAR", "how do I return the car after hours, the branch closes at 6"),
    ("CAR", "can I take the rental across the border into Mexico?"),
    ("CAR", "how does the mileage allowance work on the 36 month lease"),
    ("CAR", ["EV charging", "What would you like to know about charging?", "how do I use the charge card that came in the glovebox"]),
    ("CAR", "how do I extend my rental by 2 days from the app"),
    ("CAR", "can I pick up at the airport and drop off downtown"),
    ("CAR", "how long does it take for the lease car to be delivered after signing"),
    ("CAR", "Hey, first time renting with you. Do I need to bring my physical licence or is the photo I uploaded enough? And is it ok if the card is in my partner's name?"),

    # --- gyms / fitness apps ---
    ("GYM", "how do I book a class for next week"),
    ("GYM", "can I bring a guest with my membership"),
    ("GYM", "how to connect my garmin to the app"),
    ("GYM", "how many classes per month can I book on the basic plan"),
    ("GYM", "where do I find the workout plan my trainer made me"),
    ("GYM", ["the sauna", "What would you like to know about the sauna?", "is it included in my membership or is it extra"]),
    ("GYM", "can I use my membership at other locations when I travel for work"),
    ("GYM", "how do I set up a weekly goal"),
    ("GYM", "what are the opening hours on public holidays"),

    # --- government / public services ---
    ("GOV", "what documents do I need to renew my driving licence"),
    ("GOV", "how long does it take to get a passport after applying"),
    ("GOV", "how do I book an appointment at the nearest office"),
    ("GOV", "can I apply for my child's ID card online or do we have to go in person"),
    ("GOV", "how to check the status of my application"),
    ("GOV", ["building permit", "What would you like to know about building permits?", "can I apply for one fully online through the portal or do I still need to post drawings"]),
    ("GOV", "am I eligible for housing benefit if I'm a full-time student"),
    ("GOV", "how to download my vaccination certificate"),
    ("GOV", "how do I pay my property tax in instalments instead of all at once"),

    # --- mobile carriers (India / Nigeria / Philippines) ---
    ("TEL", "how to check my data balance"),
    ("TEL", "paano mag-share ng load sa kapatid ko"),
    ("TEL", "sir how to activate international roaming, mujhe next week Dubai jaana hai"),
    ("TEL", "what is the USSD code to borrow airtime"),
    ("TEL", "can I carry forward unused data to next month?"),
    ("TEL", ["eSIM", "What would you like to know about eSIM?", "does my iphone 12 support it and how to activate"]),
    ("TEL", "how to set up voicemail on my number"),
    ("TEL", "how many days is the validity of the 199 recharge"),
    ("TEL", "how to check my own number, I forgot it lol"),
    ("TEL", ["promo", "Which promo are you asking about?", "the unli calls one, how do I register, what's the keyword"]),

    # --- developer tools / APIs ---
    ("DEV", "what's the rate limit on the search endpoint for the free tier"),
    ("DEV", "how do I verify webhook signatures in python"),
    ("DEV", "does the node SDK support ESM imports or only require()"),
    ("DEV", "how do I rotate an API key without downtime"),
    ("DEV", "is there a sandbox environment for testing payments"),
    ("DEV", ["pagination", "What would you like to know about pagination?", "is it cursor based or offset, the docs show both"]),
    ("DEV", "can I restrict an API key to certain IP addresses"),
    ("DEV", "how do I retry failed webhook deliveries manually"),
    ("DEV", "max payload size for the upload endpoint?"),
    ("DEV", ["idempotency", "What would you like to know about idempotency?", "how long do you keep the keys, can I reuse one after a day"]),
]
