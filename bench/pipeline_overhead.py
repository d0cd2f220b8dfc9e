"""Pipeline overhead per article, excluding the LLM call itself.

For every page of the extraction benchmark (../shared/bench-data/extraction): extract the
article from its HTML, build both summary prompts and check them against the token budget
(as the LLM client does before a call), then verify a model-like set of quotes (ten real
sentences, lightly altered, and three fabricated ones) and ground the actors. Prints the median
and p95 per stage and in total. Target: median total <= 25 ms per page.

    .venv/bin/python bench/pipeline_overhead.py [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

from bot.analysis import prompt_context
from bot.analysis.grounding import ground_actors
from bot.analysis.quotes import QuoteVerifier
from bot.analysis.schemas import ActorClaim, QuoteClaim
from bot.errors import BadInput
from bot.ingest.extract import extract_html
from bot.llm.budget import TokenBudget
from bot.prompts import PromptLibrary

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "extraction" / "html"


def fake_claims(paragraphs: tuple[str, ...]) -> list[ActorClaim]:
    """What a model typically returns: mostly real quotes, some altered, some invented."""
    quotes = []
    for number, text in enumerate(paragraphs[:10], start=1):
        words = text.split()[:18]
        quotes.append(QuoteClaim(text=" ".join(words).replace("'", "’"), paragraph=number))
    quotes += [
        QuoteClaim(text="This sentence was never written by anyone at all.", paragraph=1),
        QuoteClaim(text="The minister resigned in protest on Friday evening.", paragraph=2),
        QuoteClaim(text="Shares rose by forty percent after the announcement.", paragraph=3),
    ]
    return [ActorClaim(name="Nobody", kind="person", role="", did="", quotes=quotes)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"Skipped: benchmark data not found at {DATA}")
        return 0
    pages = sorted(DATA.glob("*.html.gz"))[: args.limit or None]
    prompts = PromptLibrary()
    budget = TokenBudget("gpt-4o-mini", 128_000, 4_000)
    system = prompts.render("system")
    stages: dict[str, list[float]] = {"extract": [], "prompts+budget": [], "verify": []}
    totals: list[float] = []
    skipped = 0
    budget.count("warm up the encoder")
    for page in pages:
        html = gzip.decompress(page.read_bytes())
        t0 = time.perf_counter()
        try:
            article = extract_html(html)
        except BadInput:
            skipped += 1
            continue
        t1 = time.perf_counter()
        variables = {
            "meta": prompt_context.meta(article),
            "paragraphs": prompt_context.numbered(article),
            "language": "English",
            "request": "",
        }
        for template in ("summary", "actors"):
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": prompts.render(template, **variables)},
            ]
            budget.check(messages)
        t2 = time.perf_counter()
        ground_actors(fake_claims(article.paragraphs), QuoteVerifier(article))
        t3 = time.perf_counter()
        stages["extract"].append((t1 - t0) * 1000)
        stages["prompts+budget"].append((t2 - t1) * 1000)
        stages["verify"].append((t3 - t2) * 1000)
        totals.append((t3 - t0) * 1000)
    print(f"pages: {len(totals)} measured, {skipped} rejected by extraction")
    for name, values in stages.items():
        print(
            f"{name:>15}: median {statistics.median(values):6.1f} ms   "
            f"p95 {percentile(values, 0.95):6.1f} ms"
        )
    print(
        f"{'total':>15}: median {statistics.median(totals):6.1f} ms   "
        f"p95 {percentile(totals, 0.95):6.1f} ms   (target: median <= 25 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
