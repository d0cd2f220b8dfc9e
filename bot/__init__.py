"""articlebot: summaries, key actors and grounded answers about articles."""

__version__ = "0.1.0"
