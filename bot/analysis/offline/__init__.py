"""The offline engine: summary, actors and answers without a language model.

It is the embedded default when no LLM is configured, and the fallback when the LLM fails. It is
extractive and deterministic: every sentence it shows is the article's own, so every quote it
gives passes `QuoteVerifier`.
"""

from bot.analysis.offline.actors import offline_actors
from bot.analysis.offline.answer import offline_answer
from bot.analysis.offline.extractive_summary import offline_summary

__all__ = ["offline_actors", "offline_answer", "offline_summary"]
