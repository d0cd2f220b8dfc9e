"""The trade-off as a PNG (`articlebot eval --plot`): matplotlib is an optional extra.

`pip install 'articlebot[plot]'` adds it; without it the eval still prints its table and says
that the plot was skipped, so the base install stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.eval.scoring import TradeoffPoint

INSTALL_HINT = "pip install 'articlebot[plot]'"


class PlotUnavailable(Exception):
    """matplotlib is not installed."""


def plot_tradeoff(points: Sequence[TradeoffPoint], path: Path, *, title: str) -> None:
    """Declined-unanswerable (y) against wrongly-refused-answerable (x), one point per cut-off."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed, and no GUI backend probing
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotUnavailable(f"--plot needs matplotlib ({INSTALL_HINT})") from exc
    xs = [p.refused_answerable or 0.0 for p in points]
    ys = [p.declined_impossible or 0.0 for p in points]
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="a coin (refuses at random)")
    ax.plot(xs, ys, marker="o", label="cut-off on the support score")
    for p, x, y in zip(points, xs, ys, strict=True):
        if p.default:
            ax.plot([x], [y], marker="*", markersize=14, color="crimson", linestyle="none",
                    label=f"default ({p.cutoff:.2f})")  # fmt: skip
        ax.annotate(f"{p.cutoff:.2f}", (x, y), textcoords="offset points", xytext=(6, -4),
                    fontsize=7)  # fmt: skip
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("answerable questions wrongly refused")
    ax.set_ylabel("unanswerable questions declined")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    plt.close(fig)
