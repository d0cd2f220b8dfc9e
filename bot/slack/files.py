"""Files shared in Slack: check the type, download with the bot token, read as an article.

Downloads go through the same safe fetcher as links (size cap, address checks); the bot token
is sent only to Slack's own file host and dropped if a redirect leaves it.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from bot.domain.article import Article
from bot.errors import BadInput, TooLarge
from bot.ingest.loader import READABLE_SUFFIXES, ArticleLoader
from bot.slack import messages
from bot.slack.context import SlackContext

READABLE_FILETYPES = {"text", "markdown", "html", "pdf", "post"}


def is_readable(file: dict[str, Any]) -> bool:
    suffix = PurePath(str(file.get("name") or "")).suffix.lower()
    return suffix in READABLE_SUFFIXES or file.get("filetype") in READABLE_FILETYPES


async def load_file(ctx: SlackContext, file: dict[str, Any], loader: ArticleLoader) -> Article:
    name = str(file.get("name") or file.get("title") or "the file")
    if not is_readable(file):
        raise BadInput(messages.UNSUPPORTED_FILE.format(name=name), paste_hint=True)
    limit = ctx.settings.fetch_max_bytes
    if int(file.get("size") or 0) > limit:
        raise TooLarge(f"{name} is larger than the {limit // 1_000_000} MB I can read.")
    url = file.get("url_private_download")
    if not url:
        raise BadInput(messages.FILE_DOWNLOAD_FAILED.format(name=name, reason="no download link"))
    token = ctx.client.token  # the workspace's own token (its installation, or SLACK_BOT_TOKEN)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    doc = await ctx.runtime.fetcher.fetch(url, headers=headers)
    if doc.content_type == "text/html" and not name.lower().endswith((".html", ".htm")):
        # Slack answers an unauthorised download with its sign-in page, not an error.
        raise BadInput(messages.FILE_DOWNLOAD_FAILED.format(name=name, reason="access denied"))
    return await loader.load_bytes(
        doc.body, name=name, content_type=file.get("mimetype") or doc.content_type
    )
