"""The offline engine's answers and abstention on SQuAD-format sets: trade-off and ablation.

Every question is read once (`bot.analysis.offline.answer.assess`, over the same context
paragraphs the bot would send), then decided at several cut-offs on the support score and with
each abstention signal left out, so the figures are side by side:
- the trade-off: unanswerable questions declined against answerable ones wrongly refused, per
  cut-off (the default, `abstain.MIN_SUPPORT`, is marked);
- the best the cut-off can do: declined share where at most 10% of the answerable questions
  are refused (each feature's contribution, refitted without it on held-out articles, is
  printed by `offline_learn.py`);
- answer quality at the default: best-quote F1 and answer F1 (SQuAD normalisation), median ms.
The articles are split in two halves (alternately, by id) so a signal that only fits some
articles shows as a gap between them.

A question set may also name its article instead of holding it (`{"source": path relative to
the repository, "questions": [...]}`, for articles that must not be copied into the repository):
it is read as the bot reads a plain-text article, one paragraph per blank-line block, each
answerable question on the first paragraph holding one of its answers.

Usage: .venv/bin/python bench/offline_abstention.py [DATASET ...] [--halves]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.analysis.offline.abstain import MIN_SUPPORT  # noqa: E402
from bot.analysis.offline.answer import Assessment, assess, decide  # noqa: E402
from bot.analysis.retrieval import select_paragraphs  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.article import split_paragraphs  # noqa: E402
from bot.eval.dataset import EvalArticle, load_dataset, parse_dataset  # noqa: E402
from bot.eval.scoring import token_f1  # noqa: E402
from bot.tokens import count_tokens  # noqa: E402

QA = REPO.parent / "shared" / "bench-data" / "qa"
DEFAULT_SETS = [QA / "squad20-dev-tune.json"]
CUTOFFS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)
MAX_REFUSED = 0.10


@dataclass
class Row:
    article: str
    impossible: bool
    answers: list[str]
    found: Assessment | None
    ms: float


def load(path: Path) -> list[EvalArticle]:
    """A SQuAD-format set, or questions that name their article by `source` (see above)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "source" not in data:
        return load_dataset(path)
    paragraphs = split_paragraphs((REPO / data["source"]).read_text(encoding="utf-8"))
    context = "\n\n".join(paragraphs)
    starts = [sum(len(p) + 2 for p in paragraphs[:n]) for n in range(len(paragraphs))]
    spans = [(start, start + len(p)) for start, p in zip(starts, paragraphs, strict=True)]
    questions = []
    for q in data["questions"]:
        if q["answers"]:
            held = [n for n, (a, b) in enumerate(spans) for t in q["answers"] if t in context[a:b]]
            q = {**q, "para_idx": held[0]}
        questions.append(q)
    entry = {"id": path.stem, "context": context, "paragraphs": spans, "questions": questions}
    return parse_dataset([entry], name=path.name)


def run(path: Path) -> list[Row]:
    budget = Settings(_env_file=None).qa_context_tokens  # type: ignore[call-arg]
    rows: list[Row] = []
    for entry in load(path):
        article = entry.article()
        for q in entry.questions:
            start = time.perf_counter()
            numbers = select_paragraphs(
                article, q.q, budget_tokens=budget, count_tokens=count_tokens
            )
            found = assess(article, q.q, paragraphs=numbers)
            ms = (time.perf_counter() - start) * 1000
            rows.append(Row(entry.id, q.is_impossible, q.answers, found, ms))
    return rows


def declined(row: Row, cutoff: float) -> bool:
    return row.found is None or row.found.support < cutoff


def rates(rows: list[Row], cutoff: float) -> tuple[float, float]:
    impossible = [r for r in rows if r.impossible]
    answerable = [r for r in rows if not r.impossible]
    dec = sum(declined(r, cutoff) for r in impossible) / max(1, len(impossible))
    ref = sum(declined(r, cutoff) for r in answerable) / max(1, len(answerable))
    return dec, ref


def at_max_refused(rows: list[Row]) -> tuple[float, float]:
    """The cut-off that declines most while refusing at most MAX_REFUSED of the answerable."""
    best = (0.0, 0.0, 0.0)
    for step in range(0, 101):
        cutoff = step / 100
        dec, ref = rates(rows, cutoff)
        if ref <= MAX_REFUSED and dec >= best[0]:
            best = (dec, ref, cutoff)
    return best[0], best[2]


def quality(rows: list[Row]) -> tuple[float, float, float, float]:
    """Best-quote F1, answer F1, first-quote F1 (answerable questions), quotes per answer."""
    answerable = [r for r in rows if not r.impossible]
    quote_f1 = answer_f1 = first_f1 = 0.0
    quotes = answered = 0
    for r in answerable:
        if r.found is None:
            continue
        answer = decide(r.found, MIN_SUPPORT)
        answer_f1 += token_f1(answer.answer, r.answers) if answer.answerable else 0.0
        quote_f1 += max((token_f1(q.text, r.answers) for q in answer.quotes), default=0.0)
        quotes += len(answer.quotes)
        first_f1 += token_f1(answer.quotes[0].text, r.answers) if answer.quotes else 0.0
        answered += answer.answerable
    n = max(1, len(answerable))
    return quote_f1 / n, answer_f1 / n, first_f1 / n, quotes / max(1, answered)


def report(name: str, rows: list[Row]) -> None:
    dec, ref = rates(rows, MIN_SUPPORT)
    quote_f1, answer_f1, first_f1, per_answer = quality(rows)
    ms = statistics.median(r.ms for r in rows)
    n_imp = sum(r.impossible for r in rows)
    print(f"\n== {name}: {len(rows)} questions, {n_imp} unanswerable")
    print(
        f"default cut-off {MIN_SUPPORT}: declined {dec:.1%}  refused {ref:.1%}  "
        f"best-quote F1 {quote_f1:.3f} ({per_answer:.2f} quotes/answer, first {first_f1:.3f})  "
        f"answer F1 {answer_f1:.3f}  median {ms:.1f} ms"
    )
    if not n_imp:
        return
    print("cut-off   declined-unanswerable   refused-answerable")
    for cutoff in sorted({*CUTOFFS, MIN_SUPPORT}):
        d, r = rates(rows, cutoff)
        mark = "  <- default" if abs(cutoff - MIN_SUPPORT) < 1e-9 else ""
        print(f"{cutoff:7.2f}   {d:21.1%}   {r:18.1%}{mark}")
    full, cut = at_max_refused(rows)
    print(
        f"best cut-off for this set (<= {MAX_REFUSED:.0%} refused): declined {full:.1%} @ {cut:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--halves", action="store_true", help="also each half of the articles")
    args = parser.parse_args()
    for path in args.datasets:
        rows = run(path)
        report(path.name, rows)
        if args.halves:
            ids = sorted({r.article for r in rows})
            for half in (0, 1):
                keep = set(ids[half::2])
                report(f"{path.name} half {'AB'[half]}", [r for r in rows if r.article in keep])


if __name__ == "__main__":
    main()
