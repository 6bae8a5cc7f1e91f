"""Cross-call consistency: a value that contradicts what an earlier call of the deal said.

"The budget is 90k" today, after "our budget is 120k" a week ago, is flagged with both quotes:
one of the two calls was misheard, or the customer's story changed and the rep should know. A
value the speaker presents as a change ("now 90k", "down from 120", "instead of the 95") is not
a contradiction, and neither is the earlier call's own value said again.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from agent.domain.amounts import amount_mentions
from agent.domain.dates import find_dates
from agent.domain.display import shown
from agent.domain.models import ChangeFlag, EarlierStatement, FieldValueT, ProposedChange
from agent.domain.validate import same_value

__all__ = ["contradiction"]

_CHANGE_SAID: Final = re.compile(
    r"\b(?:now|instead of|rather than|up from|down from|no longer|any more|anymore|changed?"
    r"|revised|updated?|moved|slipp\w*|pushed|pulled (?:in|forward)|increased?|decreased?|raised"
    r"|cut|lowered|dropped|went (?:up|down)|new|actually|correction)\b",
    re.IGNORECASE,
)


def contradiction(
    change: ProposedChange, earlier: EarlierStatement | None, *, meeting_date: date
) -> ChangeFlag | None:
    """The flag for a change that differs from the earlier call's value without saying so."""
    if earlier is None or same_value(change.after, earlier.value):
        return None
    quote = change.evidence.quote
    if _CHANGE_SAID.search(quote) or _names(quote, earlier.value, meeting_date):
        return None
    who = f"{earlier.speaker}: " if earlier.speaker else ""
    return ChangeFlag(
        kind="earlier_call",
        message=(
            f"the call of {earlier.meeting_date} said {shown(earlier.value)} "
            f"({who}“{earlier.quote}”); this call says {shown(change.after)} "
            f"(“{quote}”)"
        ),
        earlier=earlier,
    )


def _names(quote: str, value: FieldValueT, meeting_date: date) -> bool:
    """Whether the quote itself names the earlier value, as a speaker correcting it does."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        said = {m.value for m in amount_mentions(quote)}
        return any(abs(v - value) < 0.005 * abs(value) or abs(v * 1000 - value) < 1 for v in said)
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value.casefold() in quote.casefold()
        return any(m.when == day for m in find_dates(quote.lower(), meeting_date=meeting_date))
    if isinstance(value, list):
        return any(v.casefold() in quote.casefold() for v in value)
    return False
