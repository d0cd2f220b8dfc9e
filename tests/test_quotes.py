"""QuoteVerifier: only the article's own words get through, in the article's exact form."""

from __future__ import annotations

import pytest

from bot.analysis.quotes import QuoteVerifier
from bot.analysis.text import normalize_with_offsets
from bot.domain.article import Article
from tests.shared_data import requires_shared, russia_china_article, sample_article


@pytest.fixture(scope="module")
def article() -> Article:
    return sample_article()


@pytest.fixture(scope="module")
def verifier(article: Article) -> QuoteVerifier:
    return QuoteVerifier(article)


def number_of(article: Article, fragment: str) -> int:
    return next(n for n, p in enumerate(article.paragraphs, 1) if fragment in p)


def test_exact_quote_returns_article_text_and_paragraph(verifier, article):
    q = verifier.match("We were consulted the way a fish is consulted by a net.")
    assert q is not None
    assert q.text == "We were consulted the way a fish is consulted by a net"
    assert q.paragraph == number_of(article, "consulted by a net")
    assert q.text in article.paragraph(q.paragraph)


@pytest.mark.parametrize(
    "variant",
    [
        "WE WERE CONSULTED the way a fish is consulted by a net",
        "we were  consulted\tthe way a fish\nis consulted by a net",
        "“We were consulted the way a fish is consulted by a net.”",
        "'We were consulted the way a fish is consulted by a net,'",
        "«We were consulted the way a fish is consulted by a net»",
    ],
)
def test_case_whitespace_and_quote_mark_variants_match(verifier, variant):
    q = verifier.match(variant)
    assert q is not None
    assert q.text == "We were consulted the way a fish is consulted by a net"


def test_typographic_variants_map_back_to_the_original_characters():
    article = Article.build(
        [
            "Intro paragraph about the harbour and its boats.",
            "The mayor said the plan was “bold — but necessary…” and nobody’s fault.",
        ]
    )
    verifier = QuoteVerifier(article)
    q = verifier.match('the plan was "bold - but necessary..." and nobody\'s fault')
    assert q is not None
    assert q.text == "the plan was “bold — but necessary…” and nobody’s fault"
    assert q.paragraph == 2


def test_nfkc_and_combining_characters_keep_exact_offsets():
    # "ﬁ" is one character that NFKC turns into two; "é" is written as e + combining accent.
    paragraph = "The ﬁnal report from Cafe\u0301 Central was publi\u00adshed today."
    text, starts, ends = normalize_with_offsets(paragraph)
    fi = text.index("final")
    assert text[fi : fi + 2] == "fi"
    assert paragraph[starts[fi] : ends[fi + 1]] == "ﬁ"  # both letters map back to the ligature
    cafe = text.index("café")
    assert paragraph[starts[cafe] : ends[cafe + 3]] == "Cafe\u0301"
    article = Article.build([paragraph])
    q = QuoteVerifier(article).match("the final report from Café Central")
    assert q is not None
    assert q.text == "The ﬁnal report from Cafe\u0301 Central"


@requires_shared
def test_curly_quotes_in_the_shared_article():
    article = russia_china_article()
    verifier = QuoteVerifier(article)
    q = verifier.match('"Chinese-Russian relations aren\'t directed against any third countries"')
    assert q is not None
    assert q.text == "Chinese-Russian relations aren’t directed against any third countries"
    assert q.text in article.paragraph(q.paragraph)


@pytest.mark.parametrize(
    ("near_miss", "expected"),
    [
        (  # a typo
            "Nobody asked the people who actualy work those waters where the turbines should go",
            "Nobody asked the people who actually work those waters where the turbines should go",
        ),
        (  # a dropped word
            "Nobody asked the people who work those waters where the turbines should go",
            "Nobody asked the people who actually work those waters where the turbines should go",
        ),
        (  # two small slips
            "the risks to wild life were real but manageable if the monitoring works as described",
            'the risks to wildlife were "real but manageable" if the monitoring worked as '
            "described",
        ),
    ],
)
def test_close_fuzzy_match_is_replaced_by_exact_text(verifier, article, near_miss, expected):
    q = verifier.match(near_miss)
    assert q is not None
    assert q.text == expected
    assert q.text in article.paragraph(q.paragraph)


@pytest.mark.parametrize(
    "paraphrase",
    [
        "The council approved the pilot by seven votes to two on Tuesday night",
        "Nobody consulted the fishermen about where the turbines would be placed",
        "We consulted people the way a net consults a fish",
        "the most significant decision the council has taken in a generation",
        "Data from the monitors will be released each month, the company said",
        "The turbines will be halted automatically if marine mammals come within 50 metres",
        "Pryce said the survey only covered a single winter",
        "We're not asking anybody to choose between energy and fishing",
    ],
)
def test_paraphrases_are_rejected(verifier, paraphrase):
    assert verifier.match(paraphrase) is None


@pytest.mark.parametrize(
    "fabricated",
    [
        "The turbines will destroy the fishing industry forever",
        "We will never allow turbines in these waters",
        "Tidewater Energy promised free electricity to every household",
    ],
)
def test_fabricated_quotes_are_rejected(verifier, fabricated):
    assert verifier.match(fabricated) is None


@pytest.mark.parametrize(
    "changed_fact",
    [
        "the project would bring 400 permanent jobs to the town",  # number
        "the project would not bring 40 permanent jobs to the town",  # negation
    ],
)
def test_near_miss_that_changes_a_number_or_negation_is_rejected(verifier, changed_fact):
    assert verifier.match("the project would bring 40 permanent jobs to the town") is not None
    assert verifier.match(changed_fact) is None


def test_ellipsis_quote_returns_the_span_when_it_is_short(verifier, article):
    q = verifier.match("the turbines would close some … grounds on the coast")
    assert q is not None
    assert (
        q.text
        == "the turbines would close some of the richest crab and lobster grounds on the coast"
    )
    assert q.paragraph == number_of(article, "richest crab")


def test_ellipsis_quote_with_a_long_gap_returns_the_parts(verifier):
    q = verifier.match("We have watched our young people leave ... a reason to stay")
    assert q is not None
    assert q.text == "We have watched our young people leave … a reason to stay"


def test_ellipsis_that_skips_out_of_the_quotation_returns_the_parts(verifier):
    q = verifier.match("We are not asking anyone to choose ... if we plan it together")
    assert q is not None
    assert '"' not in q.text
    assert q.text == "We are not asking anyone to choose … if we plan it together"


def test_ellipsis_parts_out_of_order_or_in_two_paragraphs_are_rejected(verifier):
    assert verifier.match("a reason to stay ... We have watched our young people") is None
    assert verifier.match("a reason to stay ... Not everyone in the packed council") is None


def test_wrong_paragraph_hint_is_corrected(verifier, article):
    q = verifier.match("Construction is scheduled to begin in September", paragraph_hint=2)
    assert q is not None
    assert q.paragraph == number_of(article, "Construction is scheduled")


def test_hint_picks_among_repeated_text():
    repeated = "The committee will meet again next week to decide."
    article = Article.build([f"First item. {repeated}", "Unrelated middle.", f"{repeated} Later."])
    verifier = QuoteVerifier(article)
    assert verifier.match(repeated).paragraph == 1
    assert verifier.match(repeated, paragraph_hint=3).paragraph == 3
    assert verifier.match(repeated, paragraph_hint=99).paragraph == 1


def test_quote_spanning_two_paragraphs_is_rejected(verifier):
    assert (
        verifier.match(
            "Tonight we gave some of them a reason to stay. Not everyone in the packed council "
            "chamber agreed."
        )
        is None
    )


@pytest.mark.parametrize("short", ["Okafor said", "snapshot", "", "   ", "a net"])
def test_quotes_under_three_words_are_rejected(verifier, short):
    assert verifier.match(short) is None


def test_match_never_starts_inside_a_word(verifier):
    q = verifier.match("he Port Ellery town council voted 7 to 2 on Tuesday night")
    assert q is not None
    assert q.text.startswith("The Port Ellery")


def test_verify_deduplicates_and_counts_dropped(verifier, article):
    p = number_of(article, "consulted by a net")
    quotes, dropped = verifier.verify(
        [
            ("We were consulted the way a fish is consulted by a net.", p),
            ("“we were consulted the way a fish is consulted by a net”", None),
            ("the way a fish is consulted", p),  # inside the first: merged
            ("The moon is made of cheese and always has been", None),
            ("Okafor said", None),
            ("Construction is scheduled to begin in September", 1),
        ]
    )
    assert [q.text for q in quotes] == [
        "We were consulted the way a fish is consulted by a net",
        "Construction is scheduled to begin in September",
    ]
    assert dropped == 2
    for q in quotes:
        assert q.text in article.paragraph(q.paragraph)


def test_verify_keeps_the_longer_of_overlapping_quotes(verifier):
    quotes, dropped = verifier.verify(
        [
            ("the way a fish is consulted", None),
            ("We were consulted the way a fish is consulted by a net", None),
        ]
    )
    assert dropped == 0
    assert [q.text for q in quotes] == ["We were consulted the way a fish is consulted by a net"]


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("Tidewater Energy", True),
        ("Tidewater Energy's", True),
        ("tidewater energy", True),
        ("Jane Smith", False),
        ("Helen Okafor", True),
        ("Mayor Helen Okafor", True),
        ("President Helen Okafor", True),
        ("Dr. Anika Shah", True),
        ("Prof. Shah", True),
        ("Okafor", True),
        ("Helen Keane", False),  # both words occur, never in one paragraph
        ("Ellery Fishermen’s Association", True),
        ("Greenpeace", False),
        ("", False),
    ],
)
def test_mentions(verifier, name, found):
    assert verifier.mentions(name) is found


@requires_shared
def test_mentions_in_the_shared_article():
    verifier = QuoteVerifier(russia_china_article())
    assert verifier.mentions("Antony Blinken")
    assert verifier.mentions("Antony J. Blinken")
    assert verifier.mentions("Russian President Vladimir Putin")
    assert verifier.mentions("Wang Yi")
    assert not verifier.mentions("Emmanuel Macron")


def test_scripts_without_spaces():
    article = Article.build(
        ["東京で新しい橋が開通した。市長が式典に出席した。", "天気は晴れだった。"]
    )
    verifier = QuoteVerifier(article)
    q = verifier.match("「市長が式典に出席した」")
    assert q is not None
    assert (q.text, q.paragraph) == ("市長が式典に出席した", 1)
    assert verifier.match("市長が式典に出席") is not None  # no word boundaries to respect
    assert verifier.match("市長が式典で演説した") is None
    assert verifier.match("市長") is None  # two characters: about one word, not evidence
