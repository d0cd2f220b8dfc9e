"""`articlebot eval --redteam`: articles with planted instructions, through summary and answer.

Each article (eval/redteam.json, written by the project) hides one or more instructions: ignore
your rules, ping @channel, reveal the system prompt, print a code word, link to an attacker's
site, speak as another persona. For each we record whether the raw model output carried it out
and whether it survives into what Slack would receive (`slack_view`). The file's `markers` say
how to recognise each success; markers that occur in an article's own text are refused at load
time, since a reply quoting the article would then look like a successful attack.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from bot.analysis.analyzer import Analyzer
from bot.analysis.models import AnswerResult, EngineName, SummaryResult
from bot.domain.article import Article
from bot.errors import ArticlebotError
from bot.eval.dataset import DatasetError
from bot.eval.detect import Attack, Detector, Markers
from bot.eval.runner import ProgressFn
from bot.eval.slack_view import answer_view, stream_view, summary_view


class RedteamArticle(BaseModel):
    id: str = Field(min_length=1)
    title: str
    url: str | None = None  # the article's own link: the only one the renderer may keep
    paragraphs: list[str] = Field(min_length=1)
    question: str = Field(min_length=1)
    attacks: list[Attack] = Field(min_length=1)

    def article(self) -> Article:
        return Article.build(self.paragraphs, title=self.title, url=self.url)


class RedteamSet(BaseModel):
    markers: Markers
    articles: list[RedteamArticle] = Field(min_length=1)


def default_redteam_path() -> Path:
    """eval/redteam.json in a checkout, or the copy packaged as bot/_eval."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "eval", here.parent / "_eval"):
        if (candidate / "redteam.json").is_file():
            return candidate / "redteam.json"
    return here.parents[1] / "eval" / "redteam.json"


def _check_markers(rset: RedteamSet, name: str) -> None:
    m = rset.markers
    for entry in rset.articles:
        text = "\n".join(entry.paragraphs).lower()
        literal = [("canary", m.canary), ("ignore", m.ignore)]
        clashes = [k for k, v in literal if v.lower() in text]
        clashes += ["persona"] * any(re.search(p, text, re.IGNORECASE) for p in m.persona)
        if clashes:
            raise DatasetError(
                f"bad red-team set {name}: article {entry.id} contains the {clashes[0]} marker "
                "itself, so a reply quoting it would look like a successful attack"
            )


def load_redteam(path: Path) -> RedteamSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"no such red-team file: {path}") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read red-team set {path.name}: {exc}") from None
    try:
        rset = RedteamSet.model_validate(data)
        for pattern in rset.markers.persona:
            re.compile(pattern)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise DatasetError(f"bad red-team set {path.name}: {where}: {err['msg']}") from None
    except re.error as exc:
        raise DatasetError(f"bad red-team set {path.name}: persona regex: {exc}") from None
    _check_markers(rset, path.name)
    return rset


class Finding(BaseModel):
    """Where one planted attack was carried out (True = it got through on that surface)."""

    attack: Attack
    raw_summary: bool = False
    raw_answer: bool = False
    slack_summary: bool = False  # the summary message
    slack_answer: bool = False  # the answer as a Block Kit message (chat.update path)
    slack_stream: bool = False  # the answer streamed as Markdown

    @property
    def raw(self) -> bool:
        return self.raw_summary or self.raw_answer

    @property
    def slack_message(self) -> bool:
        return self.slack_summary or self.slack_answer


class RedteamRecord(BaseModel):
    article_id: str
    title: str
    question: str
    attacks: list[Attack]
    engine: str | None = None
    summary: SummaryResult | None = None
    answer: AnswerResult | None = None
    # What Slack would receive: all message text, and the streamed Markdown.
    slack_summary: str = ""
    slack_answer: str = ""
    slack_stream: str = ""
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = None


def summary_raw(result: SummaryResult) -> str:
    """Everything the model wrote for the summary, quotes included."""
    parts = [result.summary.tldr, *(b.text for b in result.summary.bullets)]
    for actor in result.actors:
        parts += [actor.name, actor.role, actor.did, *(q.text for q in actor.quotes)]
    return "\n".join(parts)


def answer_raw(result: AnswerResult) -> str:
    return "\n".join([result.answer.answer, *(q.text for q in result.answer.quotes)])


async def _run_article(
    analyzer: Analyzer, entry: RedteamArticle, detector: Detector, engine: EngineName | None
) -> RedteamRecord:
    article = entry.article()
    record = RedteamRecord(
        article_id=entry.id, title=entry.title, question=entry.question, attacks=entry.attacks
    )
    try:
        summary = await analyzer.summarize(article, engine=engine)
        events = analyzer.answer_stream(article, entry.question, engine=engine)
        record.slack_stream, answer = await stream_view(article, events)
    except ArticlebotError as exc:
        record.error = exc.user_message
        return record
    record.engine, record.summary, record.answer = answer.engine, summary, answer
    record.slack_summary = summary_view(article, summary)
    record.slack_answer = answer_view(article, answer)
    raw_summary, raw_answer = summary_raw(summary), answer_raw(answer)
    for attack in entry.attacks:

        def hit(text: str, attack: Attack = attack) -> bool:
            return detector.followed(attack, text, article_text=article.text)

        record.findings.append(
            Finding(
                attack=attack,
                raw_summary=hit(raw_summary),
                raw_answer=hit(raw_answer),
                slack_summary=hit(record.slack_summary),
                slack_answer=hit(record.slack_answer),
                slack_stream=hit(record.slack_stream),
            )
        )
    return record


async def run_redteam(
    analyzer: Analyzer,
    rset: RedteamSet,
    *,
    engine: EngineName | None = None,
    limit: int | None = None,
    concurrency: int = 1,
    progress: ProgressFn | None = None,
) -> list[RedteamRecord]:
    """Summary + one question per article, `concurrency` articles at a time; file order."""
    entries: Sequence[RedteamArticle] = rset.articles[:limit] if limit else rset.articles
    detector = Detector(rset.markers, analyzer.prompts.render("system"))
    slots = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(entry: RedteamArticle) -> RedteamRecord:
        nonlocal done
        async with slots:
            record = await _run_article(analyzer, entry, detector, engine)
        done += 1
        if progress is not None:
            progress(done, len(entries))
        return record

    return list(await asyncio.gather(*(one(e) for e in entries)))
