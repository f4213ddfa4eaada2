LABEL = "billing"

DATA = [
    # --- logistics / couriers ---
    ("LOG", "why was I charged a 'remote area surcharge' for a delivery to a normal suburb 10 mins from your depot"),
    ("LOG", "invoice SH-20931 shows 14kg but the parcel was 4kg, pls correct the weight charge"),
    ("LOG", "paid cash on delivery to the rider but the app still shows amount due \u20a67,500"),
    ("LOG", "Can you reissue the VAT invoice for last month's shipments in our company name? The one you sent only has my personal name on it and accounts rejected it."),
    ("LOG", "customs duty was charged twice on the same package, once at the door in cash and once on my card"),
    ("LOG", ["my last shipment", "Sure, what's the issue with your last shipment?", "you billed me for express but it took 6 days"]),
    ("LOG", "how much to send a 2kg box from Manila to Cebu"),
    ("LOG", "our monthly statement has the fuel surcharge at 18% but our contract says 12. Been like this since August, so we need a credit for 3 months"),
    ("LOG", "redelivery fee?? I was home all day, the driver never even knocked"),

    # --- food delivery ---
    ("FOOD", "charged for a meal I never got, order 88213"),
    ("FOOD", "why is the service fee higher on weekends"),
    ("FOOD", "refund still not in my account, it's been 9 days and your email said 3-5"),
    ("FOOD", "I was charged twice for the same order, screenshot from my bank attached"),
    ("FOOD", "the promo code didn't apply and I paid full price, can you credit me the difference"),
    ("FOOD", ["the tip", "What about the tip?", "I set 10% but it took 10 dollars"]),
    ("FOOD", "Restaurant owner here. The commission on my payout statement is 30% but we signed at 22%. That's a lot of money on 400 orders a week, please fix and back-pay"),
    ("FOOD", "card declined at checkout but my bank already shows the pending charge"),
    ("FOOD", "please send a receipt with our GST number for order 5521, it was a team lunch"),
    ("FOOD", ["order from last night", "Sorry to hear something went wrong. What happened with last night's order?", "half the items were missing but I paid for all of it, I want the money back for the fries and drinks"]),
    ("FOOD", "the app is broken, it charged me 3 times for one order!!"),

    # --- ride-hailing ---
    ("RIDE", "driver took a massive detour and I got charged double the estimate"),
    ("RIDE", "cancellation fee charged but the DRIVER cancelled, not me"),
    ("RIDE", "what's this $1.50 'booking fee' on every single trip"),
    ("RIDE", "surge was 2.3x at 3am on a tuesday, are you serious"),
    ("RIDE", "Driver side: my weekly payout is missing all the tips from Saturday night"),
    ("RIDE", ["trip from yesterday", "Sure, what happened with yesterday's trip?", "there's a cleaning fee of 80 on it and I didn't make any mess"]),
    ("RIDE", "pls change the card on file, the old one expired and my ride is waiting outside"),
    ("RIDE", "toll charge was added but we didn't use any toll road, I was watching the map"),
    ("RIDE", "unrecognised charge from you guys on my credit card and I don't even have an account"),

    # --- property management ---
    ("PROP", "Why does my ledger show a late fee when I paid rent on the 1st"),
    ("PROP", "my security deposit refund was $600 short and nobody itemized the deductions"),
    ("PROP", "autopay took rent twice this month, I need one of them back asap"),
    ("PROP", "what is the 'convenience fee' when paying rent by card"),
    ("PROP", "the water bill split between units looks wrong. we're 2 people and pay the same as the 6-person unit next door"),
    ("PROP", ["Hi, the ledger", "Hi! What's wrong with the ledger?", "it still shows last month's balance after I paid through the bank"]),
    ("PROP", "owner statement for march is missing the rent from unit 3, the tenant showed me the payment confirmation"),
    ("PROP", "can I pay half the rent now and the other half on the 15th without getting a late fee? my paycheck got delayed"),

    # --- HR / payroll software ---
    ("HR", "we were invoiced for 48 employees but we only have 41 active, 7 were terminated in the system in September"),
    ("HR", "our card failed and now payroll is on hold?? here's a new card, ending 4471, please charge it today"),
    ("HR", "why did our subscription price go up 20% at renewal without any notice"),
    ("HR", "need a credit note for the duplicate invoice INV-7781"),
    ("HR", "We're an EU business with a valid VAT ID, so the invoice should be reverse charge, but the last two invoices included 21% VAT. Please correct them."),
    ("HR", ["pricing question", "Sure \u2014 what would you like to know?", "how much per employee if we go above 100"]),
    ("HR", "we're still being charged for the benefits add-on that we removed in January"),
    ("HR", "the direct debit bounced because our bank changed our account number, how do we pay this month's invoice so we don't lose access"),

    # --- crypto exchanges ---
    ("CRYPTO", "why is the withdrawal fee for USDT 25 dollars, it was 1 last week"),
    ("CRYPTO", "deposited via bank transfer 3 days ago still not credited, ref 7729104"),
    ("CRYPTO", "my card purchase of BTC shows a 4% fee on top of the spread, that's not what the preview screen said"),
    ("CRYPTO", "trading fee tier should be VIP1 based on my 30-day volume but I'm still being charged the base rate"),
    ("CRYPTO", "Please send me a statement of all fees I paid in 2023, my accountant needs it for my tax return"),
    ("CRYPTO", ["P2P order 77120", "What's the issue with P2P order 77120?", "I paid the seller but the order got cancelled and my naira is gone"]),
    ("CRYPTO", "unrecognized charge from your exchange on my visa for 49.99"),
    ("CRYPTO", "why was I charged a conversion fee when I bought with EUR on a EUR pair"),
    ("CRYPTO", ["about the fees", "Sure, which fees are you asking about?", "the ones on my last withdrawal, you took 3 times what the fee page says"]),

    # --- mobile games ---
    ("GAME", "bought the 1200 gem pack, money left my account, no gems"),
    ("GAME", "My son spent almost $300 on in-app purchases over the weekend using my card, without asking. I've taken the tablet away, but I need that money refunded please."),
    ("GAME", "battle pass charged me twice"),
    ("GAME", "why does the same skin cost 9.99 in the US and 14.99 here"),
    ("GAME", "the VIP subscription renewed even though I cancelled it last month, I want this charge reversed"),
    ("GAME", ["the starter bundle", "What would you like to know about the starter bundle?", "i paid for it but it still shows the buy button"]),
    ("GAME", "google play charged me but the game says purchase failed"),
    ("GAME", "pls send me receipts for all my purchases in march, I need them for my accountant (i stream full time)"),

    # --- car rental / leasing ---
    ("CAR", "you charged my card 350 for 'damage' after return, the car was fine and I have timestamped photos from drop-off"),
    ("CAR", "fuel charge on return even though I filled it up, receipt from the station attached"),
    ("CAR", "the deposit hold of 500 is still on my card 2 weeks after returning the car"),
    ("CAR", "lease invoice includes excess mileage but I'm 3000km under my allowance"),
    ("CAR", "why is the young driver fee charged per day and not per rental?"),
    ("CAR", ["parking fine", "I can help. What about the parking fine?", "you charged me a 40 admin fee on top of the fine itself, that's ridiculous"]),
    ("CAR", "monthly lease payment failed because I changed banks, how can I pay it now before the late fee kicks in"),
    ("CAR", "the one-way rental was quoted 220 but I was billed 310"),

    # --- gyms / fitness apps ---
    ("GYM", "I froze my membership but you still took the monthly fee"),
    ("GYM", "joining fee was supposed to be waived with the January promo"),
    ("GYM", "charged for a personal training session I cancelled 48h in advance"),
    ("GYM", "what's the price for the annual plan vs paying monthly"),
    ("GYM", "my direct debit failed this month, will I be charged a penalty?"),
    ("GYM", ["my bank statement", "What are you seeing on your bank statement?", "two payments of 39.99 from you on the same day"]),
    ("GYM", "could you send an invoice with my company's details for the corporate gym reimbursement? the standard receipt isn't enough for them"),
    ("GYM", "the app subscription bills me in USD even though I'm in Canada, so my bank adds a foreign transaction fee every month"),
    ("GYM", ["Cancelled last month", "Thanks for letting me know. What do you need help with?", "you still took this month's payment"]),

    # --- government / public services ---
    ("GOV", "paid for passport renewal online, money taken from my account, but application still says payment pending"),
    ("GOV", "I was charged the late fee for vehicle registration but I paid 2 days before the deadline, I have the bank confirmation"),
    ("GOV", "council tax bill is for band D but my property is band C"),
    ("GOV", "how much is the fee for a certified copy of a birth certificate"),
    ("GOV", "refund for the cancelled visa appointment fee pls, the embassy cancelled not me"),
    ("GOV", ["I paid the fine", "Thanks for letting us know. What's the issue with the fine payment?", "it still shows as unpaid and now there's a penalty added"]),
    ("GOV", "paid twice for my business permit, once by card and once by bank transfer, because the first one looked like it failed"),
    ("GOV", "why is there a 2.5% convenience fee when I pay my property tax by card"),

    # --- mobile carriers (India / Nigeria / Philippines) ---
    ("TEL", "bhai 239 ka recharge kiya, paisa kat gaya but plan active nahi hua"),
    ("TEL", "bakit nabawasan yung load ko, wala naman akong ginamit. I'm on unli data promo"),
    ("TEL", "sir my postpaid bill is 2400 but my plan is 999 only"),
    ("TEL", "abeg you people deducted 500 naira for a service i never subscribed to"),
    ("TEL", "bought 3GB data bundle but it took from my airtime balance instead of the bank"),
    ("TEL", ["Hello po regarding my bill", "Hello! What's the concern with your bill?", "there's roaming charges but I never left Cebu"]),
    ("TEL", "what is the price of the 30 days 10GB bundle"),
    ("TEL", "my top-up via card failed but money gone from account, txn id 8812-0045-33"),
    ("TEL", "VAS charges of 30 rupees every week for some 'cricket alerts', I want refund of all of it"),
    ("TEL", ["I load 100", "Thanks \u2014 what happened after you loaded 100?", "only 80 went in, where is the 20?"]),

    # --- developer tools / APIs ---
    ("DEV", "we got billed for 14M API calls but our logs show about 3M"),
    ("DEV", "overage charges on the free tier? I thought it just rate limits you"),
    ("DEV", "our invoice is missing the PO number, finance won't pay it without it. PO-88120"),
    ("DEV", "card charged in USD but our billing currency is set to EUR"),
    ("DEV", "what does the 'compute units' line item on my bill actually mean, it's 80% of the invoice"),
    ("DEV", ["hey re: invoice 2024-0113", "Hi! What's the question about invoice 2024-0113?", "the reverse charge VAT note is missing, we're a German company"]),
    ("DEV", "payment failed, the account got downgraded, how do i retry the payment"),
    ("DEV", "refund please, I accidentally bought the annual Pro plan instead of monthly about 10 minutes ago"),
]
