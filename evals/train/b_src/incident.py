LABEL = "incident"

DATA = [
    # --- logistics / couriers ---
    ("LOG", "tracking page just shows a spinning wheel for every parcel number I try"),
    ("LOG", "label API returning 503 since 9am, our whole dispatch is stuck, 300 parcels waiting"),
    ("LOG", "scanner app crashes when I scan the barcode on the 'deliver' screen, happens on every parcel"),
    ("LOG", "SMS notifications to recipients stopped going out, our customers are calling us asking where their stuff is"),
    ("LOG", "the proof of delivery photos aren't uploading, just says retrying... for 2 hours"),
    ("LOG", ["the label printer thing", "What's happening with the label printing?", "every label comes out blank since the update last night"]),
    ("LOG", "is the site down? can't book a pickup, page times out"),
    ("LOG", "Shopify integration stopped syncing orders at midnight, there are about 200 orders that aren't in your system"),
    ("LOG", "the refund claim form for lost parcels throws an error when I hit submit"),
    ("LOG", ["the driver app", "What's happening with the driver app?", "map is just grey, can't see the route for my drops"]),

    # --- food delivery ---
    ("FOOD", "app stuck on 'finding your courier' for 40 mins and the food is probably cold by now"),
    ("FOOD", "can't place any order, every restaurant shows closed at 7pm on a friday? something's off"),
    ("FOOD", "restaurant tablet isn't ringing for new orders, we missed 6 tonight before noticing"),
    ("FOOD", "tracking map frozen, my driver is apparently in the ocean lol"),
    ("FOOD", "app crashes the second I open the cart on android 14"),
    ("FOOD", ["checkout", "What's happening at checkout?", "the pay button does nothing, tried 3 different cards"]),
    ("FOOD", "menu changes I made in the partner portal aren't showing to customers since yesterday. We're still selling a dish we ran out of"),
    ("FOOD", "rider app shows no orders all evening while my friends in the same area are getting plenty"),
    ("FOOD", "the vouchers page just says 'something went wrong' every time I open it"),

    # --- ride-hailing ---
    ("RIDE", "app keeps saying 'no drivers nearby' but I can literally see 5 of your cars outside the mall"),
    ("RIDE", "driver app GPS is jumping everywhere, trip distance says 200km for a 5km ride"),
    ("RIDE", "can't request a ride, 'network error' on both wifi and 4g"),
    ("RIDE", "I pressed the SOS button last night during a scary moment and nothing happened at all. No call, no message. I'm safe now but this needs to be looked at."),
    ("RIDE", "in-app chat with the driver isn't sending, messages stay grey"),
    ("RIDE", ["the app", "What's going on with the app?", "it closes itself whenever I try to add a stop"]),
    ("RIDE", "driver here, app logged me off mid-trip and won't let me end the ride, passenger is already out"),
    ("RIDE", "ETA stuck on 3 min for the last 20 minutes, driver icon not moving"),

    # --- property management ---
    ("PROP", "the online rent payment page is giving error 500, rent is due today"),
    ("PROP", "maintenance requests I submit through the app aren't reaching the office, they say they got nothing from me in 2 weeks"),
    ("PROP", "the smart lock app says 'device offline' for my unit"),
    ("PROP", "listings haven't synced to the portals since friday, all our vacancies are invisible"),
    ("PROP", "tenant screening reports stuck on 'processing' for 3 days"),
    ("PROP", ["intercom", "What's happening with the intercom?", "the app doesn't ring when visitors buzz anymore, missed two deliveries"]),
    ("PROP", "the owner dashboard shows $0 for every property this morning, freaked me out"),
    ("PROP", "Signing the lease renewal fails at the very last step with 'document locked'. I've tried on my laptop and my phone, Chrome and Safari. My current lease ends Sunday so I really need this working."),

    # --- HR / payroll software ---
    ("HR", "payroll run failed with 'calculation error' for 12 employees, payday is tomorrow"),
    ("HR", "the clock-in kiosk is offline at our Leeds site, whole morning shift can't clock in"),
    ("HR", "time-off requests aren't showing up for managers to approve"),
    ("HR", "the integration with our accounting software stopped posting journals on the 1st"),
    ("HR", "payslip PDFs open blank for everyone, just the header"),
    ("HR", ["the timesheet page", "What's going on with the timesheet page?", "it loads forever and then says 504"]),
    ("HR", "HR portal super slow today, like 30s per page"),
    ("HR", "new hire onboarding emails aren't being sent, 4 people starting Monday haven't got anything"),

    # --- crypto exchanges ---
    ("CRYPTO", "withdrawals on ERC20 stuck 'processing' for 6 hours, is there a network issue on your side?"),
    ("CRYPTO", "order book not updating, price frozen while the market moved 5%"),
    ("CRYPTO", "app crashes when I open the futures tab"),
    ("CRYPTO", "API returning 'system busy' on every order placement for the last 20 minutes"),
    ("CRYPTO", "my limit buy at 61,200 should have filled, price went to 60,900 and it's still open"),
    ("CRYPTO", ["deposit", "What's the issue with your deposit?", "the BTC deposit has 12 confirmations on the explorer but your site shows 0"]),
    ("CRYPTO", "charts not loading, just a blank grey box"),
    ("CRYPTO", "websocket feed disconnects every 30 seconds since this morning"),

    # --- mobile games ---
    ("GAME", "servers down? stuck on the loading screen at 99%"),
    ("GAME", "game crashes on launch after the update, pixel 7"),
    ("GAME", "lag is insane in ranked, 800ms ping and other games are fine on the same wifi"),
    ("GAME", "clan chat not loading for anyone in our clan"),
    ("GAME", "daily reward didn't give me anything, 3 days in a row now"),
    ("GAME", ["matchmaking", "What's happening with matchmaking?", "been searching 25 mins, never finds a match"]),
    ("GAME", "the event shop button gives error code 1043"),
    ("GAME", "progress didn't save after I finished chapter 12, I'm back at chapter 11 and have to redo the boss"),
    ("GAME", ["the update", "What about the update?", "it's stuck at 47% downloading for an hour"]),

    # --- car rental / leasing ---
    ("CAR", "car won't unlock with the app, bluetooth says connected but nothing happens. I'm in the parking lot with my kids and the luggage"),
    ("CAR", "trip timer is still running from yesterday even though I ended the trip and locked the car"),
    ("CAR", "booking page errors when I select dates, just says 'unexpected error'"),
    ("CAR", "the telematics box keeps beeping and the app says 'end trip failed'"),
    ("CAR", "app won't load, just a white screen"),
    ("CAR", ["Hi the car", "Hi! What's happening with the car?", "app says 'ignition blocked', can't start it, I'm stopped on the highway shoulder"]),
    ("CAR", "check-in photos upload fails at 90%, so I can't start my rental"),
    ("CAR", "confirmation emails aren't arriving for any bookings in our fleet account since tuesday"),

    # --- gyms / fitness apps ---
    ("GYM", "entrance QR not scanning at the turnstile, the staff say the system is down"),
    ("GYM", "class booking fails with 'try again later' for everything"),
    ("GYM", "my watch workouts stopped syncing to the app 3 days ago"),
    ("GYM", "video classes keep buffering even on fiber"),
    ("GYM", "app crashes when I open the progress tab"),
    ("GYM", ["the live class", "What's happening with the live class?", "the stream froze and the audio is 20 seconds behind"]),
    ("GYM", "the waitlist notification never came and I lost my spot in the class"),
    ("GYM", "heart rate shows 0 from the chest strap during every workout since the last app update"),

    # --- government / public services ---
    ("GOV", "the tax filing site crashes on the final submit step, the deadline is TONIGHT"),
    ("GOV", "portal down? 'service unavailable' all morning"),
    ("GOV", "document upload keeps failing, the file is a 2MB pdf, well within the limit"),
    ("GOV", "I never got the SMS with my appointment confirmation, neither did my wife, and we booked on different days"),
    ("GOV", "the payment gateway for the permit fee times out every time"),
    ("GOV", ["the form", "Which form are you working on, and what's happening?", "the passport renewal one, it erases everything when I click next"]),
    ("GOV", "the appointment calendar shows no slots at all for any office, even months ahead, which seems wrong"),
    ("GOV", "the captcha image isn't loading so I can't even get to the login"),

    # --- mobile carriers (India / Nigeria / Philippines) ---
    ("TEL", "network don die for Surulere since morning o, no call no data"),
    ("TEL", "data is on but nothing loads, 4G icon is there"),
    ("TEL", "calls dropping after 10 seconds every time"),
    ("TEL", "I'm not receiving any SMS at all, even OTPs from my bank"),
    ("TEL", "walang signal dito sa Marikina since kahapon, internet 0.2 mbps"),
    ("TEL", ["sir my wifi router", "Hello! What's the problem with the router?", "red light blinking, no internet since 2 days"]),
    ("TEL", "USSD code says 'connection problem or invalid MMI code' whatever I dial"),
    ("TEL", "network nahi aa raha since morning in Pune, phone shows no service everywhere"),
    ("TEL", "bundle active but can't browse, only whatsapp works"),
    ("TEL", ["Good morning", "Good morning! How can I help?", "no signal at all in our barangay since the storm"]),

    # --- developer tools / APIs ---
    ("DEV", "webhooks stopped firing around 14:00 UTC, nothing in the delivery log after that"),
    ("DEV", "getting 500s from POST /v2/charges, request id req_8fd1c2, started 10 mins ago"),
    ("DEV", "p99 latency jumped from 200ms to 4s on the search endpoint"),
    ("DEV", "SDK 4.2.0 throws 'TypeError: cannot read properties of undefined (reading 'headers')' on init, 4.1.9 works fine"),
    ("DEV", "status page says all green but we're getting connection resets"),
    ("DEV", ["webhook signatures", "What's happening with the webhook signatures?", "verification started failing for every event an hour ago, we didn't change the secret"]),
    ("DEV", "rate limit headers say 0 remaining but we've made like 10 requests this minute on a 1000/min plan"),
    ("DEV", "dashboard won't load, infinite spinner, tried incognito and another browser"),
    ("DEV", "the billing page in the dashboard throws an error when I try to download invoices"),
    ("DEV", ["us-east", "What's happening in us-east?", "all our calls are timing out, eu-west is fine"]),
]
