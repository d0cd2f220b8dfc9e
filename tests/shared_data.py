"""Where the read-only benchmark data lives, and a marker for tests that need it.

`../shared/` sits beside the checkout on the team's machines; users who clone the repo don't
have it, so tests that need it skip with a reason instead of failing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.domain.article import Article, split_paragraphs

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("ARTICLEBOT_SHARED_DIR", REPO_ROOT.parent / "shared"))
EXTRACTION_DIR = SHARED_DIR / "bench-data" / "extraction"
QA_DIR = SHARED_DIR / "bench-data" / "qa"
SAMPLE_ARTICLE = REPO_ROOT / "samples" / "tidal-pilot.md"
RUSSIA_CHINA = SHARED_DIR / "articles" / "news-russia-china-2023.txt"

requires_shared = pytest.mark.skipif(
    not (SHARED_DIR / "bench-data").is_dir(),
    reason=f"needs the team's ../shared/bench-data (not found at {SHARED_DIR})",
)


def sample_article() -> Article:
    """samples/tidal-pilot.md with its byline kept as paragraph 1 (no extractor involved).

    Tests of quoting and retrieval use this fixed numbering; tests of the whole pipeline read
    the file through the real Markdown extractor instead.
    """
    lines = SAMPLE_ARTICLE.read_text(encoding="utf-8").splitlines()
    title = lines[0].removeprefix("# ").strip()
    paragraphs = [re.sub(r"^\*(.*)\*$", r"\1", p) for p in split_paragraphs("\n".join(lines[1:]))]
    return Article.build(paragraphs, title=title, source_kind="markdown")


def russia_china_article() -> Article:
    """The shared (copyrighted, not in the repo) news sample; callers use @requires_shared."""
    return Article.build(split_paragraphs(RUSSIA_CHINA.read_text(encoding="utf-8")))
