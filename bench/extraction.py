"""Article-extraction benchmark: our `extract_html` against plain `trafilatura.extract`.

Data: the Scrapinghub/Zyte Article Extraction Benchmark in ../shared/bench-data/extraction
(181 gzipped pages + human-annotated ground truth). Scoring is the benchmark's own: 4-gram
shingles of \\w+ tokens; per page precision and recall from shingle counts; P = mean precision
over pages with output, R = mean recall over all pages, F1 = harmonic mean of P and R.

    .venv/bin/python bench/extraction.py [--data DIR] [--worst N]

Only `extract_html` / `trafilatura.extract` are timed (decompression and scoring are not).
Pages where we raise are failures: they count as empty output (recall 0).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from bot.errors import ArticlebotError
from bot.ingest.extract import extract_html

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = (
    Path(os.environ.get("ARTICLEBOT_SHARED_DIR", REPO_ROOT.parent / "shared"))
    / "bench-data"
    / "extraction"
)
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def shingles(text: str, n: int = 4) -> Counter[str]:
    """The benchmark's n-gram shingles (a text shorter than n is one shingle)."""
    tokens = _TOKEN.findall(text or "")
    grams = (" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def page_scores(truth: str, prediction: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; precision is None for empty output."""
    true, pred = shingles(truth), shingles(prediction)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class Run:
    """Scores and timings of one extractor over the benchmark."""

    name: str
    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    millis: list[float] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    per_page: dict[str, float] = field(default_factory=dict)

    def add(self, page_id: str, truth: str, prediction: str, ms: float) -> None:
        precision, recall = page_scores(truth, prediction)
        if precision is not None:
            self.precisions.append(precision)
        if recall is not None:
            self.recalls.append(recall)
        self.millis.append(ms)
        self.per_page[page_id] = f1(precision or 0.0, recall or 0.0)

    def summary(self) -> str:
        p, r = statistics.mean(self.precisions), statistics.mean(self.recalls)
        ms = sorted(self.millis)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return (
            f"{self.name:<28} P={p:.4f} R={r:.4f} F1={f1(p, r):.4f}  pages={len(self.millis)}"
            f" failures={len(self.failures)}  median={statistics.median(ms):.1f}ms"
            f" p95={p95:.1f}ms"
        )


def _timed(fn: Callable[[], str]) -> tuple[str, float]:
    start = time.perf_counter()
    text = fn()
    return text, (time.perf_counter() - start) * 1000


def _ours(body: bytes, url: str) -> str:
    return extract_html(body, url=url).text


def _plain(body: bytes, url: str) -> str:
    return trafilatura.extract(body, url=url) or ""


def run(data: Path) -> tuple[Run, Run, dict[str, str]]:
    truth = json.loads((data / "ground-truth.json").read_text("utf-8"))
    ours, plain = Run("articlebot extract_html"), Run("trafilatura.extract default")
    teasers: dict[str, str] = {}
    for path in sorted((data / "html").glob("*.html.gz")):
        page_id = path.name.split(".")[0]
        body, expected = gzip.decompress(path.read_bytes()), truth[page_id]
        url, gold = expected.get("url", ""), expected.get("articleBody", "")
        start = time.perf_counter()
        try:
            article = extract_html(body, url=url)
            ms = (time.perf_counter() - start) * 1000
            if article.extra.get("paywall"):
                teasers[page_id] = url
            ours.add(page_id, gold, article.text, ms)
        except ArticlebotError as err:
            ours.failures[page_id] = f"{type(err).__name__}: {err}"
            ours.add(page_id, gold, "", (time.perf_counter() - start) * 1000)
        text, ms = _timed(lambda body=body, url=url: _plain(body, url))
        plain.add(page_id, gold, text, ms)
    return ours, plain, teasers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="extraction data dir")
    parser.add_argument("--worst", type=int, default=10, help="list the N worst pages")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").is_file() or not (args.data / "html").is_dir():
        # Not an error: a user's clone has no ../shared, and `make bench` runs other benchmarks.
        print(f"Skipped: benchmark data not found in {args.data} (needs ground-truth.json, html/).")
        print("It lives in the team's ../shared/bench-data; pass --data to point elsewhere.")
        return 0
    ours, plain, teasers = run(args.data)
    print(ours.summary())
    print(plain.summary())
    for page_id, reason in sorted(ours.failures.items()):
        print(f"  raised on {page_id[:12]}: {reason}")
    for page_id, url in sorted(teasers.items()):
        print(f"  flagged as possible paywall teaser: {page_id[:12]} {url}")
    if args.worst:
        print(f"worst {args.worst} pages for extract_html (F1 ours / trafilatura):")
        worst = sorted(ours.per_page.items(), key=lambda item: item[1])[: args.worst]
        for page_id, score in worst:
            print(f"  {page_id[:12]} {score:.3f} / {plain.per_page[page_id]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
