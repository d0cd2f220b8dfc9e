"""Loads the Jinja2 prompt templates in `prompts/` and reports their versions.

Prompts are data, not code: each template declares `{#- version: N -#}` on its first line, and
`PromptLibrary.version()` combines that number with a hash of the template source, so a cached
result is never reused after a prompt changes, even if someone forgets to bump the number.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import jinja2

_VERSION = re.compile(r"\{#-?\s*version:\s*([\w.\-]+)\s*-?#\}")


def default_prompts_dir() -> Path:
    """`prompts/` beside the package in a checkout, else the copy packed into the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "prompts", here / "_prompts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("prompt templates not found (expected a prompts/ directory)")


class PromptLibrary:
    """Renders named templates (`summary` -> `prompts/summary.j2`)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_prompts_dir()
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def render(self, name: str, **variables: object) -> str:
        return self._env.get_template(f"{name}.j2").render(**variables).strip()

    def source(self, name: str) -> str:
        return (self.directory / f"{name}.j2").read_text(encoding="utf-8")

    def version(self, *names: str) -> str:
        """A cache-key fragment: declared versions plus a short hash of the sources."""
        parts, digest = [], hashlib.sha256()
        for name in sorted(names):
            src = self.source(name)
            match = _VERSION.search(src)
            parts.append(f"{name}@{match.group(1) if match else '0'}")
            digest.update(src.encode("utf-8"))
        return "+".join(parts) + ":" + digest.hexdigest()[:10]


@lru_cache(maxsize=1)
def default_library() -> PromptLibrary:
    return PromptLibrary()
