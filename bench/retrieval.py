"""Benchmark paragraph retrieval (bot.analysis.retrieval) on SQuAD articles.

For each SQuAD dev article (one Article paragraph per SQuAD paragraph, so the gold paragraph
number is para_idx + 1) and each of its questions, select paragraphs at several token budgets and
report gold-paragraph recall and the mean share of the article's tokens sent, over all articles
and over articles of more than 4,000 tokens (the ones where selection matters). The target at
the default budget (1,500 tokens): recall >= 0.95 while sending <= 40% of the tokens of long
articles. A "lead" baseline (the first paragraphs up to the budget) shows what BM25 adds.

With --offline-answer it also checks the offline engine's answers: the share of questions it
answers, how often its first quote is in the gold paragraph, and how often it (wrongly) answers
a question taken from another article (its abstention is measured by
bench/offline_abstention.py on SQuAD 2.0).

With --speed it times the offline engine and quote verification on the same articles.

Usage: .venv/bin/python bench/retrieval.py [--data PATH] [--budgets 1000,1500,...]
       [--offline-answer] [--speed]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.analysis.retrieval import select_paragraphs  # noqa: E402
from bot.domain.article import Article  # noqa: E402
from bot.tokens import count_tokens  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "bench-data" / "qa" / "squad11-dev-articles-small.json"
LONG_ARTICLE_TOKENS = 4_000


def load(path: Path) -> list[tuple[Article, list[dict]]]:
    items = []
    for entry in json.loads(path.read_text(encoding="utf-8")):
        paragraphs = [entry["context"][a:b] for a, b in entry["paragraphs"]]
        article = Article.build(paragraphs, title=entry["title"])
        if len(article.paragraphs) != len(paragraphs):
            raise SystemExit(f"{entry['title']}: empty paragraph changes the numbering")
        items.append((article, entry["questions"]))
    return items


def lead(sizes: list[int], budget: int) -> list[int]:
    chosen, used = [], 0
    for i, size in enumerate(sizes):
        if used + size > budget:
            break
        chosen.append(i + 1)
        used += size
    return chosen


def run_budget(items: list[tuple[Article, list[dict]]], budget: int) -> dict[str, dict]:
    rows: dict[str, dict[str, list[float]]] = {
        key: {"recall": [], "share": [], "lead_recall": []} for key in ("all", "long")
    }
    elapsed = 0.0
    calls = 0
    for article, questions in items:
        sizes = [count_tokens(p) for p in article.paragraphs]
        total = sum(sizes)
        groups = ["all"] + (["long"] if article.tokens > LONG_ARTICLE_TOKENS else [])
        baseline = set(lead(sizes, budget))
        for q in questions:
            start = time.perf_counter()
            chosen = select_paragraphs(
                article, q["q"], budget_tokens=budget, count_tokens=count_tokens
            )
            elapsed += time.perf_counter() - start
            calls += 1
            sent = sum(sizes[n - 1] for n in chosen)
            if sent > budget:
                raise SystemExit(f"budget exceeded: {sent} > {budget}")
            gold = q["para_idx"] + 1
            for group in groups:
                rows[group]["recall"].append(float(gold in chosen))
                rows[group]["share"].append(sent / total)
                rows[group]["lead_recall"].append(float(gold in baseline))
    summary = {
        group: {
            "questions": len(values["recall"]),
            "recall": statistics.fmean(values["recall"]),
            "share": statistics.fmean(values["share"]),
            "lead_recall": statistics.fmean(values["lead_recall"]),
        }
        for group, values in rows.items()
    }
    summary["timing"] = {"ms_per_call": 1000 * elapsed / max(calls, 1)}
    return summary


def offline_answer_calibration(items: list[tuple[Article, list[dict]]]) -> None:
    from bot.analysis.offline import offline_answer
    from bot.analysis.quotes import QuoteVerifier

    answered = gold_hits = contains_answer = foreign_answered = failed_verify = total = 0
    start = time.perf_counter()
    for n, (article, questions) in enumerate(items):
        verifier = QuoteVerifier(article)
        foreign = items[(n + len(items) // 2) % len(items)][1]
        for q, other in zip(questions, foreign, strict=False):
            total += 1
            answer = offline_answer(article, q["q"])
            if answer.answerable:
                answered += 1
                first = answer.quotes[0]
                gold_hits += first.paragraph == q["para_idx"] + 1
                joined = " ".join(x.text for x in answer.quotes)
                contains_answer += any(a in joined for a in q["answers"])
                failed_verify += sum(
                    verifier.match(x.text, x.paragraph) is None for x in answer.quotes
                )
            foreign_answered += offline_answer(article, other["q"]).answerable
    elapsed = time.perf_counter() - start
    print("\noffline_answer on SQuAD (answerable questions, plus one foreign question each):")
    print(f"  answered:                 {answered / total:.3f} of {total}")
    print(f"  first quote in gold para: {gold_hits / max(answered, 1):.3f} of answered")
    print(f"  quotes contain an answer: {contains_answer / max(answered, 1):.3f} of answered")
    print(f"  foreign question answered (false positive): {foreign_answered / total:.3f}")
    print(f"  quotes failing QuoteVerifier: {failed_verify}")
    print(f"  mean time per answer: {1000 * elapsed / (2 * total):.2f} ms")


def speed(items: list[tuple[Article, list[dict]]]) -> None:
    """Per-article cost of the offline engine and of quote verification (10 quotes: 7 article
    sentences, half of them with a typo, and 3 fabricated), cold caches."""
    import random

    from bot.analysis.offline import answer as answer_module
    from bot.analysis.offline import offline_actors, offline_answer, offline_summary
    from bot.analysis.offline import sentences as sentences_module
    from bot.analysis.quotes import QuoteVerifier
    from bot.analysis.text import sentence_spans

    rng = random.Random(1)
    rows: list[tuple[int, ...]] = []
    for article, questions in items:
        sentences_module._cache.clear()
        answer_module._cache.clear()
        t0 = time.perf_counter()
        offline_summary(article)
        t1 = time.perf_counter()
        offline_actors(article)
        t2 = time.perf_counter()
        verifier = QuoteVerifier(article)
        t3 = time.perf_counter()
        spans = [
            (p[a:b], n) for n, p in enumerate(article.paragraphs, 1) for a, b in sentence_spans(p)
        ]
        candidates = []
        for text, number in rng.sample(spans, min(7, len(spans))):
            words = text.split()
            if len(words) > 6 and rng.random() < 0.5:
                words[3] = words[3][::-1]
            candidates.append((" ".join(words), number))
        candidates += [("This sentence was invented by the model and is not there", 2)] * 3
        t4 = time.perf_counter()
        verifier.verify(candidates)
        t5 = time.perf_counter()
        for q in questions:
            offline_answer(article, q["q"])
        t6 = time.perf_counter()
        rows.append(
            (article.words, t1 - t0, t2 - t1, t3 - t2, t5 - t4, (t6 - t5) / max(len(questions), 1))
        )
    print(
        f"\nspeed over {len(rows)} articles (median {statistics.median(r[0] for r in rows):,.0f} "
        f"words, max {max(r[0] for r in rows):,}), cold caches:"
    )
    names = [
        "offline_summary",
        "offline_actors",
        "QuoteVerifier()",
        "verify 10 quotes",
        "offline_answer",
    ]
    for i, name in enumerate(names, start=1):
        values = [1000 * r[i] for r in rows]
        print(
            f"  {name:<17} median {statistics.median(values):6.1f} ms   max {max(values):6.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--budgets", default="1000,1500,2000,3000")
    parser.add_argument("--offline-answer", action="store_true")
    parser.add_argument("--speed", action="store_true", help="time the offline engine too")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"benchmark data not found: {args.data}")
    items = load(args.data)
    long_count = sum(a.tokens > LONG_ARTICLE_TOKENS for a, _ in items)
    print(
        f"{len(items)} articles ({long_count} over {LONG_ARTICLE_TOKENS:,} tokens), "
        f"{sum(len(q) for _, q in items)} questions"
    )
    print(f"{'budget':>6}  {'group':<5} {'n':>4}  {'recall':>6}  {'share':>6}  {'lead recall':>11}")
    for budget in (int(b) for b in args.budgets.split(",")):
        result = run_budget(items, budget)
        for group in ("all", "long"):
            r = result[group]
            print(
                f"{budget:>6}  {group:<5} {r['questions']:>4}  {r['recall']:>6.3f}  "
                f"{r['share']:>6.3f}  {r['lead_recall']:>11.3f}"
            )
        print(f"{'':>6}  select_paragraphs: {result['timing']['ms_per_call']:.2f} ms per call")
    if args.offline_answer:
        offline_answer_calibration(items)
    if args.speed:
        speed(items)


if __name__ == "__main__":
    main()
