"""Personal data is taken out of what an external model is sent and put back in what it answers."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import openai
import pytest

from agent.domain.models import Segment, Transcript
from agent.domain.redact import redact
from agent.errors import ConfigError
from agent.llm.openai_engine import OpenAIEngine
from agent.llm.prompts import load_prompt
from agent.llm.redaction import Placeholders, Redaction, parse_redaction, redact_request
from agent.services.extract import run_extraction
from tests.fakes.openai_script import answer, extraction, field_update, sample_call
from tests.fakes.openai_server import FakeScript, Reply, running_fake_openai

PHONE = "+1 415 555 0142"
SSN = "123-45-6789"
CARD = "4111 1111 1111 1111"


def test_the_setting_is_parsed_and_checked() -> None:
    assert parse_redaction("none") == Redaction(kinds=frozenset())
    assert not parse_redaction("").active
    chosen = parse_redaction("emails, names")
    assert chosen == Redaction(kinds=frozenset({"emails"}), names=True)
    with pytest.raises(ConfigError, match="ENGAGE_LLM_REDACT: unknown redaction kind"):
        parse_redaction("emails,addresses")


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        (f"My SSN is {SSN}.", SSN),
        ("The NI number is AB 12 34 56 C.", "AB 12 34 56 C"),
        ("Passport number X1234567, expires soon.", "X1234567"),
        (f"Charge card {CARD} for the pilot.", CARD),
        ("Wire it to DE89 3704 0044 0532 0130 00 today.", "DE89 3704 0044 0532 0130 00"),
    ],
)
def test_national_ids_cards_and_accounts_are_taken_by_pattern(text: str, hidden: str) -> None:
    assert hidden not in redact(text).text


def test_placeholders_are_stable_and_map_back_while_deal_facts_stay() -> None:
    marks = Placeholders(parse_redaction("emails,phones,numbers,names"), ("Dana Reyes", "Dana"))
    text = f"Dana Reyes (dana@acme.com, {PHONE}) confirmed 120k by 2026-12-31; dana@acme.com."
    hidden = marks.hide(text)
    assert "dana@acme.com" not in hidden
    assert PHONE not in hidden
    assert "Dana" not in hidden
    assert "120k" in hidden
    assert "2026-12-31" in hidden
    assert hidden.count("[EMAIL_1]") == 2
    assert marks.reveal(hidden) == text
    assert marks.reveal("[EMAIL_9] was invented") == "[EMAIL_9] was invented"


def _call() -> Any:
    request = sample_call()
    said = f"My new mobile is {PHONE}, and my SSN for the vendor form is {SSN}."
    segments = (
        *request.transcript.segments,
        Segment(index=6, speaker="Dana (Acme)", start=80.0, text=said),
    )
    return replace(request, transcript=Transcript(segments=segments))


class EchoingModel:
    """Proposes the phone it was shown, by its placeholder, quoting the segment as it saw it."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def __call__(self, body: Any) -> Reply:
        prompt = "\n".join(m["content"] for m in body["messages"])
        self.prompts.append(prompt)
        line = next(x for x in prompt.splitlines() if x.startswith("[6]"))
        quote = line.split(": ", 1)[1]
        phone = re.search(r"\[PHONE_\d+\]", quote)
        contact = re.search(r"<(\[EMAIL_\d+\])>", prompt)
        assert phone is not None
        assert contact is not None
        update = field_update(
            "contact.phone", phone.group(0), quote=quote, segments=[6], contact=contact.group(1)
        )
        return answer(extraction(summary=f"New number {phone.group(0)}.", field_updates=[update]))


def test_the_model_sees_placeholders_and_the_rep_sees_the_real_values() -> None:
    model = EchoingModel()
    request = _call()
    with running_fake_openai(FakeScript(responder=model)) as url:
        engine = OpenAIEngine(
            client=openai.OpenAI(api_key="sk-test", base_url=url),
            model="fake-model",
            prompt=load_prompt("extract", "v1"),
            redaction=parse_redaction("emails,phones,numbers"),
        )
        result = run_extraction(
            engine=engine,
            transcript=request.transcript,
            context=request.context,
            meeting_date=request.meeting_date,
        )
    sent = json.dumps(model.prompts)
    for personal in (PHONE, SSN, "dana@acme.com"):
        assert personal not in sent
    assert "120k" in sent
    changes = result.validated.changes
    assert [(c.field, c.after, c.contact_email) for c in changes] == [
        ("contact.phone", "+14155550142", "dana@acme.com")
    ]
    assert PHONE in changes[0].evidence.quote
    assert result.validated.summary == f"New number {PHONE}."


def test_redacting_a_request_keeps_its_shape() -> None:
    request = _call()
    hidden, marks = redact_request(request, parse_redaction("emails,phones,numbers,names"))
    assert len(hidden.transcript.segments) == len(request.transcript.segments)
    assert hidden.context.contacts[0].email == "[EMAIL_1]"
    assert "Dana" not in hidden.transcript.segments[1].speaker
    assert marks.count >= 4
