"""Learned weights of the offline engine: written by `bench/offline_learn.py --write`.

Fitted on every article of the SQuAD 2.0 tuning set; the bench prints how the same
method does on articles it was not fitted on. Regenerate, do not edit by hand.
"""

from bot.analysis.offline.learned import LinearModel

# The support cut-off that refuses 7.0% of the tuning set's answerable
# questions.
TUNED_CUTOFF = 0.639

RANKER = LinearModel(
    features=(
        "score",
        "bm25",
        "paragraph",
        "coverage",
        "bigrams",
        "proximity",
        "novelty",
        "typed",
        "length",
        "rank",
        "follows",
        "follows_why",
        "previous",
        "span",
    ),
    mean=(
        0.639354,
        0.4624,
        0.720959,
        0.310502,
        0.088504,
        0.703799,
        0.846141,
        0.841192,
        3.247088,
        0.347571,
        0.065655,
        0.003609,
        0.134547,
        0.249895,
    ),
    scale=(
        0.270673,
        0.306792,
        0.322429,
        0.246472,
        0.195639,
        0.340016,
        0.114718,
        0.365497,
        0.469124,
        0.278446,
        0.247677,
        0.059969,
        0.225842,
        0.162351,
    ),
    weights=(
        0.317368,
        0.216594,
        0.253302,
        0.719368,
        0.148665,
        0.021324,
        -0.092439,
        0.564076,
        -0.252268,
        0.169708,
        0.133484,
        -0.005066,
        0.01488,
        0.029118,
    ),
    bias=0.0,
)
