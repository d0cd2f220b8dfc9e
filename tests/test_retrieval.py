"""select_paragraphs: the relevant paragraphs and their neighbours, within the token budget."""

from __future__ import annotations

import random

import pytest

from bot.analysis.retrieval import select_paragraphs
from bot.domain.article import Article
from bot.tokens import count_tokens
from tests.shared_data import sample_article

TOPICS = [
    "The bakery on Mill Lane sells rye bread, cinnamon buns and sourdough loaves every morning.",
    "Bus route 14 now runs every twelve minutes between the station and the hospital.",
    "The library extended its opening hours and added a reading room for teenagers.",
    "Allotment holders complained about slugs, late frosts and the price of compost.",
    "The swimming pool closes in August for repairs to its roof and changing rooms.",
    "A jazz quartet played in the square, drawing a crowd of commuters and tourists.",
    "The school football team reached the regional final after a penalty shoot-out.",
    "Council tax bills will rise by four percent to pay for street lighting and bins.",
]
LIGHTHOUSE = (
    "Restoration of the Gannet Point lighthouse will cost £2.4 million, paid by a heritage "
    "grant, and the lamp room will reopen to visitors in spring."
)
AFTER_LIGHTHOUSE = "She added that volunteers would guide tours twice a week."
BEFORE_LIGHTHOUSE = "Maria Lopez, who chairs the heritage trust, spoke to reporters on Friday."


def long_article(position: int = 30, size: int = 48) -> Article:
    """Filler paragraphs about other things, with the lighthouse story at `position` (0-based)."""
    paragraphs = [f"{TOPICS[i % len(TOPICS)]} Item {i}." for i in range(size)]
    paragraphs[position - 1] = BEFORE_LIGHTHOUSE
    paragraphs[position] = LIGHTHOUSE
    paragraphs[position + 1] = AFTER_LIGHTHOUSE
    return Article.build(paragraphs, title="Town news")


def tokens_of(article: Article, numbers: list[int]) -> int:
    return sum(count_tokens(article.paragraph(n)) for n in numbers)


def test_whole_article_when_it_fits():
    article = sample_article()
    chosen = select_paragraphs(
        article, "anything", budget_tokens=article.tokens + 50, count_tokens=count_tokens
    )
    assert chosen == list(range(1, len(article.paragraphs) + 1))


def test_relevant_paragraph_and_its_neighbours_are_chosen():
    article = long_article(position=30)
    assert article.tokens > 600
    chosen = select_paragraphs(
        article,
        "How much will the lighthouse restoration cost?",
        budget_tokens=150,
        count_tokens=count_tokens,
    )
    assert 31 in chosen  # the lighthouse paragraph (1-based)
    assert {30, 32} <= set(chosen)  # the paragraphs before and after it, for "She", "who"
    assert chosen == sorted(set(chosen))
    assert tokens_of(article, chosen) <= 150


def test_budget_fills_with_the_next_best_paragraphs():
    article = long_article()
    chosen = select_paragraphs(
        article,
        "When do the buses and the swimming pool run?",
        budget_tokens=300,
        count_tokens=count_tokens,
    )
    texts = [article.paragraph(n) for n in chosen]
    assert any("Bus route 14" in t for t in texts)
    assert any("swimming pool" in t for t in texts)
    assert 250 < tokens_of(article, chosen) <= 300


def test_budget_is_never_exceeded():
    article = sample_article()
    rng = random.Random(7)
    words = " ".join(article.paragraphs).split()
    for _ in range(200):
        question = " ".join(rng.sample(words, rng.randint(1, 8)))
        budget = rng.randint(0, article.tokens)
        chosen = select_paragraphs(
            article, question, budget_tokens=budget, count_tokens=count_tokens
        )
        assert tokens_of(article, chosen) <= budget
        assert chosen == sorted(set(chosen))
        assert all(1 <= n <= len(article.paragraphs) for n in chosen)


def test_a_paragraph_bigger_than_the_budget_is_skipped_not_cut():
    huge = "Turbines " * 400
    article = Article.build(
        ["Turbines are coming to the bay.", huge.strip(), "Fish stocks are down."]
    )
    chosen = select_paragraphs(article, "turbines", budget_tokens=60, count_tokens=count_tokens)
    assert 2 not in chosen
    assert 1 in chosen


def test_history_carries_the_topic_of_a_follow_up():
    article = long_article(position=40)
    follow_up = "And when will it reopen to visitors?"
    with_history = select_paragraphs(
        article,
        "Who pays for it?",
        budget_tokens=80,
        count_tokens=count_tokens,
        history=["Tell me about the lighthouse restoration", follow_up],
    )
    without = select_paragraphs(
        article, "Who pays for it?", budget_tokens=80, count_tokens=count_tokens
    )
    assert 41 in with_history
    assert 41 not in without


def test_current_question_outweighs_history():
    article = long_article(position=40)
    chosen = select_paragraphs(
        article,
        "What did allotment holders complain about?",
        budget_tokens=40,
        count_tokens=count_tokens,
        history=["Tell me about the lighthouse restoration"],
    )
    assert any("Allotment" in article.paragraph(n) for n in chosen)
    assert 41 not in chosen


def test_non_english_articles():
    paragraphs = [f"Новости города: абзац номер {i} о погоде и дорогах." for i in range(30)]
    paragraphs[17] = "Мэр объявил, что новый мост через реку откроют в сентябре."
    article = Article.build(paragraphs)
    chosen = select_paragraphs(
        article, "Когда откроют мост?", budget_tokens=60, count_tokens=count_tokens
    )
    assert 18 in chosen

    chinese = [f"城市新闻第{i}段：天气和交通情况良好。" for i in range(30)]
    chinese[9] = "市长宣布新的跨河大桥将在九月开放。"
    article = Article.build(chinese)
    chosen = select_paragraphs(
        article, "大桥什么时候开放？", budget_tokens=60, count_tokens=count_tokens
    )
    assert 10 in chosen


def test_question_without_content_words_falls_back_to_the_lead():
    article = long_article()
    chosen = select_paragraphs(article, "Why?", budget_tokens=60, count_tokens=count_tokens)
    assert chosen and chosen[0] == 1


@pytest.mark.parametrize("budget", [0, 1])
def test_tiny_budget_returns_nothing_rather_than_too_much(budget):
    article = long_article()
    assert (
        select_paragraphs(article, "lighthouse", budget_tokens=budget, count_tokens=count_tokens)
        == []
    )


def test_different_articles_do_not_share_an_index():
    first = long_article(position=30)
    second = long_article(position=10)
    q = "How much will the lighthouse restoration cost?"
    assert 31 in select_paragraphs(first, q, budget_tokens=60, count_tokens=count_tokens)
    assert 11 in select_paragraphs(second, q, budget_tokens=60, count_tokens=count_tokens)
