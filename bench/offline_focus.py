"""Does declining a question whose focus the article never uses help, held out? Both ways.

The focus is what a question asks for, read from its cues without a parser ("category": the
head noun of "which/what X", "party"; "relation": the noun of "what is the X of", "budget";
"verb": the main verb after "did/does/will SUBJECT" in a what/which/how question, "earn";
"verb_any": the same for any wh-word). Words that name the kind of answer (year, number, city),
generic ones (thing, name, part) and light verbs (have, make) are left out; a focus counts as
present in any form (a crude stem, irregular forms, a misspelling of a long word). For each
cue, questions whose focus the article lacks are declined outright, or their support score
lowered by a penalty, and the result compared with the engine as shipped: declined unanswerable
at the best cut-off with at most 10% of the answerable refused, and declined / refused at the
default cut-off, on each half of the tuning articles (alternately by id) and on the news-style
sets under eval/ (questions written before the engine was run on them).

Found (README, "The offline engine's answers"): it helps the news-style sets (whose
unanswerable questions ask for a salary, a cost, a party the article never mentions) but costs
SQuAD 2.0 held out, whose answerable questions paraphrase the asked-for verb ("How did Celeron
feel", "What approach did Oppenheimer advocate") as often as its unanswerable ones, written
from the paragraph, lack it; so the engine does not decline on it. It hedges instead (no span
cut from the closest sentence; `bot/analysis/offline/focus.py`, where the focus reading lives).

Usage: .venv/bin/python bench/offline_focus.py [DATASET ...]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from offline_abstention import Row, at_max_refused, load, rates, run  # noqa: E402

from bot.analysis.offline.abstain import MIN_SUPPORT  # noqa: E402
from bot.analysis.offline.focus import absent_focus, article_stems  # noqa: E402

QA = REPO.parent / "shared" / "bench-data" / "qa"
DEFAULT_SETS = [
    QA / "squad20-dev-tune.json",
    QA / "squad11-dev-articles-small.json",
    REPO / "eval" / "tidal-questions.json",
    REPO / "eval" / "tidal-extra-questions.json",
    REPO / "eval" / "russia-china-questions.json",
]
VARIANTS: tuple[tuple[str, tuple[str, ...], float | None], ...] = (
    ("decline: category", ("category",), None),
    ("decline: relation", ("relation",), None),
    ("decline: verb", ("verb",), None),
    ("decline: verb_any", ("verb_any",), None),
    ("decline: relation+verb", ("relation", "verb"), None),
    ("decline: all", ("category", "relation", "verb_any"), None),
    ("penalty 0.2: relation+verb", ("relation", "verb"), 0.2),
    ("penalty 0.4: relation+verb", ("relation", "verb"), 0.4),
)


def flags(path: Path, rows: list[Row], kinds: tuple[str, ...]) -> list[bool]:
    """Per row (run's order): does the article lack one of the question's focus words?"""
    out: list[bool] = []
    for entry in load(path):
        vocabulary = article_stems(entry.article())
        out += [bool(absent_focus(vocabulary, q.q, kinds)) for q in entry.questions]
    assert len(out) == len(rows)
    return out


def applied(rows: list[Row], flagged: list[bool], penalty: float | None) -> list[Row]:
    out = []
    for row, flag in zip(rows, flagged, strict=True):
        if flag and row.found is not None:
            support = 0.0 if penalty is None else max(0.0, row.found.support - penalty)
            row = replace(row, found=replace(row.found, support=support))
        out.append(row)
    return out


def line(name: str, rows: list[Row], flagged: list[bool]) -> str:
    dec, ref = rates(rows, MIN_SUPPORT)
    best, cut = at_max_refused(rows)
    imp = [f for r, f in zip(rows, flagged, strict=True) if r.impossible]
    ans = [f for r, f in zip(rows, flagged, strict=True) if not r.impossible]
    return (
        f"  {name:27} default: declined {dec:6.1%} refused {ref:5.1%}   "
        f"<=10% refused: declined {best:6.1%} @ {cut:.2f}   "
        f"focus absent: unanswerable {sum(imp)}/{len(imp)} answerable {sum(ans)}/{len(ans)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="*", type=Path, default=DEFAULT_SETS)
    args = parser.parse_args()
    for path in args.datasets:
        rows = run(path)
        ids = sorted({r.article for r in rows})
        halves = [("all", set(ids))]
        if len(ids) > 1:
            halves += [("half A", set(ids[0::2])), ("half B", set(ids[1::2]))]
        computed = {kinds: flags(path, rows, kinds) for _, kinds, _ in VARIANTS}
        for label, keep in halves:
            picked = [n for n, r in enumerate(rows) if r.article in keep]
            part = [rows[n] for n in picked]
            print(f"\n== {path.name} {label}: {len(part)} questions")
            print(line("as shipped", part, [False] * len(part)))
            for name, kinds, penalty in VARIANTS:
                flagged = [computed[kinds][n] for n in picked]
                print(line(name, applied(part, flagged, penalty), flagged))


if __name__ == "__main__":
    main()
