"""The eval table (terminal) and the JSON report (`--report`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.eval.detect import ATTACKS
from bot.eval.question_record import QuestionRecord
from bot.eval.redteam import RedteamRecord
from bot.eval.scoring import LONG_ARTICLE_TOKENS, Metrics, Retrieval, TradeoffPoint

_LABEL = 46


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} ms"


def _row(label: str, *values: str) -> str:
    return f"  {label:<{_LABEL}}" + "".join(f"{v:>14}" for v in values)


def _retrieval(all_: Retrieval, long: Retrieval) -> list[str]:
    def tokens(r: Retrieval) -> str:
        return "n/a" if r.mean_tokens_sent is None else f"{r.mean_tokens_sent:,.0f}"

    return [
        "Retrieval" + " " * (_LABEL - 7) + f"{'all':>14}{f'>{LONG_ARTICLE_TOKENS:,} tok':>14}",
        _row(
            "questions (answerable)",
            f"{all_.questions} ({all_.answerable})",
            f"{long.questions} ({long.answerable})",
        ),
        _row("gold paragraph sent (answerable)", _num(all_.gold_recall), _num(long.gold_recall)),
        _row("article tokens sent per question", tokens(all_), tokens(long)),
        _row(
            "share of the article's tokens sent",
            _num(all_.mean_share_sent),
            _num(long.mean_share_sent),
        ),
    ]


def format_table(metrics: Metrics, *, dataset: str) -> str:
    engines = ", ".join(metrics.engines) or "none"
    a, ab, g, c = metrics.answers, metrics.abstention, metrics.grounding, metrics.cost
    lines = [
        f"articlebot eval · {dataset} · engine: {engines} · {metrics.questions} questions "
        f"in {metrics.articles} articles"
        + (f" · {metrics.failed} FAILED (left out below)" if metrics.failed else ""),
        "",
        *_retrieval(metrics.retrieval, metrics.retrieval_long),
        "",
        f"Answers ({a.answerable} answerable questions)",
        _row("exact match, answer text as written", _num(a.exact_match)),
        _row("token F1, answer text as written", _num(a.f1)),
        _row("best-quote F1 (verified quotes vs gold)", _num(a.best_quote_f1)),
        _row("gold answer contained in the answer text", _num(a.contains_gold)),
        "",
        "Abstention",
        _row(f"unanswerable declined ({ab.impossible} questions)", _num(ab.declined_impossible)),
        _row("answerable wrongly refused", _num(ab.refused_answerable)),
        "",
        "Grounding",
        _row("quotes returned (verified + dropped)", str(g.quotes_returned)),
        _row("share of quotes verified", _num(g.verified_share)),
        _row(
            f"unsupported answers (of {g.claimed_answerable} claimed)",
            f"{g.unsupported} ({_num(g.unsupported_share)})",
        ),
        "",
        "Cost and speed",
        _row("LLM calls", str(c.calls)),
        _row(
            "tokens: prompt / completion / cached",
            f"{c.prompt_tokens:,} / {c.completion_tokens:,} / {c.cached_tokens:,}",
        ),
        _row(
            "estimated cost (LLM_PRICE_* settings)",
            f"${c.estimated_usd:,.4f}" if c.priced else "prices not set",
        ),
        _row(
            "latency per question: median / p95",
            f"{_ms(c.latency_median_ms)} / {_ms(c.latency_p95_ms)}",
        ),
    ]
    lines += format_tradeoff(metrics.tradeoff)
    if metrics.engines == ["offline"]:
        lines += ["", "Offline engine: extractive answers; the baseline any model must beat."]
    return "\n".join(lines)


def format_tradeoff(points: Sequence[TradeoffPoint]) -> list[str]:
    """The offline engine's abstention trade-off, one row per cut-off on its support score."""
    if not points:
        return []
    lines = [
        "",
        "Trade-off (offline engine: cut-off on its support score)",
        _row("cut-off", "unanswerable", "answerable"),
        _row("", "declined", "refused"),
    ]
    for p in points:
        label = f"{p.cutoff:.2f}" + ("  (default)" if p.default else "")
        lines.append(_row(label, _num(p.declined_impossible), _num(p.refused_answerable)))
    return lines


def report_document(
    metrics: Metrics,
    records: Sequence[QuestionRecord],
    *,
    dataset: str,
    settings: Settings,
    options: dict[str, Any],
) -> dict[str, Any]:
    return {
        "kind": "eval",
        "dataset": dataset,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": settings.llm_model if "llm" in metrics.engines else None,
        "qa_context_tokens": settings.qa_context_tokens,
        "options": options,
        "metrics": metrics.model_dump(),
        "questions": [r.model_dump() for r in records],
    }


def write_report(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --- red team -------------------------------------------------------------------------------------


def format_redteam_table(records: Sequence[RedteamRecord], *, dataset: str) -> str:
    engines = ", ".join(sorted({r.engine for r in records if r.engine})) or "none"
    failed = [r for r in records if r.error]
    lines = [
        f"articlebot eval --redteam · {dataset} · engine: {engines} · {len(records)} articles"
        + (f" · {len(failed)} FAILED" if failed else ""),
        "",
        f"{'attack':<16}{'planted':>9}{'raw output':>13}{'Slack message':>16}{'Slack stream':>15}",
    ]
    for attack in ATTACKS:
        found = [f for r in records if not r.error for f in r.findings if f.attack == attack]
        if not found:
            continue
        n = len(found)
        raw = sum(f.raw for f in found)
        message = sum(f.slack_message for f in found)
        stream = sum(f.slack_stream for f in found)
        lines.append(
            f"{attack:<16}{n:>9}{f'{raw}/{n}':>13}{f'{message}/{n}':>16}{f'{stream}/{n}':>15}"
        )
    lines += [
        "",
        "Counts are articles where the attack was carried out. raw output: the summary or",
        "answer as the engine returned it (verified quotes included); Slack: what the bot would",
        "post after escaping and link defanging (summary and answer messages; streamed answer).",
    ]
    details = []
    for record in records:
        if record.error:
            details.append(f"  {record.article_id}: failed: {record.error}")
        for f in record.findings:
            where = [
                name
                for name, hit in (
                    ("raw summary", f.raw_summary),
                    ("raw answer", f.raw_answer),
                    ("Slack summary", f.slack_summary),
                    ("Slack answer", f.slack_answer),
                    ("Slack stream", f.slack_stream),
                )
                if hit
            ]
            if where:
                details.append(f"  {record.article_id}: {f.attack} in " + ", ".join(where))
    if details:
        lines += ["", "Carried out:", *details]
    return "\n".join(lines)


def redteam_document(
    records: Sequence[RedteamRecord], *, dataset: str, settings: Settings
) -> dict[str, Any]:
    return {
        "kind": "redteam",
        "dataset": dataset,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": settings.llm_model if any(r.engine == "llm" for r in records) else None,
        "articles": [
            {
                **r.model_dump(),
                "findings": [
                    {**f.model_dump(), "raw": f.raw, "slack_message": f.slack_message}
                    for f in r.findings
                ],
            }
            for r in records
        ],
    }
