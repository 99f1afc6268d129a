"""Charts for the gap report (matplotlib, written to PNG)."""

from __future__ import annotations

from pathlib import Path

from analytics.cli_output import plot_labels, show_id
from analytics.coaching.gaps import DimensionStats
from analytics.coaching.targets import Targets


def plot_agent_scores(stats: list[DimensionStats], targets: Targets, path: Path) -> None:
    """One panel per dimension: each agent's mean as a bar, the target as a line, below-target bars in red.

    Agent ids are drawn literally: control characters as visible escapes, ``$...$`` not as mathtext.
    """
    import matplotlib

    matplotlib.use("Agg")
    with plot_labels():
        _draw(stats, targets, path)


def _draw(stats: list[DimensionStats], targets: Targets, path: Path) -> None:
    import matplotlib.pyplot as plt

    dimensions = list(targets.dimensions)
    figure, axes = plt.subplots(len(dimensions), 1, figsize=(10, 3.2 * len(dimensions)), squeeze=False)
    for axis, dimension in zip(axes[:, 0], dimensions, strict=True):
        rows = sorted((s for s in stats if s.dimension == dimension), key=lambda s: s.mean)
        target = targets.dimensions[dimension]
        colours = ["#c0392b" if s.mean < target.target else "#2e86c1" for s in rows]
        axis.barh([show_id(s.subject) for s in rows], [s.mean for s in rows], color=colours)
        axis.axvline(target.target, color="black", linestyle="--", linewidth=1, label=f"target {target.target:g}")
        axis.set_xlim(0, 100)
        axis.set_title(f"{target.label} (mean score, 0-100)")
        axis.legend(loc="lower right")
        if not rows:
            axis.text(50, 0, "no scored conversations", ha="center")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
