"""The `rules` engine's cues for next steps: commitment phrases, non-tasks, action clean-up.

Kept apart from `lexicon` (field cues) only for size; `lexicon.PROMPT_VERSION` versions both,
so bump it whenever a list here changes.
"""

from __future__ import annotations

import re

COMMITMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\bnext steps? (?:is|are|will be|would be)\s*:?\s+(?:for\s+(?P<who>me|us|you"
            r"|your team|[a-z]+)\s+to\s+|to\s+)?"
        ),
        "next",
    ),
    (re.compile(r"\b(?:i'll|i will|i'm going to|i am going to|let me)\s+"), "self"),
    (re.compile(r"\b(?:we'll|we will|we're going to|we are going to)\s+"), "side"),
    (
        re.compile(r"\b(?:can|could|would|will) (?:you|your team)\s+(?:please\s+)?|\bplease\s+"),
        "other",
    ),
    (
        re.compile(
            r"\b(?P<who>[a-z]+)(?: will| is going to|'ll)\s+(?=send|share|get|set up|book"
            r"|schedule|review|follow|loop|draft|prepare|confirm)"
        ),
        "named",
    ),
)
"""A commitment phrase and whose it is: the speaker, the speaker's side, the listener, a name."""
NOT_A_TASK = re.compile(
    r"^(?:be|see|hear|have|need|want|think|hope|try|pay|move|go|proceed|know|say|ask|tell you"
    r"|leave|keep|hold|stay|wait|note\b"
    r"|explain|clarify|share (?:my|the) screen|walk you through|show you|start (?:with|by|off)"
    r"|pull (?:it |that |this )?up|hand (?:it )?over|stop sharing|keep (?:it|this)|let you go"
    r"|talk to you|speak to you|see you|jump in|kick (?:us |things )?off|recap"
    r"|introduce (?:myself|ourselves|my colleague|my team|everyone|you to each other)"
    r"|just\b|also be|definitely be|still|need to think|take a step back|be honest|do that"
    r"|get started|wrap up|repeat|give you a quick|quickly)\b"
)
"""In-meeting talk ("let me share my screen") and non-actions, not follow-ups."""
RECORD_KEEPING = re.compile(
    r"^(?:put|update|change|move|mark|log|set|note|record|enter)\b.*\b(?:close date|crm"
    r"|salesforce|hubspot|the record|the opportunity|on (?:our|my) side|forecast|the stage)\b"
)
"""Updating the CRM record itself is what the proposal does, not a follow-up for the rep."""
FOLLOW_UP_VERBS = frozenset(
    {"send", "share", "check", "follow", "loop", "set", "book", "schedule", "review", "confirm",
     "draft", "prepare", "introduce", "get", "update", "call", "email", "ping", "circle", "reach",
     "run", "test", "finish", "route", "take", "present", "model", "write", "look", "talk", "ask",
     "connect", "forward", "provide", "arrange", "let", "come", "walk", "sync", "report", "bring"}
)  # fmt: skip
"""Verbs that start a second action after "and" in one promise."""
RELATIVE_WORDS = frozenset(
    {"number", "figure", "amount", "price", "date", "thing", "one", "what", "which", "who",
     "where", "how", "when", "why", "whatever", "everything", "anything", "something"}
)  # fmt: skip
"""A commitment phrase right after one of these is a relative clause, not a promise."""
VAGUE_ACTION = re.compile(
    r"(?:update|fix|check|do|change|handle|note|look at|look into|sort|test|cover|add|include"
    r"|take care of|confirm)\s+(?:it|that|this|those|them|both)(?:\s+\w+)?"
)
"""An action whose only object is a pronoun tells the rep nothing ("I'll update that")."""
DISFLUENCY = re.compile(r"\b(?:uh|um|erm|uhm|er)\b,?", re.IGNORECASE)
ACTION_LEAD = re.compile(
    r"^(?:also|then|just|go ahead and|definitely|quickly|now|both|all|all of you|you both"
    r"|everyone|guys|folks)\s+"
)
DATE_PREPOSITION = re.compile(
    r"(?:\s*\b(?:by|on|before|until|till|no later than|sometime|some time|early|later|this|next"
    r"|for|around|due|in|the|of|week|first|at|latest))+\s*$",
    re.IGNORECASE,
)
"""What is left of a due date once its date is cut from an action ("for the week of")."""
MIN_ACTION_WORDS = 2
