"""Prometheus metrics: the names every layer increments, in one place on the ground floor.

Defined here (not where they are counted) so the Slack layer, the LLM client and the job
runner share one vocabulary and the `/metrics` page documents itself. Each counter takes
small, closed label sets: an outcome, a fault class, a task; never a user, channel or URL.
The default registry is used, so `prometheus_client.generate_latest()` serves them all.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# --- Requests (one per accepted Slack job) ---
REQUESTS = Counter(
    "articlebot_requests",
    "Slack requests finished, by job kind and outcome.",
    ["kind", "outcome"],  # outcome: done | failed | expired | stopped
)
OFFLINE_FALLBACKS = Counter(
    "articlebot_offline_fallbacks",
    "Results served by the offline engine because the LLM failed.",
    ["task"],
)

# --- Slack Web API ---
SLACK_RETRIES = Counter(
    "articlebot_slack_retries",
    "Slack Web API calls retried, by fault class (ratelimited, server_error, connection, ...).",
    ["fault"],
)
SLACK_FAILURES = Counter(
    "articlebot_slack_failures",
    "Slack Web API calls that failed for good, by fault class.",
    ["fault"],
)

# --- LLM ---
LLM_RETRIES = Counter(
    "articlebot_llm_retries",
    "LLM calls retried, by fault class (rate_limited, server_error, timeout, malformed, ...).",
    ["fault"],
)
LLM_LATENCY = Histogram(
    "articlebot_llm_latency_seconds",
    "Wall time of one LLM call (repairs and retries included), by task.",
    ["task"],
    buckets=(0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120),
)
LLM_TOKENS = Counter(
    "articlebot_llm_tokens",
    "LLM tokens, by kind (prompt, completion, cached).",
    ["kind"],
)

# --- Job queue ---
QUEUE_DEPTH = Gauge("articlebot_queue_depth", "Jobs accepted and not yet finished.")
OLDEST_JOB_AGE = Gauge(
    "articlebot_oldest_job_age_seconds", "Age of the oldest unfinished job (0 when none)."
)
LEASE_TAKEOVERS = Counter(
    "articlebot_lease_takeovers",
    "Jobs taken over from a worker that died, by how the death was detected.",
    ["reason"],  # reason: dead_owner | lease_expired
)
JOB_REQUEUES = Counter(
    "articlebot_job_requeues",
    "Jobs put back on the queue after a transient fault, by fault class.",
    ["fault"],
)
