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
    elif kind in _INTERACTIVE_CHECKS:
        problems += _INTERACTIVE_CHECKS[kind](block, where)
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


# Interactive blocks: Block Kit's limits for `actions` (25 elements; buttons with text up to 75
# and value up to 2,000 characters, action_id up to 255) and `context_actions` (up to 5
# `feedback_buttons` / `icon_button` elements; feedback buttons need both buttons, each with
# plain_text text and a value).
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ACTIONS_ELEMENTS = 5
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2_000
MAX_ACTION_ID = 255


def _actions_problems(block: dict[str, Any], where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"missing required field: elements [json-pointer:{where}]"]
    problems = []
    if len(elements) > MAX_ACTIONS_ELEMENTS:
        problems.append(
            f"no more than {MAX_ACTIONS_ELEMENTS} items allowed [json-pointer:{where}/elements]"
        )
    for i, element in enumerate(elements):
        problems += _element_problems(element, f"{where}/elements/{i}")
    return problems


def _context_actions_problems(block: dict[str, Any], where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"missing required field: elements [json-pointer:{where}]"]
    problems = []
    if len(elements) > MAX_CONTEXT_ACTIONS_ELEMENTS:
        pointer = f"{where}/elements"
        problems.append(
            f"no more than {MAX_CONTEXT_ACTIONS_ELEMENTS} items allowed [json-pointer:{pointer}]"
        )
    for i, element in enumerate(elements):
        at = f"{where}/elements/{i}"
        kind = element.get("type") if isinstance(element, dict) else None
        if kind == "feedback_buttons":
            problems += _feedback_buttons_problems(element, at)
        elif kind != "icon_button":
            problems.append(f"must be one of feedback_buttons, icon_button [json-pointer:{at}]")
    return problems


def _feedback_buttons_problems(element: dict[str, Any], where: str) -> list[str]:
    problems = _action_id_problems(element, where)
    for side in ("positive_button", "negative_button"):
        button = element.get(side)
        at = f"{where}/{side}"
        if not isinstance(button, dict):
            problems.append(f"missing required field: {side} [json-pointer:{where}]")
            continue
        problems += _button_text_and_value(button, at)
    return problems


def _element_problems(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict) or element.get("type") != "button":
        return []  # only buttons are checked here
    return _action_id_problems(element, where) + _button_text_and_value(element, where)


def _action_id_problems(element: dict[str, Any], where: str) -> list[str]:
    if len(str(element.get("action_id", ""))) > MAX_ACTION_ID:
        return [_too_long(MAX_ACTION_ID, f"{where}/action_id")]
    return []


def _button_text_and_value(button: dict[str, Any], where: str) -> list[str]:
    problems = []
    text = button.get("text")
    if not isinstance(text, dict) or text.get("type") != "plain_text":
        problems.append(f"must be a plain_text object [json-pointer:{where}/text]")
    elif len(str(text.get("text", ""))) > MAX_BUTTON_TEXT:
        problems.append(_too_long(MAX_BUTTON_TEXT, f"{where}/text/text"))
    if len(str(button.get("value", ""))) > MAX_VALUE:
        problems.append(_too_long(MAX_VALUE, f"{where}/value"))
    return problems


_INTERACTIVE_CHECKS = {"actions": _actions_problems, "context_actions": _context_actions_problems}
