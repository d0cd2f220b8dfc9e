"""Slack's size limits that rendering must respect.

Slack rejects a payload that breaks one of these (`invalid_blocks`, `msg_too_long`) rather than
truncating it, so every renderer and splitter checks against these constants, never a literal.
"""

from __future__ import annotations

# chat.postMessage `text`: "truncated ... at 40,000 characters" (docs.slack.dev/reference/methods/
# chat.postMessage, "Truncating content"). We also use it to cap the total text of one message's
# blocks, so one message never carries more than a plain-text message could.
MESSAGE_TEXT_CHARS = 40_000

# Section block `text`: "Maximum length for the text in this field is 3000 characters"
# (docs.slack.dev/reference/block-kit/blocks/section-block; slack_sdk SectionBlock.text_max_length).
SECTION_TEXT_CHARS = 3_000

# A text object inside a context block has the same 3000-character cap as other text objects,
# and a context block holds at most 10 elements (docs.slack.dev/reference/block-kit/blocks/
# context-block; slack_sdk ContextBlock.elements_max_length).
CONTEXT_TEXT_CHARS = 3_000
CONTEXT_ELEMENTS = 10

# "You can include up to 50 blocks in each message" (docs.slack.dev/reference/block-kit/blocks).
MESSAGE_BLOCKS = 50

# Header block `text`: "Maximum length for the text in this field is 150 characters"
# (docs.slack.dev/reference/block-kit/blocks/header-block; slack_sdk HeaderBlock.text_max_length).
HEADER_TEXT_CHARS = 150

# Markdown block `text` and the streaming methods' `markdown_text` (chat.startStream /
# chat.appendStream / chat.stopStream): 12,000 characters, cumulative across the markdown blocks
# of one payload (docs.slack.dev/reference/block-kit/blocks/markdown-block;
# slack_sdk MarkdownBlock.text_max_length).
MARKDOWN_TEXT_CHARS = 12_000

# Our own choice, not Slack's: the notification / fallback `text` of a message with blocks is a
# preview (push notifications, screen-reader summaries), so keep it short.
FALLBACK_TEXT_CHARS = 600
