"""Short labelled texts: complaints in public posts to brands (against VADER, a general sentiment lexicon)
and the politeness of single support replies. The figures are pure; the scorer's and VADER's numbers come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analytics.evaluation.agreement import Estimate, accuracy, auc, macro_f1, spearman
from analytics.evaluation.labelled import POLITENESS_CLASSES, LabelledText

VADER_COMPLAINT_BELOW = -0.05  # VADER's own convention: compound <= -0.05 is negative


@dataclass(frozen=True)
class DetectorFigures:
    macro_f1: Estimate
    accuracy: Estimate
    auc: Estimate


def complaint_figures(items: Sequence[LabelledText], probabilities: Sequence[float],
                      vader_compound: Sequence[float]) -> dict[str, DetectorFigures]:
    """The scorer's complaint probability (at 0.5) and VADER's compound score ("negative = complaint")."""
    gold = [bool(item.labels["complaint"]) for item in items]
    ours = [p >= 0.5 for p in probabilities]
    vader = [c <= VADER_COMPLAINT_BELOW for c in vader_compound]
    return {
        "cxqa": DetectorFigures(macro_f1(gold, ours), accuracy(gold, ours), auc(gold, probabilities)),
        "vader": DetectorFigures(macro_f1(gold, vader), accuracy(gold, vader), auc(gold, [-c for c in vader_compound])),
    }


def politeness_figures(items: Sequence[LabelledText], probabilities: Sequence[float]) -> dict[str, Estimate]:
    """Polite against impolite replies (neutral left out, as the politeness corpus drops its middle half):
    accuracy at P(polite) 0.5 and AUC; and Spearman's rho over all three classes."""
    rank = {name: index for index, name in enumerate(POLITENESS_CLASSES)}
    ends = [(item.labels["politeness"] == "polite", p) for item, p in zip(items, probabilities, strict=True)
            if item.labels["politeness"] != "neutral"]
    return {
        "accuracy_polite_vs_impolite": accuracy([g for g, _ in ends], [p >= 0.5 for _, p in ends]),
        "auc_polite_vs_impolite": auc([g for g, _ in ends], [p for _, p in ends]),
        "rho_three_classes": spearman([rank[item.labels["politeness"]] for item in items], list(probabilities)),
    }
