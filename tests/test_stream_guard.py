"""QuoteStreamGuard: quoted spans are shown only once verified, whatever the stream's chunking."""

from __future__ import annotations

import random

import pytest

from bot.analysis.quotes import QuoteVerifier
from bot.analysis.stream_guard import QuoteStreamGuard
from tests.shared_data import sample_article

NOTE = "[not found in the article]"
FABRICATED = "the moon base will open next spring"


@pytest.fixture(scope="module")
def verifier() -> QuoteVerifier:
    return QuoteVerifier(sample_article())


def run(verifier: QuoteVerifier, chunks: list[str]) -> tuple[list[str], QuoteStreamGuard]:
    guard = QuoteStreamGuard(verifier)
    outputs = [guard.feed(chunk) for chunk in chunks]
    outputs.append(guard.finish())
    return outputs, guard


def whole(verifier: QuoteVerifier, text: str) -> str:
    return "".join(run(verifier, [text])[0])


def test_text_outside_quotes_passes_through_immediately(verifier):
    guard = QuoteStreamGuard(verifier)
    assert guard.feed("The council voted ") == "The council voted "
    assert guard.feed("7 to 2; Keane's group objected.") == "7 to 2; Keane's group objected."
    assert guard.finish() == ""
    assert guard.verified == [] and guard.unverified == 0


def test_quoted_text_is_held_until_it_closes(verifier):
    guard = QuoteStreamGuard(verifier)
    assert guard.feed('Keane said "Nobody asked the people') == "Keane said "
    assert guard.holding
    assert guard.feed(" who actually work those waters") == ""
    out = guard.feed(' where the turbines should go." Then')
    assert out == (
        '"Nobody asked the people who actually work those waters where the turbines should go."'
        " Then"
    )
    assert not guard.holding
    assert [q.paragraph for q in guard.verified] == [7]


def test_verified_quote_is_shown_in_the_articles_exact_wording(verifier):
    text = "She called it “the most importnt thing this council has done in a generation”."
    assert whole(verifier, text) == (
        "She called it “the most important thing this council has done in a generation”."
    )


def test_fabricated_quote_is_replaced_by_the_note(verifier):
    guard = QuoteStreamGuard(verifier)
    out = guard.feed(f'Okafor promised "{FABRICATED}" to voters.') + guard.finish()
    assert out == f"Okafor promised {NOTE} to voters."
    assert FABRICATED not in out
    assert guard.unverified == 1
    assert guard.verified == []


def test_custom_note(verifier):
    guard = QuoteStreamGuard(verifier, not_found_note=" (unverified quote removed)")
    out = guard.feed(f'He said "{FABRICATED}".') + guard.finish()
    assert out == "He said (unverified quote removed)."


@pytest.mark.parametrize(
    "scare", ['a "snapshot" of', "“real but”", "«no limits»", '"heroic" troops']
)
def test_scare_quotes_under_three_words_pass_unchanged(verifier, scare):
    out, guard = run(verifier, [scare])
    assert "".join(out) == scare
    assert guard.unverified == 0


def test_apostrophes_and_single_quotes_are_not_quote_marks(verifier):
    text = "The fishermen's view: 'we'll see', Keane’s group said ‘maybe’."
    guard = QuoteStreamGuard(verifier)
    assert guard.feed(text) == text
    assert not guard.holding


def test_unclosed_quote_is_verified_at_finish(verifier):
    guard = QuoteStreamGuard(verifier)
    assert guard.feed('Duarte: "The Narrows are big enough for both') == "Duarte: "
    assert guard.finish() == '"The Narrows are big enough for both"'

    guard = QuoteStreamGuard(verifier)
    assert guard.feed(f'Duarte: "{FABRICATED}') == "Duarte: "
    assert guard.finish() == NOTE
    assert guard.unverified == 1


def test_a_line_break_ends_an_unclosed_quote(verifier):
    text = f'Keane: "{FABRICATED}\nDuarte said "The Narrows are big enough for both".'
    assert whole(verifier, text) == (
        f'Keane: {NOTE}\nDuarte said "The Narrows are big enough for both".'
    )


def test_straight_quotes_pair_up(verifier):
    text = (
        '"Nobody asked the people who actually work those waters," Keane said, and '
        f'"{FABRICATED}," said nobody.'
    )
    out = whole(verifier, text)
    assert out == (
        '"Nobody asked the people who actually work those waters," Keane said, and '
        f"{NOTE} said nobody."
    )


MODEL_TEXT = (
    "Keane objected: “Nobody asked the people who actualy work those waters where the turbines "
    'should go.” Okafor called it "the most important thing this council has done in a '
    'generation", while Pryce called the survey "a snapshot". '
    f'A spokesperson also said "{FABRICATED}" and «the risks were unmanageable for everyone». '
    "Keane's view is that 'we'll fish until they tell us' — and Duarte said \"We are not asking "
    'anyone to choose between fishing and energy."\nFinally, '
    f'„{FABRICATED} indeed“ was never said, and the text ends mid-quote: "Construction is '
    "scheduled to begin in September"
)
# Words that occur only in the fabricated quotes above.
FABRICATED_MARKERS = ("moon base", "unmanageable for everyone")


def test_whole_text_result(verifier):
    out = whole(verifier, MODEL_TEXT)
    assert "who actually work those waters" in out
    assert '"a snapshot"' in out
    assert out.count(NOTE) == 3
    assert out.endswith('"Construction is scheduled to begin in September"')
    for marker in FABRICATED_MARKERS:
        assert marker not in out


def test_any_split_gives_the_same_output_and_never_shows_a_fabricated_span(verifier):
    expected = whole(verifier, MODEL_TEXT)
    rng = random.Random(20260314)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(MODEL_TEXT)), rng.randint(1, 60)))
        chunks = [
            MODEL_TEXT[a:b] for a, b in zip([0, *cuts], [*cuts, len(MODEL_TEXT)], strict=True)
        ]
        outputs, guard = run(verifier, chunks)
        shown = ""
        for piece in outputs:
            shown += piece
            for marker in FABRICATED_MARKERS:
                assert marker not in shown
        assert shown == expected
        assert guard.unverified == 3
        assert len(guard.verified) == 4


def test_character_by_character_stream(verifier):
    outputs, _ = run(verifier, list(MODEL_TEXT))
    assert "".join(outputs) == whole(verifier, MODEL_TEXT)
