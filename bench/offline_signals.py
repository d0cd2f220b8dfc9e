"""Would another abstention signal help on articles it was not tuned on? Each, held out.

SQuAD 2.0's unanswerable questions were written from their paragraph by swapping an entity,
a number or an ordinal, an antonym, a negation, or asking a relation the paragraph doesn't
state. For each abstention feature (`features.ABSTAIN_FEATURES`) and a few candidate signals
aimed at those edits (computed here only), a penalty is added to the shipped support score
(`abstain.RULE`) with the weight (from a small grid, either sign) that declines most at 10%
refused on one half of the tuning articles, then measured on the other half at its own 10%
cut-off, both ways. A signal earns a place in the engine only if it gains on both held-out
halves; then a coordinate search over all of them, fitted on one half, is measured the same way.
(Negating prefixes, "insignificant" for "significant", passed: +0.5 / +0.1 points with the
antonym penalty, and are now part of `abstain.antonym`.)

Usage: .venv/bin/python bench/offline_signals.py [DATASET]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from offline_abstention import run  # noqa: E402  (bench/ is on the path when run)

from bot.analysis.offline.abstain import RULE  # noqa: E402
from bot.analysis.offline.features import ABSTAIN_FEATURES, question_terms  # noqa: E402
from bot.analysis.offline.sentence_index import SentenceIndex, sentence_index  # noqa: E402
from bot.analysis.offline.spans import tokens  # noqa: E402
from bot.analysis.text import STOPWORDS, normalize  # noqa: E402
from bot.eval.dataset import load_dataset  # noqa: E402

QA = REPO.parent / "shared" / "bench-data" / "qa"
MAX_REFUSED = 0.10
GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5)
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth"
_ORDINAL_WORDS = {w: n + 1 for n, w in enumerate(_ORDINALS.split())}
CANDIDATES = (
    "spread_previous",  # spread, counting the sentence before as part of the sentence
    "ordinal",  # the question's ordinal ("4th") is not the sentence's ("third")
    "off_passage_any",  # some question word the article has is missing from the paragraph
    "lowercase_missing",  # common (uncapitalised) question words absent from the paragraph
)


def _ordinals(text: str) -> set[int]:
    out: set[int] = set()
    for w in re.findall(r"\w+", normalize(text)):
        m = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", w)
        if m:
            out.add(int(m.group(1)))
        elif w in _ORDINAL_WORDS:
            out.add(_ORDINAL_WORDS[w])
    return out


def candidates(index: SentenceIndex, question: str, row: int) -> list[float]:
    """The candidate signals (`CANDIDATES` order) for the chosen sentence `row`."""
    q = question_terms(question)
    number = index.sentences[row].paragraph
    para = [r for r, s in enumerate(index.sentences) if s.paragraph == number]
    before = [row - 1] if row - 1 in para else []
    near = frozenset().union(*(index.terms[r] for r in para))
    said = {t.norm for r in para for t in tokens(index.sentences[r].text)}
    text = index.sentences[row].text
    asked = _ordinals(question)
    common = [
        t
        for t in tokens(question)
        if t.norm.isalpha() and t.norm not in STOPWORDS and t.text[:1].islower()
    ]
    passage = index.coverage(q.keys, para)
    return [
        max(0.0, passage - index.coverage(q.keys, [row, *before])),
        float(bool(asked) and not asked & _ordinals(text) and bool(_ordinals(" ".join(said)))),
        float(any(k in index.vocabulary and k not in near for k in q.keys)),
        float(sum(t.key not in near for t in common)),
    ]


Signals = Callable[[SentenceIndex, str, int], list[float]]


def read(
    path: Path, signals: Signals = candidates, width: int = len(CANDIDATES)
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Per question: article id, feature row (the engine's features, then `signals`' `width`
    values), refused before any score, unanswerable."""
    index = {e.id: sentence_index(e.article()) for e in load_dataset(path)}
    asked = [q.q for e in load_dataset(path) for q in e.questions]
    rows: list[list[float]] = []
    outright: list[bool] = []
    read_rows = run(path)  # the engine's reading of every question, as offline_abstention's
    for row, question in zip(read_rows, asked, strict=True):
        found, idx = row.found, index[row.article]
        if found is None:
            rows.append([0.0] * (len(ABSTAIN_FEATURES) + width))
            outright.append(True)
            continue
        best = idx.sentences.index(found.sentences[0])
        rows.append([*found.features, *signals(idx, question, best)])
        outright.append(bool(found.absent) or found.support <= 0.0)
    ids = [r.article for r in read_rows]
    impossible = np.array([r.impossible for r in read_rows])
    return ids, np.array(rows), np.array(outright), impossible


def declined_at_own_cut(x: np.ndarray, out: np.ndarray, imp: np.ndarray, w: np.ndarray) -> float:
    """Unanswerable declined at the cut-off refusing at most MAX_REFUSED of the answerable,
    the support score being 1 less the features `x` weighted by `w`."""
    return declined_at(1.0 - x @ w, out, imp)


def declined_at(score: np.ndarray, out: np.ndarray, imp: np.ndarray) -> float:
    """The same for any support score (questions refused outright, `out`, always decline)."""
    support = np.where(out, -1e9, score)
    answerable = np.sort(support[~imp])
    cut = answerable[int(MAX_REFUSED * len(answerable))]
    return float((support[imp] < cut).mean())


def best_weight(x: np.ndarray, out: np.ndarray, imp: np.ndarray, w: np.ndarray, n: int) -> float:
    best, weight = declined_at_own_cut(x, out, imp, w), 0.0
    for g in (*GRID, *(-v for v in GRID)):
        trial = w.copy()
        trial[n] += g
        value = declined_at_own_cut(x, out, imp, trial)
        if value > best + 1e-9:
            best, weight = value, g
    return weight


def coordinate_search(x: np.ndarray, out: np.ndarray, imp: np.ndarray, w: np.ndarray) -> np.ndarray:
    current = declined_at_own_cut(x, out, imp, w)
    for _ in range(3):
        moved = False
        for n in range(len(w)):
            for g in (-0.2, -0.1, -0.05, 0.05, 0.1, 0.2):
                trial = w.copy()
                trial[n] += g
                value = declined_at_own_cut(x, out, imp, trial)
                if value > current + 0.002:
                    current, w, moved = value, trial, True
        if not moved:
            break
    return w


def compare(
    ids: list[str], x: np.ndarray, out: np.ndarray, imp: np.ndarray, extra: Sequence[str]
) -> None:
    """Print each signal's held-out gain (the engine's features, then the `extra` ones)."""
    names = (*ABSTAIN_FEATURES, *extra)
    shipped = np.array([-v for v in RULE.weights] + [0.0] * len(extra))
    articles = sorted(set(ids))
    in_a = np.array([i in set(articles[0::2]) for i in ids])
    halves = {"A": in_a, "B": ~in_a}
    base = {h: declined_at_own_cut(x[m], out[m], imp[m], shipped) for h, m in halves.items()}
    print(f"shipped support score, declined at 10% refused: A {base['A']:.1%}  B {base['B']:.1%}")
    print(
        "signal               fitted on A: weight, change on B | fitted on B: weight, change on A"
    )
    for n, name in enumerate(names):
        cells = []
        for train, test in (("A", "B"), ("B", "A")):
            t, e = halves[train], halves[test]
            g = best_weight(x[t], out[t], imp[t], shipped, n)
            w = shipped.copy()
            w[n] += g
            gain = declined_at_own_cut(x[e], out[e], imp[e], w) - base[test]
            cells.append(f"{g:+5.2f} {gain:+6.1%}")
        print(f"{name:<20} {cells[0]:>28} | {cells[1]:>22}")
    for train, test in (("A", "B"), ("B", "A")):
        t, e = halves[train], halves[test]
        w = coordinate_search(x[t], out[t], imp[t], shipped)
        fitted = declined_at_own_cut(x[t], out[t], imp[t], w)
        held = declined_at_own_cut(x[e], out[e], imp[e], w)
        print(
            f"all signals, coordinate search fitted on {train}: {fitted:.1%} there, "
            f"{held:.1%} on {test} (shipped {base[test]:.1%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", nargs="?", type=Path, default=QA / "squad20-dev-tune.json")
    args = parser.parse_args()
    compare(*read(args.dataset), CANDIDATES)


if __name__ == "__main__":
    main()
