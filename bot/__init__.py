"""articlebot: summaries, key actors and grounded answers for articles, in Slack and the terminal."""

__version__ = "0.1.0"
