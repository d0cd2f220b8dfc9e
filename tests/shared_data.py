"""Where the read-only benchmark data lives, and a marker for tests that need it.

`../shared/` sits beside the checkout on the team's machines; users who clone the repo don't
have it, so tests that need it skip with a reason instead of failing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("ARTICLEBOT_SHARED_DIR", REPO_ROOT.parent / "shared"))
EXTRACTION_DIR = SHARED_DIR / "bench-data" / "extraction"
QA_DIR = SHARED_DIR / "bench-data" / "qa"
SAMPLE_ARTICLE = REPO_ROOT / "samples" / "tidal-pilot.md"

requires_shared = pytest.mark.skipif(
    not (SHARED_DIR / "bench-data").is_dir(),
    reason=f"needs the team's ../shared/bench-data (not found at {SHARED_DIR})",
)
