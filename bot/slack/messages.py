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
COMMAND_HELP = (
    "*/articlebot <link or pasted text>*: a summary only you see, with a button to share it in "
    "the channel as a thread everyone can ask follow-up questions in.\n"
    "*/articlebot usage*: your requests left this hour, and this workspace's tokens this month.\n"
    "*/articlebot help*: this message. You can also mention me with a link in a channel, or "
    "send me one in a direct message."
)
COMMAND_EMPTY = (
    "Give me something to read: `/articlebot https://example.com/article`, or paste the "
    "article's text after the command. `/articlebot help` lists what I can do."
)
COMMAND_NO_ARTICLE = (
    "I found no link and not enough text to be an article in “{text}”. Try "
    "`/articlebot https://example.com/article` or paste the whole text; `/articlebot help` "
    "lists what I can do."
)
COMMAND_READING = "Reading it… the summary will appear here, visible only to you."
COMMAND_USAGE = (
    "You have {left} of {quota} requests left this hour. This workspace has used {tokens} "
    "tokens in {calls} model calls this month{cost}."
)
COMMAND_USAGE_NO_QUOTA = (
    "There is no hourly limit on requests here. This workspace has used {tokens} tokens in "
    "{calls} model calls this month{cost}."
)
SHARE_BUTTON = "Share in channel"
SHARED = "Shared in the channel: anyone there can ask follow-up questions in its thread."
SHARE_TWICE = "This summary is already shared in the channel (look for its thread)."
SHARE_GONE = "I no longer have this summary's article; run the command again to share it."
SHARE_NOT_YOURS = "Only the person who ran the command can share this summary."
SHARE_NOT_IN_CHANNEL = (
    "I can't post in this conversation. Invite me first (`/invite @articlebot`), then share again."
)
SHORTCUT_NOTHING = (
    "I found nothing to read in that message: no link, no file, and not enough text to be an "
    "article. Use the shortcut on a message that shares one."
)
SHORTCUT_TWICE = "I've already taken that message: the summary is in its thread."
PANE_GREETING = (
    "Hi! Share a link to an article, paste its text or attach a file, and I'll summarise it "
    "here; then ask me anything about it."
)
PANE_GREETING_CHANNEL = (
    "Hi! Share a link, paste an article or attach a file, or ask me for the last article "
    "shared in the channel you're viewing; then ask me anything about it."
)
PANE_PROMPTS_TITLE = "Try one of these"
PANE_PROMPT_LINK = "Summarise a link"
PANE_PROMPT_LINK_MESSAGE = "How do I get a summary of an article?"
PANE_PROMPT_CHANNEL = "Summarise the last article shared in this channel"
PANE_PROMPT_PEOPLE = "Who are the key people?"
PANE_NO_CONTEXT = (
    "I can't tell which channel you mean: open me from a channel (I read where you are "
    "looking), or share the article's link here."
)
PANE_NO_LINK = (
    "I found no link in the last {count} messages of the channel you're viewing. Share one here."
)
PANE_CANT_READ = (
    "I can't read the channel you're viewing (I'm not a member there). Invite me with "
    "`/invite @articlebot`, or share the link here."
)
PANE_FOUND = "This is the last article shared in the channel you're viewing."
HOME_TITLE = "articlebot"
HOME_HOW = (
    "*How to use me*\n"
    "• Mention me with a link, pasted text or a file in a channel: the summary arrives in the "
    "thread, and any question there gets a quote-checked answer.\n"
    "• Send me an article in a direct message; questions there are about your latest one.\n"
    "• `/articlebot <link>` for a private summary you can share; the message shortcut "
    "*Summarise this article* on any message; or open me in the side panel."
)
HOME_RECENT = "*Your recent articles*"
HOME_NO_RECENT = "Nothing yet: share an article with me and it will be listed here."
HOME_QUOTA = "You have {left} of {quota} requests left this hour."
HOME_NO_QUOTA = "There is no hourly limit on requests here."
HOME_ADMIN = (
    "*This workspace (admins only)*\nThis month: {tokens} tokens in {calls} model calls{cost}. "
    "Feedback so far: {good} 👍 and {bad} 👎."
)
