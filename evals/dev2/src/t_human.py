from .common import R

K = "human"
R(K, "other", True, "general", "question", "plain ask for a person",
  "Can I talk to an actual person please?")
R(K, "other", True, "saas", "indirect", "wants someone with authority",
  "I'd rather deal with someone who can actually make decisions.")
R(K, "other", True, "general", "indirect", "this needs a grown-up",
  "This needs a grown-up. Who's in charge over there?")
R(K, "other", True, "general", "fragment", "escalate me",
  "escalate me")
R(K, "other", True, "insurance", "indirect", "let me ring someone",
  "Let me ring someone. It's too complicated to type out, I need to explain it to a person.")
R(K, "other", True, "general", "fragment", "single word agent",
  "agent")
R(K, "other", True, "telecom", "fragment", "operator pls",
  "operator pls")
R(K, "billing", True, "saas", "question", "bot loops on invoices, wants human",
  "Is there a human anywhere in the building? The bot keeps sending me the same article about invoices.")
R(K, "other", True, "telecom", "regional", "customer care executive, Indian English",
  "Please connect me to customer care executive regarding my broadband complaint.")
R(K, "other", True, "general", "indirect", "a proper person with a name",
  "Not you. A proper person with a name.")
R(K, "other", True, "utilities", "paraphrase", "callback request",
  "Could someone from your team give me a call back this afternoon? 07700 900123.")
R(K, "other", True, "ecommerce", "fragment", "supervisor",
  "I need a supervisor.")
R(K, "other", True, "general", "caps", "HUMAN caps",
  "HUMAN. HUMAN. H U M A N.")
R(K, "other", True, "saas", "paraphrase", "stop articles, real rep",
  "stop sending me help articles and get me a real support rep")
R(K, "billing", True, "travel", "paraphrase", "hand to live agent re refund",
  "Hand this over to a live agent please, it's about the refund for my cancelled flight.")
R(K, "other", True, "telecom", "non_native", "connect with team member",
  "can u connect me wid ur team member, dis chat not solving anything")
R(K, "billing", True, "saas", "question", "email a billing person directly",
  "Is there anyone in your billing department I can email directly?")
R(K, "account_change", True, "saas", "perspective", "account manager to reach out re renewal",
  "Please have our account manager reach out to us. We need to discuss the renewal terms before we sign anything.")
R(K, "how_to", True, "saas", "paraphrase", "book a call about SSO setup",
  "I'd like to book a call with someone from support about our SSO setup.")
R(K, "other", True, "general", "regional", "UK, put through to office staff",
  "Chatbots aren't really for me, love. Can you put me through to one of the ladies or gents in the office?")
R(K, "other", True, "general", "indirect", "someone with a pulse",
  "I've been going round in circles with you for 20 minutes. Someone with a pulse, please.")
R(K, "other", True, "utilities", "paraphrase", "complaints team person not form",
  "Can I get put through to the complaints team? Not a form, someone I can actually talk to.")
R(K, "other", True, "telecom", "indirect", "wants named colleague again",
  "Your colleague Jamie was handling this last week. Can I speak with him again?")
R(K, "account_change", True, "banking", "paraphrase", "bereavement, speak to someone",
  "I need to speak to someone about my late husband's account.")
R(K, "other", True, "general", "emoji", "emoji human please",
  "🙋‍♀️ real human please 🙏")
R(K, "other", True, "utilities", "question", "phone number to speak to staff",
  "Is there a number where I can speak to a member of staff about my gas meter?")
R(K, "other", True, "general", "indirect", "pass me to your manager",
  "Okay bot, you tried. Pass me to your manager.")
R(K, "other", True, "general", "paraphrase", "escalate to someone senior",
  "I want this escalated to someone senior, today.")
R(K, "incident", True, "telecom", "story", "troubleshooting done, wants technician/human",
  "I've done all the troubleshooting steps: restarted the router, factory reset it, swapped the cables, checked the status page which says there's no outage in my area. The bot has just told me to restart the router again. At this point I'd really appreciate a technician or literally anyone human looking at my line.")
R(K, "other", True, "general", "slang", "bot useless, someone real",
  "ur bot is useless, gimme someone real")
R(K, "other", True, "insurance", "paraphrase", "claims handler to contact",
  "Could you arrange for a claims handler to contact me? I'd prefer to go through this with someone.")
R(K, "other", True, "ecommerce", "question", "live chat with actual agent",
  "any chance of a live chat with an actual agent instead of this?")
R(K, "billing", True, "telecom", "indirect", "person who can approve fee exception",
  "I want to speak to whoever can approve an exception to the cancellation fee.")
R(K, "other", True, "banking", "non_native", "callback from concerned department",
  "Kindly arrange a callback from the concerned department.")
R(K, "other", True, "telecom", "non_native", "Hinglish, talk to a human",
  "bhai kisi insaan se baat karwa do, bot se kuch nahi ho raha")
R(K, "other", True, "gaming", "slang", "want a GM not a bot",
  "can a actual GM look at this pls, not the bot")
