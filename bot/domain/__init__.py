"""The records every layer hands around and the store keeps: the Article, a conversation Turn,
LLM token Usage and CallRecord.

They sit on the ground floor (they import only `bot.tokens`), so the store can keep them
without importing ingest, analysis or llm, and those packages can use the store's Protocols
without an import circle.
"""
