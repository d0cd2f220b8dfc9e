"""Extractive summary: the lead as TL;DR, then the most central sentences as bullets.

News is written as an inverted pyramid, so the first real sentence (skipping headlines, captions,
bylines and teasers) is the best one-line summary. Bullets are picked by TextRank over TF-IDF
sentence vectors (the sentences most similar to the rest of the article are the ones it is
about), favouring readable lengths, one from each stretch of the article first so that later
reactions and next steps are covered too, skipping near-duplicates of what is already picked;
they are shown in article order. Everything is a verbatim sentence of the article.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from bot.analysis.models import Bullet, Summary
from bot.analysis.offline.furniture import strip_dateline
from bot.analysis.offline.sentences import Sentence, parse
from bot.analysis.text import STOPWORDS, tokenize
from bot.domain.article import Article

MIN_BULLETS, MAX_BULLETS = 3, 7
SENTENCES_PER_BULLET = 5
LEAD_MIN_WORDS = 8
# Similarity above which a sentence repeats one already picked.
REDUNDANCY = 0.45
DAMPING = 0.85
STEM_LEN = 6


def _terms(text: str) -> list[str]:
    # A crude, language-agnostic stem: the first STEM_LEN characters of each word.
    return [t[:STEM_LEN] for t in tokenize(text, stopwords=STOPWORDS)]


def tfidf_matrix(texts: list[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows, one per text."""
    docs = [Counter(_terms(t)) for t in texts]
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    vocab = {term: i for i, term in enumerate(df)}
    matrix = np.zeros((len(texts), max(len(vocab), 1)))
    n = len(texts)
    for row, doc in enumerate(docs):
        for term, tf in doc.items():
            matrix[row, vocab[term]] = (1 + math.log(tf)) * math.log((1 + n) / (1 + df[term]))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def textrank(similarity: np.ndarray, iterations: int = 50) -> np.ndarray:
    n = similarity.shape[0]
    weights = similarity.copy()
    np.fill_diagonal(weights, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    transition = np.where(totals > 0, weights / np.where(totals == 0, 1, totals), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - DAMPING) / n + DAMPING * transition.T @ rank
    return rank


def _length_factor(words: int) -> float:
    """Prefer sentences that read well as a bullet (they must stay verbatim)."""
    if words < 8:
        return 0.3
    if words < 12:
        return 0.7
    if words <= 40:
        return 1.0
    return 0.8 if words <= 55 else 0.5


def lead_sentence(sentences: list[Sentence]) -> Sentence | None:
    """The first real sentence of the story."""
    for sentence in sentences:
        if sentence.words >= LEAD_MIN_WORDS and sentence.text.rstrip().endswith(tuple(".!?\"'”’")):
            return sentence
    return sentences[0] if sentences else None


def offline_summary(article: Article) -> Summary:
    parsed = parse(article)
    story = parsed.story() or list(parsed.sentences)
    lead = lead_sentence(story)
    if lead is None:
        return Summary(tldr=article.title or "", bullets=[])
    tldr = strip_dateline(lead.text)
    pool = [s for s in story if s is not lead]
    if not pool:
        return Summary(tldr=tldr, bullets=[])
    texts = [lead.text] + [s.text for s in pool]
    vectors = tfidf_matrix(texts)
    similarity = vectors @ vectors.T
    rank = (textrank(similarity[1:, 1:]) if len(pool) > 1 else np.ones(1)).tolist()
    count = len(pool)
    scores = []
    for i, sentence in enumerate(pool):
        position = 1.0 + 0.3 * (1 - i / count)  # mild inverted-pyramid prior
        quoted = 0.85 if sentence.text.lstrip()[:1] in '"“«„' else 1.0
        scores.append(rank[i] * _length_factor(sentence.words) * position * quoted)
    wanted = min(MAX_BULLETS, max(MIN_BULLETS, len(story) // SENTENCES_PER_BULLET), len(pool))
    # One bullet from each of `wanted` consecutive stretches of the article first, so the
    # summary covers the whole story (reactions, next steps), then the best of the rest.
    blocks = [range(b * count // wanted, (b + 1) * count // wanted) for b in range(wanted)]
    candidates = [max(block, key=lambda k: (scores[k], -k)) for block in blocks if len(block)]
    candidates += sorted(range(count), key=lambda k: (-scores[k], k))
    picked: list[int] = []
    for i in candidates:
        if len(picked) == wanted:
            break
        rows = [0] + [p + 1 for p in picked]  # compare with the lead and the bullets so far
        if i in picked or similarity[i + 1, rows].max() > REDUNDANCY:
            continue
        picked.append(i)
    bullets = [
        Bullet(text=pool[i].text, paragraphs=[pool[i].paragraph])
        for i in sorted(picked, key=lambda k: pool[k].index)
    ]
    return Summary(tldr=tldr, bullets=bullets)
