"""The extra news-style question sets under eval/: well-formed, golds verbatim in the article
the bot reads, and the copyrighted article referenced rather than copied."""

from __future__ import annotations

import json

from bot.eval.dataset import load_dataset
from tests.shared_data import REPO_ROOT, requires_shared, russia_china_article
from tests.test_eval_units import TIDAL

TIDAL_EXTRA = REPO_ROOT / "eval" / "tidal-extra-questions.json"
RUSSIA_CHINA_QUESTIONS = REPO_ROOT / "eval" / "russia-china-questions.json"


def test_tidal_extra_questions_are_on_the_sample_with_verbatim_golds() -> None:
    (extra,) = load_dataset(TIDAL_EXTRA)
    (tidal,) = load_dataset(TIDAL)
    assert extra.context == tidal.context and extra.paragraphs == tidal.paragraphs
    assert {q.is_impossible for q in extra.questions} == {True, False}
    assert not {q.id for q in extra.questions} & {q.id for q in tidal.questions}
    for q in extra.questions:
        if not q.is_impossible:
            assert q.para_idx is not None
            assert all(a in extra.paragraph_texts()[q.para_idx] for a in q.answers), q.id


def test_russia_china_questions_reference_the_article_without_copying_it() -> None:
    data = json.loads(RUSSIA_CHINA_QUESTIONS.read_text(encoding="utf-8"))
    assert data["source"] == "../shared/articles/news-russia-china-2023.txt"
    assert "context" not in data and all("context" not in q for q in data["questions"])
    ids = [q["id"] for q in data["questions"]]
    assert len(ids) == len(set(ids))
    kinds = {bool(q.get("is_impossible")) for q in data["questions"]}
    assert kinds == {True, False}
    for q in data["questions"]:
        assert bool(q.get("is_impossible")) == (not q["answers"]), q["id"]


@requires_shared
def test_russia_china_golds_are_in_the_article_as_the_bot_reads_it() -> None:
    text = russia_china_article().text
    data = json.loads(RUSSIA_CHINA_QUESTIONS.read_text(encoding="utf-8"))
    for q in data["questions"]:
        if q["answers"]:
            assert any(a in text for a in q["answers"]), q["id"]
