"""What the bot says in Slack outside of results: progress, help, refusals, apologies.

Kept in one place so the voice stays consistent and short. These are interface strings, not
prompts: no model ever sees them.
"""

from __future__ import annotations

READING = "Reading the article…"
READING_URL = "Reading {url} …"
HELP = (
    "Mention me with a link to an article, paste its text, or attach a file (txt, md, html, "
    "pdf), and I'll summarise it here. Then ask follow-up questions in the thread."
)
HELP_DM = (
    "Send me a link to an article, paste its text, or attach a file (txt, md, html, pdf), and "
    "I'll summarise it. Then just ask me questions about it here."
)
LATEST_IN_DM = (
    "About “{title}”, the latest of the {count} articles in this conversation. To ask about "
    "another one, reply in its thread or send its link again."
)
HELP_IN_THREAD = (
    "Ask me anything about the article in this thread, or share another link to switch to it."
)
NOT_IN_THIS_CHANNEL = (
    "I'm not enabled in this channel. An admin can add it to SLACK_ALLOWED_CHANNELS."
)
QUOTA_REACHED = "You've reached the limit of {quota} requests per hour. Please try again later."
ARTICLE_GONE = (
    "I no longer have the article for this thread. Share the link again and I'll re-read it."
)
SWITCHED = "This thread now follows the new article; follow-up questions will refer to it."
SEVERAL_LINKS = (
    "You shared {count} links; I read {url}. To read another one, reply in this thread with "
    "just that link."
)
LINK_FAILED_NEXT = "I couldn't read {failed} ({reason}), so I read {url} instead."
UNSUPPORTED_FILE = "I can read txt, md, html and pdf files; {name} isn't one of those."
FILE_DOWNLOAD_FAILED = "I couldn't download {name} from Slack ({reason})."
INTERNAL_ERROR = "Something went wrong on my side and I couldn't finish this. Please try again."
RESTART_APOLOGY = (
    "Sorry, I was restarted and this request is too old to pick up again. Please ask again."
)
SLACK_TROUBLE = (
    "Sorry, Slack kept failing while I worked on this, so I had to give up. Please ask again."
)
ANSWER_RESTARTED = "The language model failed part-way; here is the offline engine's answer:"
FEEDBACK_THANKS = "Thanks, your {emoji} is noted. It helps us see what works."
FEEDBACK_CHANGED = "Changed your rating of this reply to {emoji}."
FEEDBACK_SAME = "You already rated this reply {emoji}; it counts once."
FEEDBACK_GONE = "I can't find the request behind this reply any more, so the rating wasn't kept."
FEEDBACK_NOT_YOURS = (
    "Only the person who asked for this reply can rate it; your rating wasn't recorded."
)
FEEDBACK_OTHER_WORKSPACE = (
    "This reply belongs to another workspace's request; your rating wasn't recorded."
)
