LABEL = "other"

# GEN = no particular domain (greetings, test messages, generic small talk)
DATA = [
    # --- generic ---
    ("GEN", "hi"),
    ("GEN", "hello??"),
    ("GEN", "thanks, that worked!"),
    ("GEN", "ok bye"),
    ("GEN", "are you a real person or a bot"),
    ("GEN", "\U0001F44D"),
    ("GEN", "test"),
    ("GEN", "asdfgh"),
    ("GEN", "tell me a joke"),
    ("GEN", "what's the capital of Australia"),
    ("GEN", "nvm figured it out"),
    ("GEN", "sorry wrong chat"),
    ("GEN", "Are you ChatGPT?"),
    ("GEN", "do you ever dream"),
    ("GEN", "happy new year to the whole team!"),
    ("GEN", "nice, all sorted. have a good one"),
    ("GEN", "hmm"),
    ("GEN", "..."),
    ("GEN", "qwertyuiop"),
    ("GEN", "\U0001F64F\U0001F64F"),
    ("GEN", "you're useless lol"),
    ("GEN", "do you like your job"),
    ("GEN", "who made you"),
    ("GEN", "whats 17 times 23"),
    ("GEN", "recommend a movie for tonight"),
    ("GEN", "my cat walked on the keyboard, sorry"),
    ("GEN", "good night"),
    ("GEN", "can you translate 'thank you' into Tagalog"),
    ("GEN", "yooo anyone awake"),
    ("GEN", "\U0001F44B"),
    ("GEN", "k thx"),
    ("GEN", ["thanks for earlier", "You're welcome! Is there anything else I can help with?", "no that's it, have a good day"]),
    ("GEN", ["hello", "Hi there! How can I help you today?", "just checking if this chat works"]),
    ("GEN", ["are you a robot", "I'm a virtual assistant. How can I help?", "cool, do you have feelings though"]),
    ("GEN", ["quick question", "Sure, what's your question?", "what's your name?"]),
    ("GEN", ["hey", "Hi! How can I help?", "lol sorry my kid sent that"]),

    # --- logistics / couriers ---
    ("LOG", "u guys are the best courier in town honestly"),
    ("LOG", "I love my regular courier guy, he always carries the parcels up to the 3rd floor even though there's no lift. Please tell his manager."),
    ("LOG", "my package came a day early, happy birthday to me \U0001F381"),
    ("LOG", ["about the refund", "Sure \u2014 what's happening with your refund?", "oh it just came through while I was typing, all good thanks!"]),
    ("LOG", "what's the tallest building in the world"),

    # --- food delivery ---
    ("FOOD", "the rider was so polite today, just wanted to say"),
    ("FOOD", "do you think pineapple belongs on pizza"),
    ("FOOD", "how do I make jollof rice that doesn't burn at the bottom"),
    ("FOOD", ["the rider", "Is there an issue with your rider?", "no no, the opposite, he was super quick, 5 stars"]),
    ("FOOD", "im so hungry i could eat a horse \U0001F605"),

    # --- ride-hailing ---
    ("RIDE", "my driver played the best playlist ever, can you tell him thanks"),
    ("RIDE", "The driver was 2 min early, wow, that never happens"),
    ("RIDE", "I'm bored in traffic, talk to me"),
    ("RIDE", "since you're a ride app can you also get me a pizza lol"),
    ("RIDE", ["my driver today", "Thanks for reaching out \u2014 how was your trip?", "he was so nice, helped my grandma with her bags. give him a medal"]),

    # --- property management ---
    ("PROP", "lol my landlord says he's your biggest fan"),
    ("PROP", "love the new apartment, thanks for the super quick move in"),
    ("PROP", "just browsing listings for fun, dream house stuff"),
    ("PROP", ["good evening", "Good evening! How can I help you tonight?", "nothing, just saying thanks for the help last week with the lease"]),
    ("PROP", "do you think it'll snow this weekend"),

    # --- HR / payroll software ---
    ("HR", "payday!!! \U0001F389"),
    ("HR", "thank you for sorting out the payroll so fast last week, you saved us"),
    ("HR", "can u help me write a cover letter for a marketing job"),
    ("HR", ["payroll ran", "Glad to hear it! Is there anything you need help with?", "nope just celebrating, first payroll with zero errors \U0001F389"]),
    ("HR", "happy friday from the people team \U0001F60A"),

    # --- crypto exchanges ---
    ("CRYPTO", "bitcoin to the moon \U0001F680"),
    ("CRYPTO", "should I buy ETH now or wait"),
    ("CRYPTO", "what do you think of dogecoin lol"),
    ("CRYPTO", ["gm", "Good morning! How can I help?", "wagmi \U0001F680"]),
    ("CRYPTO", "lost 40% this week, just needed to tell someone. no question"),

    # --- mobile games ---
    ("GAME", "lol the game is so addictive I haven't slept"),
    ("GAME", "gg"),
    ("GAME", "who would win, a dragon or 100 goblins"),
    ("GAME", "I love this game so much, just wanted to tell someone"),
    ("GAME", "is the new hero OP or is it just me being bad"),
    ("GAME", ["the new season", "What would you like to know about the new season?", "nothing, just hyped. the trailer was sick"]),
    ("GAME", ["my login issue", "I'm sorry to hear that. What's happening when you try to log in?", "actually never mind, caps lock was on \U0001F926"]),

    # --- car rental / leasing ---
    ("CAR", "thanks, the keys were exactly where you said"),
    ("CAR", "just returned the car, lovely trip around the coast, cheers"),
    ("CAR", "the car smelled amazing, what air freshener do you use \U0001F602"),
    ("CAR", "whats the weather going to be like in Lisbon tomorrow, road tripping"),
    ("CAR", "vroom vroom"),

    # --- gyms / fitness apps ---
    ("GYM", "my trainer Jess is amazing, that's all"),
    ("GYM", "\U0001F4AA\U0001F4AA\U0001F4AA"),
    ("GYM", "can you write me a poem about leg day"),
    ("GYM", "Great class today, Coach Mike absolutely destroyed us"),
    ("GYM", ["the app crashed", "Sorry about that! Which screen were you on when it crashed?", "it's fine now after a restart, thanks anyway"]),

    # --- government / public services ---
    ("GOV", "thank you so much, my licence came in the mail today!!"),
    ("GOV", "hello is anyone there"),
    ("GOV", "Just wanted to say the new online passport photo upload was so easy. Well done whoever built it."),
    ("GOV", ["the renewal", "What would you like to know about your renewal?", "oh it's done already, the office called me. thanks a lot"]),
    ("GOV", "who won the election in 1998"),

    # --- mobile carriers (India / Nigeria / Philippines) ---
    ("TEL", "good morning po"),
    ("TEL", "salamat!"),
    ("TEL", "how far"),
    ("TEL", "namaste ji"),
    ("TEL", "abeg no vex, I press wrong button"),
    ("TEL", "thank u sir god bless"),
    ("TEL", ["Hello po", "Hello! How can I help you today?", "wala po, napindot lang"]),
    ("TEL", "just saying hi from Cebu"),

    # --- developer tools / APIs ---
    ("DEV", "testing 1 2 3"),
    ("DEV", "your docs are genuinely great btw"),
    ("DEV", "can you help me with my python homework, it's due tomorrow"),
    ("DEV", "this is a test message from the QA team, please ignore"),
    ("DEV", "ping"),
    ("DEV", ["the webhook thing", "Is something wrong with your webhooks?", "nope, it was on our side, sorry for the noise \U0001F64F"]),
]
