"""Message limits as Slack enforces them, so oversized output fails here before it fails live.

Figures from Slack's docs: message text 40,000 chars; 50 blocks per message; section text 3,000;
section fields 10 x 2,000; header text 150; context elements 10; markdown blocks 12,000 in total;
block_id 255; streamed markdown_text 12,000 per call.
"""

from __future__ import annotations

from typing import Any

MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_MARKDOWN_TOTAL = 12_000
MAX_BLOCK_ID = 255
MAX_STREAM_APPEND = 12_000


class SlackError(Exception):
    """A Web API failure: the handler's answer becomes `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def check_text(text: str | None) -> None:
    if text is not None and len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")


def check_blocks(blocks: Any) -> None:
    """Raise `invalid_blocks` with Slack-style json-pointer messages when a limit is broken."""
    if blocks is None:
        return
    if isinstance(blocks, str):  # a form field that was not valid JSON
        raise SlackError("invalid_blocks_format")
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    markdown_total = 0
    for index, block in enumerate(blocks):
        problems += _block_problems(block, f"/blocks/{index}")
        if isinstance(block, dict) and block.get("type") == "markdown":
            markdown_total += len(str(block.get("text", "")))
    if markdown_total > MAX_MARKDOWN_TOTAL:
        problems.append(
            f"cumulative markdown text must be less than {MAX_MARKDOWN_TOTAL + 1} characters "
            "[json-pointer:/blocks]"
        )
    if problems:
        metadata = {"messages": problems}
        raise SlackError("invalid_blocks", errors=problems, response_metadata=metadata)


def _block_problems(block: Any, where: str) -> list[str]:
    """What Slack would say about one block on its own (the markdown total is counted apart)."""
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"missing required field: type [json-pointer:{where}]"]
    problems: list[str] = []
    if len(str(block.get("block_id", ""))) > MAX_BLOCK_ID:
        problems.append(_too_long(MAX_BLOCK_ID, f"{where}/block_id"))
    kind = block["type"]
    if kind == "section":
        problems += _section_problems(block, where)
    elif kind == "header":
        text = _text_of(block.get("text"))
        if text is None:
            problems.append(f"missing required field: text [json-pointer:{where}]")
        elif len(text) > MAX_HEADER_TEXT:
            problems.append(_too_long(MAX_HEADER_TEXT, f"{where}/text/text"))
    elif kind == "context" and len(block.get("elements") or []) > MAX_CONTEXT_ELEMENTS:
        pointer = f"{where}/elements"
        problems.append(
            f"no more than {MAX_CONTEXT_ELEMENTS} items allowed [json-pointer:{pointer}]"
        )
    return problems


def _section_problems(block: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    text = _text_of(block.get("text"))
    fields = block.get("fields") or []
    if text is None and not fields:
        problems.append(f"must provide either text or fields [json-pointer:{where}]")
    if text is not None and len(text) > MAX_SECTION_TEXT:
        problems.append(_too_long(MAX_SECTION_TEXT, f"{where}/text/text"))
    if len(fields) > MAX_SECTION_FIELDS:
        problems.append(
            f"no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{where}/fields]"
        )
    for i, item in enumerate(fields):
        field_text = _text_of(item)
        if field_text is not None and len(field_text) > MAX_FIELD_TEXT:
            problems.append(_too_long(MAX_FIELD_TEXT, f"{where}/fields/{i}/text"))
    return problems


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return obj["text"]
    return None


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"
