LABEL = "policy_compliance"

DATA = [
    # --- logistics / couriers ---
    ("LOG", "Do you have a DPA we can sign? we ship for EU customers and our legal team won't go live without one"),
    ("LOG", "how long do you keep recipient addresses and phone numbers after delivery"),
    ("LOG", "our auditor wants your compliance documentation for carrying lithium batteries by air, who can send that"),
    ("LOG", "who are your sub-processors for the tracking SMS and emails"),
    ("LOG", "I want all my personal data deleted under GDPR, including my delivery history"),
    ("LOG", ["audit", "What do you need for the audit?", "your ISO 27001 certificate and the latest SOC 2 report please"]),
    ("LOG", "The courier took a proof-of-delivery photo of my front door and my 4 year old was in the frame. Who can see that photo, how long is it kept, and can I have it removed?"),
    ("LOG", "do your drivers go through background checks? where is that written in your terms"),
    ("LOG", ["data request", "Sure \u2014 what kind of data request?", "erase my details, I used your service once and you've been emailing me ever since"]),

    # --- food delivery ---
    ("FOOD", "do you sell my order history to restaurants for marketing"),
    ("FOOD", "I'd like a copy of all the data you hold on me. This is a subject access request."),
    ("FOOD", "is your app accessible with screen readers? my dad is blind and wants to order on his own"),
    ("FOOD", "what allergen labelling rules do restaurants on your platform have to follow by law"),
    ("FOOD", "how old do you have to be to order alcohol through the app, and how do you actually check"),
    ("FOOD", ["the rider recorded me", "I'm sorry to hear that. Can you tell me more?", "is he allowed to film customers on his helmet cam? I didn't consent to that"]),
    ("FOOD", "as a restaurant partner, are we the data controller for customer data or are you"),
    ("FOOD", "is my card info stored by you or by a PCI compliant processor?"),
    ("FOOD", "our legal team needs a written statement that you're GDPR compliant before we sign the corporate catering contract"),

    # --- ride-hailing ---
    ("RIDE", "can drivers still see my home address after the trip is over"),
    ("RIDE", "are trips audio recorded? I never agreed to that"),
    ("RIDE", "what location data do you keep after I delete the app"),
    ("RIDE", "is your service actually licensed to operate in Nairobi"),
    ("RIDE", "what are the insurance requirements for drivers under your terms, like am I covered as a passenger if there's a crash"),
    ("RIDE", ["CCPA", "Happy to help with privacy questions. What do you need?", "opt me out of the sale of my personal info"]),
    ("RIDE", "minimum age for a teen account? can my 16 year old ride alone"),
    ("RIDE", "driver: why do you need my criminal record check again, and what do you do with it after"),
    ("RIDE", "if I delete my account do you actually delete my trips or just hide them from me?"),

    # --- property management ---
    ("PROP", "who has access to the copies of my ID and payslips I uploaded with my rental application"),
    ("PROP", "is your tenant screening FCRA compliant?"),
    ("PROP", "how long do you keep data on applicants who were rejected"),
    ("PROP", "do the hallway cameras record audio? pretty sure that's illegal in this state"),
    ("PROP", "Is the resident portal WCAG compliant? I use a screen reader and half the buttons have no labels"),
    ("PROP", ["my old lease", "What would you like to know about your old lease?", "I moved out 2 years ago, I want my personal data erased from your system"]),
    ("PROP", "are you allowed to report my rent payment history to credit bureaus without asking me?"),
    ("PROP", "where is tenant data stored? we're a Canadian property manager and need data residency in Canada"),

    # --- HR / payroll software ---
    ("HR", "we need your list of sub-processors before our DPO will sign off"),
    ("HR", "where is employee payroll data hosted? we need EU residency"),
    ("HR", "are you SOC 2 Type II? please send the report under NDA"),
    ("HR", "A former employee filed a DSAR with us. As our processor, do you hold any data about her outside our tenant, like support tickets or logs?"),
    ("HR", "do you sign a HIPAA BAA? we store some medical leave info"),
    ("HR", ["security questionnaire", "Sure \u2014 what do you need for the security questionnaire?", "our procurement sent a 120-question SIG Lite, who can fill it out on your side"]),
    ("HR", "how long are terminated employees' records retained after we delete them?"),
    ("HR", "can my employer read my personal messages in the app? asking as an employee"),
    ("HR", "what's the breach notification timeline in your DPA, 72 hours?"),

    # --- crypto exchanges ---
    ("CRYPTO", "why do you need my source of funds documents now, I already did KYC when I signed up"),
    ("CRYPTO", "is the exchange licensed by the BSP in the Philippines?"),
    ("CRYPTO", "are you registered with FinCEN as an MSB"),
    ("CRYPTO", "what happens to my KYC documents if I close my account"),
    ("CRYPTO", "do you report my trades to the tax authority automatically"),
    ("CRYPTO", ["travel rule", "What would you like to know about the Travel Rule?", "why do you need the recipient's name and address for a withdrawal to my own wallet"]),
    ("CRYPTO", "Is your proof of reserves audited by anyone independent, or is it self-reported?"),
    ("CRYPTO", "is it even legal for me to use your exchange from New York, given the BitLicense thing?"),
    ("CRYPTO", "why did you ask for a selfie holding my ID again? I did this 6 months ago, seems excessive"),
    ("CRYPTO", ["my documents", "What would you like to know about your documents?", "which third parties you send them to for verification"]),

    # --- mobile games ---
    ("GAME", "my 11 year old made an account, is that allowed? how do you handle kids' data"),
    ("GAME", "do you sell my data to advertisers"),
    ("GAME", "loot boxes count as gambling in Belgium, are they disabled for players there?"),
    ("GAME", "what do you record from voice chat"),
    ("GAME", "delete all my data pls, GDPR"),
    ("GAME", ["the ToS update", "What would you like to know about the Terms of Service update?", "does it mean you can use my fan art in ads now?"]),
    ("GAME", "is there a legal spending cap for minors in your game? my nephew spent a crazy amount"),
    ("GAME", "why do I need to upload a real ID to keep playing, this is a game not a bank"),

    # --- car rental / leasing ---
    ("CAR", "does the car track my location the whole time? who gets to see that data"),
    ("CAR", "what's the minimum age to rent with you"),
    ("CAR", "do you keep my driving licence scan after the rental ends"),
    ("CAR", "the telematics box records my speed \u2014 can that be handed to my insurer or the police?"),
    ("CAR", "I never got a cooling-off notice when I signed the lease, isn't that required under consumer credit rules?"),
    ("CAR", ["GDPR", "Happy to help with a data protection request. What do you need?", "a copy of all the telematics and trip data linked to my leasing contract"]),
    ("CAR", "what are your accessibility commitments for disabled drivers, e.g. hand controls"),
    ("CAR", "the rental terms say I'm liable for tyre damage even with full cover \u2014 where exactly is that in the terms?"),

    # --- gyms / fitness apps ---
    ("GYM", "do you share my health data from the app with my insurance company"),
    ("GYM", "what's the minimum age for membership, my son is 15"),
    ("GYM", "I don't want my face used for entry. what happens to the biometric data you already have"),
    ("GYM", "is your app HIPAA compliant? my physio wants access to my data"),
    ("GYM", "Thinking about cancelling. Before I do, what exactly do you keep about me after I cancel, and for how long?"),
    ("GYM", ["the cameras near the changing rooms", "Could you tell me more about your concern?", "are they even legal? who watches the footage"]),
    ("GYM", "do your personal trainers need a recognised certification, and which standard"),
    ("GYM", "I need the terms and conditions I signed in 2022, not the current version"),
    ("GYM", ["about the new terms", "What would you like to know about the new terms?", "do they let you share my workout data with partners"]),

    # --- government / public services ---
    ("GOV", "who can see my tax records on this portal"),
    ("GOV", "what accessibility standard does the portal follow? I want to file a formal accessibility complaint"),
    ("GOV", "is my biometric data shared with other agencies"),
    ("GOV", "how long are uploaded ID documents kept after my application is approved"),
    ("GOV", "I want to request all my personal data under the Data Protection Act"),
    ("GOV", ["FOI", "What information are you looking for?", "the data retention schedule for the benefits system"]),
    ("GOV", "are private contractors processing my application? which companies"),
    ("GOV", "is it legal for the council to publish my full name and address in the planning application list"),
    ("GOV", "what's the legal basis for requiring my mobile number to use the portal"),

    # --- mobile carriers (India / Nigeria / Philippines) ---
    ("TEL", "why you need my NIN to keep my line active? what do you do with it"),
    ("TEL", "somebody registered a SIM in my name, that is illegal no? I want to know how many SIMs are under my name"),
    ("TEL", "I'm a foreigner with only a passport, is that valid for SIM registration under the new law?"),
    ("TEL", "do you sell my number to these loan apps? I'm getting spam calls daily since I got this line"),
    ("TEL", "under TRAI rules you can't send promotional SMS after DND is on, so why am I still getting them"),
    ("TEL", ["call recording", "What would you like to know about call recording?", "is your customer care recording my calls without telling me, is that allowed"]),
    ("TEL", "Data Privacy Act po: I want to know what personal data you have on me, the NPC said I can request it"),
    ("TEL", "is my call history shared with the government?"),
    ("TEL", "I'm 15, can I register a SIM in my own name?"),

    # --- developer tools / APIs ---
    ("DEV", "do you train AI models on our API payloads?"),
    ("DEV", "need your SOC 2 Type II, pen test summary and DPA for our vendor security review"),
    ("DEV", "can we get EU-only data residency for logs"),
    ("DEV", "what's the license on the SDK \u2014 MIT or proprietary? legal is asking before we vendor it"),
    ("DEV", "how long do you retain request logs that contain PII"),
    ("DEV", ["sub-processors", "Would you like our current sub-processor list?", "yes and how do we get notified when it changes"]),
    ("DEV", "is the platform PCI DSS level 1? we'll be passing card numbers through your webhook proxy"),
    ("DEV", "do your terms allow us to resell API access to our own customers"),
    ("DEV", "is there an accessibility conformance report (VPAT) for your dashboard? gov customer needs it"),
]
