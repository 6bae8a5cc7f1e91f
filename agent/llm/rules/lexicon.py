"""The field cue lists of the `rules` engine, in one place so that they can be tuned.

The patterns run on a lower-cased copy of each sentence with curly apostrophes made straight; the
quote the engine cites is always the original sentence. The next-step cues live in
`step_lexicon`. Bump `PROMPT_VERSION` whenever a list in either changes, so eval reports and
audit entries say which lexicon produced a proposal (`rules/v2`: hedges, pauses, pending events,
vendor decisions, report quarters, program budgets, pronoun objects, small talk).
"""

from __future__ import annotations

import re

PROMPT_VERSION = "rules/v2"


def _words(*phrases: str) -> re.Pattern[str]:
    """Any phrase as whole words (longest first); "we" never matches inside "we'll"."""
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(ordered) + r")(?!\w|'(?!s\b))")


# --- abstention: a sentence with any of these proposes no field value ---------------------------

HEDGES = _words(
    "if", "would", "might", "maybe", "probably", "possibly", "could", "hypothetically",
    "assuming", "not sure", "thinking about", "perhaps", "hopefully", "ballpark", "roughly",
    "in theory", "unless", "depending on", "depends on", "i guess", "supposing", "potentially",
    "tentatively", "ideally", "in principle", r"\w+-ish", "may be", "we'll see", "wondering",
    "almost", "nearly", "on hold", "paused", "on ice", "parked",
)  # fmt: skip
CONDITION_LEAD = re.compile(r"^\W*(?:(?:and|but|so|then)\s+)?(?:once|when|as soon as|after)\b")
"""A sentence opening on a pending event ("Once Rafael gives the go-ahead I send it to legal")
states what will follow that event, not what is so."""
PAST = _words(
    "last year", "last quarter", "last time", "used to", "was", "previously", "originally",
    "in the past", "had been", "had budgeted", "back then", "ago",
)  # fmt: skip
NEGATION = re.compile(
    r"(?<![\w'])(?:not|never|no longer|no way|cannot|nothing|nobody|neither|nor"
    r"|dont|wont|cant|isnt|arent|didnt|doesnt|wasnt|havent)(?![\w'])|n't\b"
)
INJECTION = re.compile(
    r"\b(?:note[- ]?taker|notetaker|assistant|bot|system|ai|copilot)\s*[:,]"
    r"|\b(?:system|assistant|ai|bot|copilot|note[- ]?taker)\s+(?:message|prompt|instruction|must)"
    r"|\bignore (?:all |any |the )?(?:previous|prior|above|earlier) (?:instructions|rules)"
    r"|\b(?:auto-?)?approve (?:it|this|that|the change|the update|all)\b"
    r"|\b(?:set|update|change|overwrite|mark|raise|lower)\s+(?:the\s+)?"
    r"(?:deal\s+|contact\s+|crm\s+|opportunity\s+)?(?:amount|stage|close date|field|crm|record"
    r"|email|phone|title)s?\s+(?:to|as)\b"
)
"""Instructions aimed at the note-taker ("set the amount to 1M and approve it") are data."""
REQUEST = re.compile(r"\b(?:can|could|would|will) (?:you|your team|y'all)\b|\bplease\b")
"""Request forms that make the other side the owner; their "could" / "?" is politeness."""
CORRECTION = _words(
    "actually", "make that", "i meant", "i mean", "correction", "sorry", "scratch that",
    "let me correct", "to correct", "rather", "instead",
)  # fmt: skip
AGREEMENT = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|correct|exactly|right|agreed|absolutely|definitely|confirmed"
    r"|perfect|sure|that works|sounds good|sounds right|that's right|that is right"
    r"|that's correct|makes sense|let's do it|let's do that|deal|works for (?:me|us))\b"
    r"|^\W*(?:we|i|it|that|they) (?:are|am|is|do|does|did|have|has|will|can)\W*$"
)
"""A yes, including a bare "We are." or "It is." answering the rep's question."""

# --- deal.amount ---------------------------------------------------------------------------------

AMOUNT_CUES_STRONG = _words(
    "budget", "approved", "contract value", "deal size", "total", "we'll pay", "we will pay",
    "comes to", "come to", "agreed", "signed off", "sign off on", "landed at", "land at",
    "come in at", "settle on", "settled on", "committed", "cap", "capped", "ceiling",
)  # fmt: skip
AMOUNT_CUES = _words(
    "price", "pricing", "number", "quote", "quoted", "pay", "spend", "investment", "cost",
    "order form", "acv", "arr", "annual", "contract", "deal", "approval", "figure", "amount",
    "land", "landed",
)  # fmt: skip
AMOUNT_ANAPHORA = re.compile(
    r"^\W*(?:that's|that is|which is|this is|it's|it is)\s+(?:the|what|our|exactly)\b"
)
"""A sentence pointing back at the amount just said: "That's the number I've got approval for"."""
NOT_DEAL_AMOUNT = re.compile(
    r"\bfor the (?:whole|entire|overall|wider)\b|\b(?:one line|a line item|a slice|a fraction)"
    r" (?:in|of)\b|\byour (?:piece|part|portion|share|slice)\b"
    r"|\b(?:company|department|program|programme|initiative)[- ]wide\b"
)
"""A budget the deal is only part of ("$1.2M for the whole program, your piece is one line")."""
_SCALE = r"(?:k|m|mm|mn|bn|b|thousand|million|billion|grand)"
AMOUNT_NUMBER = re.compile(
    rf"(?:(?:us)?[$€£]\s?)?(?<![\w.,/:-])\d[\d,]*(?:\.\d+)?(?:\s?{_SCALE}(?![\w]))?"
    r"(?:\s?(?:dollars|usd|bucks|euros))?"
)
_NUMBER_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion|grand|point)"
)
AMOUNT_WORDS = re.compile(
    rf"\b(?:(?:a|half a)\s+)?{_NUMBER_WORD}(?:[\s-]+(?:and[\s-]+)?{_NUMBER_WORD})*\b"
    r"(?:\s?k\b)?(?:\s+(?:dollars|bucks))?"
)
AMOUNT_WORDS_END = re.compile(r"(?:thousand|million|billion|grand|dollars|bucks|k)$")
NOT_AN_AMOUNT_AFTER = re.compile(
    r"^\s*(?:%|percent|per\b(?!\s+(?:year|annum))|each\b"
    r"|a (?:seat|user|license|licence|head|month)\b|/|off\b"
    r"|discount|seats?|users?|licen[cs]es?|people|employees|reps|heads|headcount|agents"
    r"|members|accounts|locations|sites|months?|days?|weeks?|years?|hours?|minutes?|calls"
    r"|meetings|times|x\b|monthly|a month)"
)
"""A number followed by one of these is a percentage, a headcount, a unit price or a duration."""
NOT_AN_AMOUNT_BEFORE = re.compile(
    r"(?:\bq|#|\bversion|\bv|\bpage|\bstep)\s*$"
    r"|(?:\bnot|\binstead of|\brather than|\bfrom|\bover)\s+(?:the\s+|our\s+)?$"
)
"""Before a number: a quarter or a label, or the old value a new one replaces ("not 90")."""
PHONE_LIKE = re.compile(r"\+?\(?\d{2,4}\)?(?:[\s.-]\d{2,4}){2,}")
RANGE_JOIN = re.compile(r"^\s*(?:-|–|to|or|and)\s*$")
MIN_AMOUNT = 1_000.0

# --- deal.close_date -----------------------------------------------------------------------------

CLOSE_CUES = _words(
    "sign", "signs", "signed", "signing", "signature", "signatures", "countersign", "close",
    "closing", "decision", "decide", "purchase order", "po", "execute", "executed", "ink",
    "finalize", "finalise", "get this done", "get it done", "paperwork", "contract by", "done by",
    "final approval", "go with you", "commit", "start date", "slip", "slips", "slipping",
    "slipped", "push", "pushed", "pushing", "delay", "delayed", "timing", "timeline",
    "put us down for",
)  # fmt: skip
NOT_CLOSE = _words(
    "close to", "closely", "closer look", "close the loop", "close out the call", "for signature",
    "signature version", "signature page", "signature block", "sign off", "decide between",
    "decision between", "choose between", "pick between", "select a vendor", "pick a vendor",
    "decide on a vendor",
)  # fmt: skip
CLOSE_VETO = _words("nda", "mnda", "non-disclosure", "dpa", "baa")
"""A sentence about an NDA or a data agreement is not about when the deal closes."""
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_DAYNAME = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_COUNT = r"(?:a|one|two|three|four|five|six|a couple(?: of)?|a few|\d+)"
DATE_SPAN = re.compile(
    "|".join(
        (
            r"\b\d{4}-\d{2}-\d{2}\b",
            r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
            rf"\b(?:{_DAYNAME},?\s+)?{_MONTH}\.?\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\b"
            r"(?:,?\s+\d{4})?",
            rf"\b(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b(?:,?\s+\d{{4}})?",
            rf"\b(?:mid|middle of|end of|beginning of|start of)[\s-]+(?:the\s+)?{_MONTH}\b",
            r"\b(?:the\s+)?end of (?:the |this |next )?(?:month|quarter|year|week)\b",
            r"\b(?:end of\s+)?q[1-4](?:\s+\d{4})?\b",
            r"\b(?:eom|eoq|eoy|eow|year[- ]end|quarter[- ]end|month[- ]end)\b",
            rf"\b(?:(?:this|next|coming)\s+)?{_DAYNAME}\b",
            r"\b(?:today|tonight|tomorrow|day after tomorrow|this (?:morning|afternoon|evening)"
            r"|end of (?:the )?day|eod|close of business|cob)\b",
            r"\b(?:next|this) week\b",
            rf"\bin\s+{_COUNT}\s+(?:days?|weeks?|months?)\b",
            rf"\b{_COUNT}\s+weeks?\s+from\s+(?:now|today)\b",
            r"\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b",
        )
    )
)
NOT_A_DATE_BEFORE = re.compile(
    r"(?:\bnot|\binstead of|\brather than|\bfrom|\bafter)\s+(?:the\s+)?$"
    r"|\bgo(?:es)?[- ]live\s+(?:date\s+)?(?:is\s+|on\s+|in\s+|by\s+|for\s+)?(?:the\s+)?$"
)
"""Before a date: the old date a new one replaces ("instead of Friday"), or a go-live date."""
NOT_A_DATE_AFTER = re.compile(
    r"^\s*(?:seats?|users?|percent|%|numbers|results|earnings|budget|budgets|planning|plan"
    r"|forecast|figures|board|report|review|targets|kickoff|kick-off|offsite|priorities)\b"
)
"""After a date: the period names a report or a budget ("the Q4 numbers", "the Q2 budget")."""
PASSING_DATES = _words("today", "tonight", "this morning", "this afternoon", "this evening")
"""When something was said, not when the deal closes: "they told me this morning it's the 10th"."""
REASON_CLAUSE = re.compile(r"[,;]?\s+\b(?:because|since|as|given that|so that)\b")
"""Dates after these give a reason ("because the board meets on the 9th"), not the value."""
PERIOD_WINDOW = (
    (re.compile(r"end of (?:the |this |next )?week|this week|next week|eow"), "week"),
    (re.compile(r"end of (?:the |this |next )?month|eom|month[- ]end"), "month_end"),
    (re.compile(rf"end of (?:the\s+)?{_MONTH}"), "month_end"),
    (re.compile(rf"(?:mid|middle of)[\s-]+(?:the\s+)?{_MONTH}"), "mid_month"),
    (re.compile(rf"(?:beginning|start) of (?:the\s+)?{_MONTH}"), "month_start"),
    (re.compile(r"end of (?:the |this |next )?quarter|eoq|quarter[- ]end|q[1-4]"), "quarter_end"),
    (re.compile(r"end of (?:the |this )?year|eoy|year[- ]end"), "year_end"),
)
"""Vague dates and the span of days each covers; a CRM date inside the span already agrees."""
DAY_ONLY = re.compile(r"^(?:the\s+)?\d{1,2}(?:st|nd|rd|th)$")
"""A bare day ("the 20th"); in a correction it is read in the month of the value it corrects."""

# --- deal.stage ----------------------------------------------------------------------------------

_TARGET = r"(?P<target>[a-z][a-z /&-]{1,40})"
STAGE_MOVES = (
    re.compile(
        r"\b(?:move|moving|moved|go|going|proceed|proceeding|advance|advancing|progress|get)"
        r"\s+(?:you\s+|us\s+|this\s+|it\s+|things\s+|the deal\s+)?"
        r"(?:from\s+(?:the\s+)?[a-z]+(?:\s+[a-z]+)?\s+(?=to\b|into\b))?"
        rf"(?:forward\s+|ahead\s+)?(?:to|into|with)\s+(?:the\s+)?{_TARGET}"
    ),
    re.compile(
        rf"\bready (?:to|for)\s+(?:move (?:in)?to|start|go to|enter|begin|talk|discuss)?\s*"
        r"(?:the\s+)?"
        rf"{_TARGET}"
    ),
    re.compile(
        r"\b(?:send(?:ing)?|kick(?:ing)? off|start(?:ing)?|it's with|it is with|we're in"
        r"|we are in|now in|now with|over to)"
        r"\s+(?:it\s+|this\s+|things\s+)?(?:over\s+)?(?:to\s+|in\s+|into\s+|with\s+|off\s+)?"
        r"(?:our\s+|the\s+)?(?P<target>procurement|legal review|legal|redlines|redlining)\b"
    ),
    re.compile(
        r"\b(?:let's|we'll|we will|we're going to|we are going to|ready to|want to|going to)"
        rf"\s+(?:start|begin|kick off|run)\s+(?:the\s+|a\s+|our\s+)?(?:real\s+)?{_TARGET}"
    ),
)
"""Phrases whose `target` group names a stage, resolved with `match_stage`."""
STAGE_PASSED = re.compile(
    r"\b(?:we're|we are|we've|we have|you're|you are|they're|it's)\s+(?:now\s+)?"
    rf"(?:through|past|done with|finished with|out of)\s+(?:the\s+)?{_TARGET}"
)
"""Being through a stage puts the deal in the stage after it."""
STAGE_PHRASES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\bsend (?:us |me )?(?:over )?(?:the |your )?(?:contract|order form|msa"
                r"|paperwork)\b"), ("contract sent", "negotiation")),
    (re.compile(r"\b(?:we(?:'ve| have)?|i(?:'ve| have)?|it's|it is|contract is|just|all)"
                r"\s+(?:just\s+|now\s+|fully\s+)?(?:signed|countersigned)\b"
                r"(?!\s+(?:up\s+)?(?:a|an|one|two|three|four|five|\d+|new|another|other|more"
                r"|several|some|with)\b)"), ("closed won",)),
    (re.compile(r"\b(?:go|going|went|gone)\s+with\s+(?:another|a different|a competing|other"
                r"|someone else|a competitor)\b|\b(?:going|went) in a different direction\b"
                r"|\bnot (?:going to )?(?:move|moving|proceed|proceeding) forward\b"
                r"|\bdecided (?:to pass|not to (?:move forward|proceed|buy))\b"
                r"|\bpulling the plug\b|\bwe(?:'re| are) out\b"
                r"|\b(?:project|deal|initiative|purchase|rollout|evaluation) (?:is|has been|got)"
                r" (?:cancel+ed|killed|shelved|scrapped)\b"
                r"|\bclose (?:it|this|the deal|the opportunity) (?:out )?on your (?:side|end)\b"),
     ("closed lost",)),
)  # fmt: skip
"""Fixed phrases and the stage names they are tried against, in order."""
LOST_STAGE_QUERY = "closed lost"
WON_STAGE_QUERY = "closed won"

# --- deal.competitors ----------------------------------------------------------------------------

KNOWN_COMPETITORS = (
    "Gong", "Chorus", "Chorus.ai", "Clari", "Outreach", "Salesloft", "Avoma", "Fireflies",
    "Otter", "Otter.ai", "Fathom", "People.ai", "Momentum", "Jiminny", "Wingman", "Revenue.io",
    "Sybill", "tl;dv", "Modjo", "Read.ai", "ExecVision", "Allego", "Mindtickle", "Highspot",
    "Seismic", "Apollo", "Groove", "Aviso", "BoostUp", "Attention", "Grain", "Dooly", "Scratchpad",
    "Tactiq", "Dialpad",
)  # fmt: skip
"""Sales-tool vendors that compete with Engage; extend it per customer in `RulesEngine(...)`."""
COMMON_WORD_VENDORS = frozenset(
    {"outreach", "momentum", "attention", "grain", "apollo", "groove", "otter", "fathom",
     "wingman", "seismic"}
)  # fmt: skip
"""Vendor names that are also words: they count only when capitalized ("Outreach")."""
CHOSE_VENDOR = (
    r"\b(?:go|going|went|gone|decided on|decided to go with|chose|chosen|picked|signed with"
    r"|selected)\s+(?:with\s+)?"
)
"""Followed by a vendor's name: the customer chose that vendor, and the deal is lost to it."""
REMOVAL_CUES = _words(
    "dropped", "drop", "ruled out", "rule out", "eliminated", "removed", "no longer",
    "not looking at", "not considering", "not evaluating", "out of the running", "cut",
    "walked away from", "moved away from",
)  # fmt: skip
"""A known competitor named with one of these is off the list."""
EVALUATION_CUES = _words(
    "also looking at", "looking at", "talking to", "talking with", "evaluating", "evaluate",
    "comparing", "compare", "compared", "versus", "vs", "against", "considering",
    "in conversations with", "in conversation with", "in talks with", "trialing", "trialling",
    "piloting", "demo with", "demo from", "demoed", "shortlist", "shortlisted", "bake-off",
    "bakeoff", "quote from", "proposal from", "pitch from", "speaking with", "spoke with",
    "met with", "meeting with", "alternatives", "option", "options", "competing", "on the table",
)  # fmt: skip

# --- contact.title -------------------------------------------------------------------------------

TITLE_CUES = (
    re.compile(r"\b(?:i've been|i have been|i was|i got|i just got|just got|i've just been)"
               r"\s+promoted\s+to\s+(?:be\s+)?(?:the\s+|a\s+|an\s+|our\s+)?(?:role of\s+)?"),
    re.compile(r"\bmy (?:new )?(?:role|title|position|job title) (?:is now|is|has changed to"
               r"|changed to)\s+(?:the\s+|a\s+|an\s+)?"),
    re.compile(r"\bmy new (?:role|title|position|job) is\s+(?:the\s+|a\s+|an\s+)?"),
    re.compile(r"\bi(?:'m| am) now (?:the\s+|our\s+|a\s+|an\s+)?(?=\S)"),
    re.compile(r"\bi(?:'m| am) taking over as (?:the\s+|our\s+)?"),
    re.compile(r"\bi(?:'ve| have) (?:moved|stepped) into (?:the\s+|a\s+|an\s+)?"),
)  # fmt: skip
"""Patterns that end right before the new title, which runs to `TITLE_END`."""
TITLE_NOW = re.compile(r"\bi(?:'m| am)\s+(?:the\s+|our\s+|a\s+|an\s+)?(?=(?P<title>.+?)\s+now\b)")
"""A title stated with a trailing "now": "I'm Director of Procurement now"."""
THIRD_PERSON_TITLE = re.compile(
    r"\b(?P<who>[a-z]+(?:\s+[a-z]+)?)\s+(?:is now|has been promoted to|was promoted to|got promoted"
    r" to|is taking over as|took over as|has taken over as|stepped up as|is our new|is the new)"
    r"\s+(?:our\s+|the\s+|a\s+|an\s+)?"
)
"""A customer telling about a colleague: "Mark is now our CFO"."""
TITLE_END = re.compile(
    r"\s*(?:[,;.!?()]|\s-\s|\band (?:i|we|so|now|that|this|you|he|she|they|it|i'm|i'll)\b"
    r"|\b(?:so|which|as of|effective|starting|since|now|role|position|here|at|from|last|this"
    r"|next|today|yesterday|because)\b)"
)
TITLE_WORDS = _words(
    "vp", "svp", "evp", "vice president", "director", "head", "manager", "chief", "lead",
    "president", "ceo", "cfo", "coo", "cro", "cto", "cio", "cmo", "cpo", "ciso", "founder",
    "officer", "partner", "principal", "engineer", "architect", "analyst", "specialist",
    "owner", "administrator", "admin", "executive", "controller", "counsel", "buyer",
)  # fmt: skip
TITLE_SPELLING = {
    "vp": "VP", "svp": "SVP", "evp": "EVP", "ceo": "CEO", "cfo": "CFO", "coo": "COO",
    "cro": "CRO", "cto": "CTO", "cio": "CIO", "cmo": "CMO", "cpo": "CPO", "ciso": "CISO",
    "it": "IT", "hr": "HR", "emea": "EMEA", "apac": "APAC", "gtm": "GTM", "revops": "RevOps",
    "eu": "EU", "uk": "UK", "us": "US", "na": "NA",
}  # fmt: skip
"""How a title word spoken in lower case (ASR) is written."""
TITLE_LOWER = frozenset({"of", "and", "for", "the", "in", "to", "at"})
MAX_TITLE_WORDS = 8

# --- contact.phone and contact.email ------------------------------------------------------------

PHONE_CUES = _words(
    "number", "mobile", "cell", "phone", "reach me", "call me", "direct line", "landline",
    "whatsapp", "text me",
)  # fmt: skip
PHONE_SPAN = re.compile(r"(?<![\w.])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{2,4}\)?){2,4}(?![\w.]\d)")
EMAIL_SPAN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_CUES = _words(
    "email", "e-mail", "address", "mine is", "reach me", "write to me", "moved", "changed",
)  # fmt: skip
FIRST_PERSON = _words("my", "mine", "me", "i'm", "i am", "i've")
"""A contact detail counts only when the speaker gives their own."""

# --- confidence by cue strength ------------------------------------------------------------------

CONFIDENCE = {
    "inferred": 0.6,
    "contact_detail": 0.8,
    "strong": 0.85,
    "cue": 0.75,
    "correction": 0.8,
    "agreed": 0.6,
    "relative_date": 0.7,
    "stage_phrase": 0.8,
    "stage_synonym": 0.7,
    "competitor": 0.75,
    "title": 0.85,
}
