"""The weekly NPS trend as a PNG: NPS with its 95% interval, and the number of answers per week."""

from __future__ import annotations

from pathlib import Path

from analytics.cli_output import plot_labels, show_id
from analytics.nps.queries import WeekTrend


def plot_trend(trend: list[WeekTrend], path: Path, title: str = "NPS by week") -> None:
    """Labels are drawn literally (no mathtext, control characters as visible escapes)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    with plot_labels():
        _draw(trend, path, show_id(title))


def _draw(trend: list[WeekTrend], path: Path, title: str) -> None:
    import matplotlib.pyplot as plt

    labels = [show_id(item.week.group) for item in trend]
    positions = list(range(len(trend)))
    missing = float("nan")  # a week without answers leaves a gap instead of a line drawn across it
    nps = [missing if item.week.summary.nps is None else item.week.summary.nps for item in trend]
    lows = [item.week.summary.ci95[0] if item.week.summary.ci95 else missing for item in trend]
    highs = [item.week.summary.ci95[1] if item.week.summary.ci95 else missing for item in trend]
    answers = [item.week.summary.counts.responses for item in trend]

    figure, score_axis = plt.subplots(figsize=(max(6.0, 0.6 * len(trend) + 2), 4.2), dpi=110)
    count_axis = score_axis.twinx()
    count_axis.bar(positions, answers, color="#d9d9d9", width=0.6, label="answers", zorder=1)
    count_axis.set_ylabel("answers")
    score_axis.set_zorder(count_axis.get_zorder() + 1)
    score_axis.patch.set_visible(False)

    score_axis.fill_between(positions, lows, highs, color="#9ecae1", alpha=0.5, label="95% interval (adjusted Wald)")
    score_axis.plot(positions, nps, marker="o", color="#08519c", label="NPS")
    score_axis.axhline(0, color="#636363", linewidth=0.8)
    score_axis.set_ylim(-100, 100)
    score_axis.set_ylabel("NPS (points)")
    score_axis.set_xticks(positions)
    score_axis.set_xticklabels(labels, rotation=45, ha="right")
    score_axis.set_title(title)
    score_axis.legend(loc="lower left", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
