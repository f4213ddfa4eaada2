"""Hindi rules (segments/56-lang-hi.yaml): Devanagari and romanised Hindi / Hinglish.

Hindi puts its negation after what it denies: "maine ye payment nahi kiya" IS a report, "mujhe
agent nahi chahiye" is not a request, "mera account block nahi hua" is not a lockout. Devanagari
is read as romanised Hindi before the rules run (guardrail/translit.py), so both scripts meet the
same patterns.
"""

from __future__ import annotations

# (message, handoff expected, segment expected when it hands off)
CASES: list[tuple[str, bool, str | None]] = [
    # --- a request for a person -------------------------------------------------------------
    ("मुझे एजेंट से बात करनी है", True, "human_requested"),
    ("कृपया किसी प्रतिनिधि से मेरी बात करवाइए", True, "human_requested"),
    ("मुझे वापस कॉल कर दीजिए, अभी बात नहीं कर सकता", True, "human_requested"),
    ("mujhe kisi se baat karni hai", True, "human_requested"),
    ("mai manager se baat karna chahta hu", True, "human_requested"),
    ("bot se baat karke pagal ho gaya, koi insaan hai kya wahan", True, "human_requested"),
    ("customer care ka number do", True, "human_requested"),
    ("kal subah call karna mujhe 10 baje", True, "human_requested"),
    ("agnt chahiye plz, bot se kaam nhi chal rha", True, "human_requested"),
    ("agent ki zaroorat nahi, bas OTP ka issue batao", False, None),
    ("मुझे इंसान से बात नहीं करनी, बस स्टेटस बताओ", False, None),
    ("kya mujhe branch jaake kisi se baat karni padegi?", False, None),
    ("aapke agent ne kal call kiya tha par kuch nahi bataya", False, None),
    ("delivery boy ka number chahiye", False, None),
    # --- billing disputes -------------------------------------------------------------------
    ("ये ट्रांजैक्शन मैंने नहीं किया", True, "billing_dispute"),
    ("मेरे खाते से ₹2,000 कटे हैं, मैंने कोई खरीदारी नहीं की", True, "billing_dispute"),
    ("credit card pe 3 transaction hai jo maine nahi kiye", True, "billing_dispute"),
    ("ye 999 ka charge kis cheez ka hai? kuch samajh nahi aa raha", True, "billing_dispute"),
    ("mere account se EMI dobara kat gayi is mahine", True, "billing_dispute"),
    ("paise account mai se kat gaye do baar", True, "billing_dispute"),
    ("मेरे खाते से पैसे कट गए पर रिचार्ज नहीं हुआ", True, "billing_dispute"),
    ("ATM ne paise nahi diye lekin khate se debit ho gaya", True, "billing_dispute"),
    ("मेरा रिफंड 20 दिन से पेंडिंग है", True, "billing_dispute"),
    ("refund abhi tak account mai nahi aaya", True, "billing_dispute"),
    ("bank se chargeback karwaunga main", True, "billing_dispute"),
    ("mujhe refund nahi chahiye, exchange karna hai", False, None),
    ("refund kab tak aata hai usually?", False, None),
    ("mera parcel nahi aaya, kahan hai", False, None),
    ("order nahi aaya lekin paise kat gaye", False, None),
    ("maine abhi tak bill ka payment nahi kiya, late fee lagegi kya?", False, None),
    ("refund process ho gaya hai 2 din pehle, kab aayega?", False, None),
    # --- account takeover, fraud, lost or stolen card / phone ----------------------------------
    ("kisi ne mere account me login karke address badal diya", True, "fraud_takeover"),
    ("मेरे फोन पर OTP आया जो मैंने नहीं माँगा, और अब पासवर्ड भी काम नहीं कर रहा", True, "fraud_takeover"),
    ("fraud call pe maine card number bata diya", True, "fraud_takeover"),
    ("मेरा पर्स चोरी हो गया उसमें क्रेडिट कार्ड था", True, "fraud_takeover"),
    ("mera phone snatch ho gaya road pe", True, "fraud_takeover"),
    ("card kahin gir gaya lagta hai, mil nahi raha", True, "fraud_takeover"),
    ("mere pas card hi nahi hai, kisi ne chura liya", True, "fraud_takeover"),
    ("mera account hack ho gaya", True, "fraud_takeover"),
    ("phone chori hone par kya kare", False, None),
    ("card kho jaye to kya kare", False, None),
    ("mera phone gir gaya aur screen toot gayi", False, None),
    ("account hack hone se kaise bachaye", False, None),
    ("mera account kisi ne hack nahi kiya, bas otp nahi aa raha", False, None),
    ("password change karna hai", False, None),
    ("sim swap fraud se kaise bache?", False, None),
    # --- lockout --------------------------------------------------------------------------
    ("पिन तीन बार गलत डालने से कार्ड ब्लॉक हो गया", True, "lockout"),
    ("मेरा यूपीआई पिन लॉक हो गया", True, "lockout"),
    ("upi pin galat daal diya 3 baar", True, "lockout"),
    ("meri sim band kar di company ne", True, "lockout"),
    ("khata seal kar diya bank ne", True, "lockout"),
    ("मेरा अकाउंट ब्लॉक नहीं हुआ है, बस पासवर्ड याद नहीं आ रहा", False, None),
    ("account band karna hai", False, None),
    ("app band ho gaya achanak", False, None),
    ("card block ho jayega kya galat pin se?", False, None),
    ("phone ka screen lock bhool gaya", False, None),
    # --- legal and safety --------------------------------------------------------------------
    ("मैं उपभोक्ता अदालत जाऊँगा", True, "legal_threat"),
    ("mai aapko court le jaunga", True, "legal_threat"),
    ("cyber cell me complaint kar di hai maine", True, "legal_threat"),
    ("fir se try karunga kal", False, None),
    ("case kaise track karu apna complaint ka", False, None),
    ("मैं मरना चाहता हूँ", True, "safety"),
    ("मन करता है खुद को खत्म कर लूँ", True, "safety"),
    ("ab aur nahi jee sakta", True, "safety"),
    ("koi mera peecha kar raha hai, darr lag raha hai", True, "safety"),
    ("battery mar gayi phone ki", False, None),
    ("mere papa ke marne ke baad unka account band karna hai", False, None),
    ("is offer ne toh maar hi dala, bahut sasta hai", False, None),
    # --- plain needs ------------------------------------------------------------------------
    ("ऐप में कार्ड ब्लॉक करने का तरीका क्या है?", False, None),
    ("इस बार बिल 780 का क्यों आया है? हमेशा 500 के आसपास आता है", False, None),
    ("नमस्ते", False, None),
]
