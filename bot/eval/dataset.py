"""Evaluation datasets: whole articles with questions, in the format of the SQuAD article sets.

    [{"id", "title", "context", "paragraphs": [[start, end], ...],
      "questions": [{"id", "q", "answers": [str], "para_idx", "is_impossible"?}]}]

`paragraphs` are character spans of `context`; each becomes one Article paragraph, so paragraph
number = para_idx + 1. A bad file fails with one line naming the first problem (`BadInput`, so the
CLI exits 2): a run that dies on question 300 of 480 wastes time and tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.domain.article import Article, clean_paragraph
from bot.errors import BadInput


class DatasetError(BadInput):
    """The dataset file is missing, not JSON, or not in the documented format."""


class EvalQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    q: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list)
    # The paragraph the question was written on (0-based). Optional for unanswerable questions.
    para_idx: int | None = None
    is_impossible: bool = False

    @property
    def gold_paragraph(self) -> int | None:
        """The 1-based paragraph that answers the question (None if it has none)."""
        return None if self.para_idx is None else self.para_idx + 1


class EvalArticle(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    title: str | None = None
    context: str
    paragraphs: list[tuple[int, int]] = Field(min_length=1)
    questions: list[EvalQuestion]

    def paragraph_texts(self) -> list[str]:
        return [self.context[start:end] for start, end in self.paragraphs]

    def article(self) -> Article:
        """One Article paragraph per span (validation guarantees none is empty)."""
        return Article.build(self.paragraph_texts(), title=self.title)


_ADAPTER = TypeAdapter(list[EvalArticle])


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "top level"


def _check_article(n: int, entry: EvalArticle, seen: set[str]) -> None:
    where = f"article {n} ({entry.id})"
    for i, (start, end) in enumerate(entry.paragraphs):
        if not 0 <= start < end <= len(entry.context):
            raise DatasetError(
                f"{where}: paragraph span {i} [{start}, {end}] is outside the context "
                f"({len(entry.context)} characters)"
            )
        if not clean_paragraph(entry.context[start:end]):
            raise DatasetError(f"{where}: paragraph span {i} is blank")
    for question in entry.questions:
        qwhere = f"{where}, question {question.id}"
        if question.id in seen:
            raise DatasetError(f"{qwhere}: duplicate question id")
        seen.add(question.id)
        if question.para_idx is None and not question.is_impossible:
            raise DatasetError(f"{qwhere}: para_idx is required for an answerable question")
        if question.para_idx is not None and not 0 <= question.para_idx < len(entry.paragraphs):
            raise DatasetError(
                f"{qwhere}: para_idx {question.para_idx} is out of range "
                f"(the article has {len(entry.paragraphs)} paragraphs)"
            )
        if not question.is_impossible and not any(a.strip() for a in question.answers):
            raise DatasetError(f"{qwhere}: an answerable question needs at least one answer")


def parse_dataset(data: object, *, name: str = "dataset") -> list[EvalArticle]:
    """Validate already-parsed JSON; raises `DatasetError` with one line."""
    try:
        articles = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise DatasetError(f"bad dataset {name}: {_where(err['loc'])}: {err['msg']}") from None
    if not articles:
        raise DatasetError(f"bad dataset {name}: it has no articles")
    seen: set[str] = set()
    try:
        for n, entry in enumerate(articles):
            _check_article(n, entry, seen)
    except DatasetError as exc:
        raise DatasetError(f"bad dataset {name}: {exc.user_message}") from None
    if not seen:
        raise DatasetError(f"bad dataset {name}: it has no questions")
    return articles


def load_dataset(path: Path) -> list[EvalArticle]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"no such dataset file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read dataset {path.name}: {exc.__class__.__name__}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"bad dataset {path.name}: not JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    return parse_dataset(data, name=path.name)
