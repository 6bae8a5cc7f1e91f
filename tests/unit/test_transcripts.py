"""Parsing every transcript form Engage accepts, and refusing the ones it cannot read."""

from __future__ import annotations

import json

import pytest

from agent.domain.models import Segment, Transcript
from agent.domain.transcripts import (
    UNKNOWN_SPEAKER,
    detect_format,
    parse_transcript,
    split_speaker,
    to_vtt,
)
from agent.errors import InputError, TranscriptFormatError

ZOOM_VTT = """\ufeffWEBVTT

NOTE recorded by Zoom
spanning two lines

1
00:00:05.120 --> 00:00:08.340
John Smith: Thanks everyone for joining.

2
00:00:08.500 --> 00:00:11.000 align:start position:10%
John Smith: Let's look at pricing.
It changed since last week.

3
00:00:11.200 --> 00:00:14.900
Dana Lee (Acme): Note: pricing is fine for us.

4
00:00:15.000 --> 00:00:16.000
this line names nobody
"""

TEAMS_VTT = """WEBVTT

0b7c3d2e-aaaa/12-0
00:00:03.260 --> 00:00:05.940
<v Jane Doe>Let's move the close date to the 30th.</v>

0b7c3d2e-aaaa/13-0
00:05.940 --> 00:07.100
<v.loud Sam Ray>Fine by me &amp; my team.

0b7c3d2e-aaaa/14-0
00:00:07.100 --> 00:00:09.000
<v Sam Ray>Send it <i>today</i>.</v>
"""


def _pairs(transcript: Transcript) -> list[tuple[str, str]]:
    return [(s.speaker, s.text) for s in transcript.segments]


class TestWebVtt:
    def test_zoom_style_prefixes_notes_settings_and_merging(self) -> None:
        transcript = parse_transcript(ZOOM_VTT)

        assert transcript.source_format == "vtt"
        assert _pairs(transcript) == [
            ("John Smith", "Thanks everyone for joining. Let's look at pricing. "
                           "It changed since last week."),
            ("Dana Lee (Acme)", "Note: pricing is fine for us."),
            (UNKNOWN_SPEAKER, "this line names nobody"),
        ]  # fmt: skip
        first = transcript.segments[0]
        assert (first.index, first.start, first.end) == (0, 5.12, 11.0)
        assert [s.index for s in transcript.segments] == [0, 1, 2]

    def test_teams_voice_tags_with_and_without_closing_tag(self) -> None:
        transcript = parse_transcript(TEAMS_VTT.encode())

        assert _pairs(transcript) == [
            ("Jane Doe", "Let's move the close date to the 30th."),
            ("Sam Ray", "Fine by me & my team. Send it today."),
        ]
        assert transcript.segments[1].start == 5.94
        assert transcript.segments[1].end == 9.0

    def test_a_cue_with_two_voices_becomes_two_turns(self) -> None:
        raw = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>Ready?</v>\n<v Bob>Yes.</v>\n"

        assert _pairs(parse_transcript(raw)) == [("Ann", "Ready?"), ("Bob", "Yes.")]

    def test_speaker_prefix_only_for_name_like_labels(self) -> None:
        raw = (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nAnn: We agreed. The plan is: ship it.\n\n"
            "00:02.000 --> 00:03.000\nWe said this. Then: nothing happened.\n"
        )

        assert _pairs(parse_transcript(raw)) == [
            ("Ann", "We agreed. The plan is: ship it."),
            (UNKNOWN_SPEAKER, "We said this. Then: nothing happened."),
        ]

    def test_missing_header_is_refused_when_vtt_is_asked_for(self) -> None:
        with pytest.raises(TranscriptFormatError, match=r"line 1: .*WEBVTT"):
            parse_transcript("1\n00:01.000 --> 00:02.000\nAnn: hi\n", fmt="vtt")

    def test_cue_without_timing_names_the_cue_and_line(self) -> None:
        raw = "WEBVTT\n\n1\n00:01.000 --> 00:02.000\nAnn: hi\n\n2\nAnn: no timing here\n"

        with pytest.raises(TranscriptFormatError, match=r"cue 2 \(line 7\): missing the timing"):
            parse_transcript(raw)

    def test_bad_timing_names_the_line(self) -> None:
        raw = "WEBVTT\n\n00:01.000 --> 00:0x.000\nAnn: hi\n"

        with pytest.raises(TranscriptFormatError, match=r"cue 1 \(line 3\): bad timing"):
            parse_transcript(raw)

    def test_header_and_notes_only_has_no_text(self) -> None:
        with pytest.raises(TranscriptFormatError, match="no spoken text"):
            parse_transcript("WEBVTT\n\nNOTE nothing was said\n")


class TestJson:
    def test_eval_dataset_shape(self) -> None:
        segments = [
            {"speaker": "Dana (Acme)", "start": 12.4, "text": "Budget is 120k."},
            {"speaker": "Riley (Engage)", "start": 15, "end": 18.5, "text": " Great. "},
            {"speaker": "Dana (Acme)", "text": "Also Friday works."},
        ]

        transcript = parse_transcript(json.dumps(segments), fmt="json")

        assert transcript.segments == (
            Segment(index=0, speaker="Dana (Acme)", text="Budget is 120k.", start=12.4),
            Segment(index=1, speaker="Riley (Engage)", text="Great.", start=15.0, end=18.5),
            Segment(index=2, speaker="Dana (Acme)", text="Also Friday works.", start=0.0),
        )

    def test_object_with_segments_and_clock_strings(self) -> None:
        raw = json.dumps({"segments": [{"speaker": "Ann", "start": "00:01:02.5", "text": "Hi"}]})

        assert parse_transcript(raw).segments[0].start == 62.5

    def test_malformed_json_says_where(self) -> None:
        with pytest.raises(TranscriptFormatError, match=r"malformed JSON at line 2, column"):
            parse_transcript('[\n{"speaker": "Ann" "text": "hi"}]')

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ('{"turns": []}', "needs a 'segments' list"),
            ('[{"speaker": "Ann"}]', r"segment 0: 'text' must be a string"),
            ('[{"speaker": "Ann", "text": "a"}, {"text": "b"}]', r"segment 1: 'speaker'"),
            ('[{"speaker": "Ann", "text": "a", "start": "soon"}]', r"segment 0 'start'"),
            ('[{"speaker": "Ann", "text": "a", "start": -1}]', "non-negative"),
            ('[{"speaker": "Ann", "text": "   "}]', "no spoken text"),
            ("[3]", "segment 0: expected an object"),
            ("[]", "no spoken text"),
        ],
    )
    def test_bad_segments_are_refused_with_a_reason(self, raw: str, message: str) -> None:
        with pytest.raises(TranscriptFormatError, match=message):
            parse_transcript(raw)


class TestPlain:
    def test_names_timestamps_and_continuation_lines(self) -> None:
        raw = (
            "[00:01:02] Dana (Acme): We looked at the quote.\n"
            "It works for us.\n\n"
            "00:02:10 Riley Park: Great.\n"
            "Note: pricing holds until Friday.\n"
            "Dana (Acme): Thanks.\n"
        )

        transcript = parse_transcript(raw)

        assert transcript.source_format == "plain"
        assert _pairs(transcript) == [
            ("Dana (Acme)", "We looked at the quote. It works for us."),
            ("Riley Park", "Great. Note: pricing holds until Friday."),
            ("Dana (Acme)", "Thanks."),
        ]
        assert [s.start for s in transcript.segments] == [62.0, 130.0, 130.0]

    def test_speaker_label_on_its_own_line(self) -> None:
        assert _pairs(parse_transcript("Ann:\nHello there.\n")) == [("Ann", "Hello there.")]

    def test_text_before_any_speaker_is_refused_with_its_line(self) -> None:
        with pytest.raises(TranscriptFormatError, match=r"line 2: expected 'Speaker: text'"):
            parse_transcript("\nwe talked about pricing\nAnn: yes\n")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Dana (Acme): hello", ("Dana (Acme)", "hello")),
        ("Dr. J. Smith: hello", ("Dr. J. Smith", "hello")),
        ("dana: hello", ("dana", "hello")),
        ("Note: pricing is fine", (None, "Note: pricing is fine")),
        ("We agreed. Then: more", (None, "We agreed. Then: more")),
        ("so the thing is: we wait", (None, "so the thing is: we wait")),
        ("A" * 70 + ": hello", (None, "A" * 70 + ": hello")),
        ("no separator here", (None, "no separator here")),
    ],
)
def test_split_speaker(line: str, expected: tuple[str | None, str]) -> None:
    assert split_speaker(line) == expected


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        ("\ufeff\nWEBVTT\n", "vtt"),
        ('  [{"speaker": "a"}]', "json"),
        ('{"segments": []}', "json"),
        ("[]", "json"),
        ("[00:00:01] Ann: hi", "plain"),
        ("Ann: hi", "plain"),
    ],
)
def test_detect_format(raw: str, fmt: str) -> None:
    assert detect_format(raw) == fmt


@pytest.mark.parametrize("raw", ["", "   \n\t", b"", b"\xef\xbb\xbf  "])
def test_empty_input_is_refused(raw: str | bytes) -> None:
    with pytest.raises(TranscriptFormatError, match="empty"):
        parse_transcript(raw)


def test_non_utf8_bytes_are_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="not UTF-8"):
        parse_transcript(b"Ann: caf\xe9")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="unknown transcript format 'srt'"):
        parse_transcript("Ann: hi", fmt="srt")


def test_format_errors_are_input_errors() -> None:
    assert issubclass(TranscriptFormatError, InputError)


class TestToVtt:
    def test_round_trip_of_a_parsed_vtt(self) -> None:
        for raw in (ZOOM_VTT, TEAMS_VTT):
            transcript = parse_transcript(raw)

            assert parse_transcript(to_vtt(transcript)) == transcript

    def test_round_trip_keeps_segments_with_markup_characters(self) -> None:
        transcript = Transcript(
            segments=(
                Segment(index=0, speaker="Dana <Acme>", text="a < b & c > d", start=0.0, end=1.5),
                Segment(index=1, speaker="Riley", text="Note: 3:00 works", start=3601.25, end=3602),
            ),
            source_format="json",
        )

        again = parse_transcript(to_vtt(transcript))

        assert again.segments == transcript.segments
        assert again.source_format == "vtt"

    def test_missing_end_is_written_as_the_next_start(self) -> None:
        transcript = parse_transcript("[00:00:01] Ann: one\n[00:00:04] Bob: two\n")

        again = parse_transcript(to_vtt(transcript))

        assert [(s.start, s.end) for s in again.segments] == [(1.0, 4.0), (4.0, 4.0)]
        assert _pairs(again) == _pairs(transcript)

    def test_writes_voice_tags_and_millisecond_timings(self) -> None:
        transcript = parse_transcript('[{"speaker": "Ann", "start": 3725.5, "end": 3726, '
                                      '"text": "Hi"}]')  # fmt: skip

        assert to_vtt(transcript) == ("WEBVTT\n\n1\n01:02:05.500 --> 01:02:06.000\n<v Ann>Hi</v>\n")
