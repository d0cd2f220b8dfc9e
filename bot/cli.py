"""Command line entry point (filled in by the pipeline work)."""


def main() -> int:
    raise SystemExit("articlebot: not built yet")
