"""Turn the model's claims into results we can stand behind.

Quotes are verified against the article (unverifiable ones are dropped and counted), actors whose
name does not occur in the article are dropped, paragraph references that point nowhere are
repaired or removed, and an answer that claims support without a verified quote is marked
unsupported. Nothing the model says reaches a user without passing through here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.analysis.models import Actor, Answer, Bullet, Quote, Summary
from bot.analysis.quotes import QuoteVerifier
from bot.analysis.schemas import ActorClaim, AnswerOut, BulletClaim, QuoteClaim, SummaryOut
from bot.analysis.text import normalize, words
from bot.domain.article import Article

# What an unanswerable result says when the model gave no text of its own: never an empty answer.
NOT_SAID = "The article doesn't say."
MAX_BULLETS = 7
MAX_ACTORS = 8
MAX_QUOTES_PER_ACTOR = 2


def _words(text: str) -> set[str]:
    """Words of three letters or more: enough to tell which paragraph a point comes from."""
    return {w for w in words(normalize(text)) if len(w) >= 3}


def _best_paragraph(article: Article, text: str) -> int | None:
    """The paragraph sharing the most words with `text`, to repair a missing citation."""
    wanted = _words(text)
    best, best_overlap = None, 1
    for number, paragraph in enumerate(article.paragraphs, start=1):
        overlap = len(wanted & _words(paragraph))
        if overlap > best_overlap:
            best, best_overlap = number, overlap
    return best


def ground_bullets(claims: Iterable[BulletClaim], article: Article) -> list[Bullet]:
    """Keep paragraph numbers that exist; cite the best-matching paragraph when none do."""
    bullets: list[Bullet] = []
    for claim in claims:
        text = claim.text.strip()
        if not text:
            continue
        refs = sorted({n for n in claim.paragraphs if article.has_paragraph(n)})
        if not refs and (best := _best_paragraph(article, text)) is not None:
            refs = [best]
        bullets.append(Bullet(text=text, paragraphs=refs))
    return bullets[:MAX_BULLETS]


def ground_summary(out: SummaryOut, article: Article) -> Summary:
    return Summary(tldr=out.tldr.strip(), bullets=ground_bullets(out.bullets, article))


def verify_quotes(
    claims: Iterable[QuoteClaim], verifier: QuoteVerifier, *, limit: int | None = None
) -> tuple[list[Quote], int]:
    quotes, dropped = verifier.verify((q.text, q.paragraph) for q in claims)
    if limit is not None and len(quotes) > limit:
        quotes = quotes[:limit]
    return quotes, dropped


def ground_actors(claims: Iterable[ActorClaim], verifier: QuoteVerifier) -> tuple[list[Actor], int]:
    """Actors named in the article, with verified quotes; returns (actors, dropped quotes)."""
    actors: list[Actor] = []
    dropped = 0
    for claim in claims:
        name = claim.name.strip()
        if not name or not verifier.mentions(name):
            dropped += len(claim.quotes)
            continue
        quotes, lost = verify_quotes(claim.quotes, verifier, limit=MAX_QUOTES_PER_ACTOR)
        dropped += lost
        actors.append(
            Actor(
                name=name,
                kind=claim.kind,
                role=claim.role.strip(),
                did=claim.did.strip(),
                quotes=quotes,
            )
        )
    return actors[:MAX_ACTORS], dropped


def ground_answer(
    out: AnswerOut, verifier: QuoteVerifier, *, answer_text: str | None = None
) -> tuple[Answer, int]:
    """Verify an answer's quotes; `answer_text` is the stream-guarded text when streamed.

    An empty answer is no answer: it becomes unanswerable, and says so in words. (A non-empty
    unanswerable text is kept as written; renderers add the "doesn't say" line if it lacks one.)"""
    quotes, dropped = verify_quotes(out.quotes, verifier)
    text = (answer_text if answer_text is not None else out.answer).strip()
    answerable = out.answerable and bool(text)
    if not text:
        text = NOT_SAID
    return (
        Answer(
            answer=text,
            answerable=answerable,
            supported=answerable and bool(quotes),
            quotes=quotes if answerable else [],
        ),
        dropped,
    )
