"""Per-dimension agreement of the scorer with labelled conversations, and the worst misses. Pure.

Flags: resolved and complaint over every conversation; deescalated over the conversations the labels call
a complaint (the scorer's "no complaint found" counts as not de-escalated). Scores: Spearman's rho of the
0-100 politeness and efficiency scores against the low/medium/high labels. Pairs: the better variant must
score strictly higher on the pair's focus dimension; a missing score (de-escalation without a complaint
found) counts as not ordered right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analytics.evaluation.agreement import Estimate, flag_figures, kappa, spearman, wilson
from analytics.evaluation.labelled import FLAGS, GRADED, GRADES, PAIR_FOCUS, LabelledConversation
from analytics.scoring.types import ConversationScores

# The goals of the scoring-validity issue, on the test half.
GOALS = {"flag_accuracy": 0.90, "flag_kappa": 0.70, "pairs": 0.90, "rho": 0.60}
DIMENSION_OF_FLAG = {"resolved": "efficiency", "complaint": "deescalation", "deescalated": "deescalation"}


@dataclass(frozen=True)
class Miss:
    conversation_id: str
    what: str
    gold: Any
    predicted: Any
    evidence: list[dict[str, Any]]


@dataclass(frozen=True)
class ConversationFigures:
    flags: dict[str, dict[str, Estimate]]
    rho: dict[str, Estimate]
    pairs: dict[str, Estimate]
    peak_turn: Estimate
    labeler_kappa: dict[str, Estimate]
    misses: dict[str, list[Miss]]

    def goals_met(self) -> dict[str, bool]:
        met = {}
        for flag, figures in self.flags.items():
            met[f"{flag} accuracy"] = figures["accuracy"].value >= GOALS["flag_accuracy"]
            met[f"{flag} kappa"] = figures["kappa"].value >= GOALS["flag_kappa"]
        for focus, estimate in self.pairs.items():
            met[f"{focus} pairs"] = estimate.n > 0 and estimate.value >= GOALS["pairs"]
        for graded, estimate in self.rho.items():
            met[f"{graded} rho"] = estimate.value >= GOALS["rho"]
        return met


def predicted_flag(scores: ConversationScores, flag: str) -> bool:
    value = getattr(scores, flag)
    return bool(value)


def _evidence(scores: ConversationScores, dimension: str, limit: int = 4) -> list[dict[str, Any]]:
    items = scores.dimensions()[dimension].evidence
    return [{key: item.get(key) for key in ("turn", "speaker", "label", "text")} for item in items[:limit]]


def dimension_value(scores: ConversationScores, dimension: str) -> float | None:
    return scores.dimensions()[dimension].value


def pair_figures(items: Sequence[LabelledConversation], scores: dict[str, ConversationScores]
                 ) -> tuple[dict[str, Estimate], list[Miss]]:
    by_pair: dict[str, dict[bool, LabelledConversation]] = {}
    for item in items:
        if item.pair is not None:
            by_pair.setdefault(item.pair["id"], {})[item.pair["better"]] = item
    right: dict[str, int] = dict.fromkeys(PAIR_FOCUS, 0)
    total: dict[str, int] = dict.fromkeys(PAIR_FOCUS, 0)
    misses = []
    for pair_id, members in sorted(by_pair.items()):
        if set(members) != {True, False}:
            continue  # half a pair (the other half in the other split, or missing): nothing to compare
        focus = members[True].pair["focus"]
        better = dimension_value(scores[members[True].record.conversation_id], focus)
        worse = dimension_value(scores[members[False].record.conversation_id], focus)
        total[focus] += 1
        if better is not None and worse is not None and better > worse:
            right[focus] += 1
        else:
            misses.append(Miss(pair_id, f"{focus} pair", "better > worse", f"{better} vs {worse}",
                               _evidence(scores[members[False].record.conversation_id], focus)))
    return {focus: wilson(right[focus], total[focus]) for focus in PAIR_FOCUS}, misses


def labeler_agreement(items: Sequence[LabelledConversation]) -> dict[str, Estimate]:
    """Cohen's kappa between the first two reviewers' own labels, per label (deescalated where both saw a
    complaint)."""
    found = {}
    doubly = [item for item in items if len(item.annotations) >= 2]
    for label in (*FLAGS, *GRADED):
        first, second = [], []
        for item in doubly:
            a, b = item.annotations[0].get(label), item.annotations[1].get(label)
            if a is None or b is None:
                continue
            first.append(a)
            second.append(b)
        if first:
            found[label] = kappa(first, second)
    return found


def conversation_figures(items: Sequence[LabelledConversation], scores: dict[str, ConversationScores],
                         worst: int = 5) -> ConversationFigures:
    flags, misses = {}, {}
    for flag in FLAGS:
        chosen = [item for item in items if flag != "deescalated" or item.labels["complaint"]]
        gold = [bool(item.labels[flag]) for item in chosen]
        predicted = [predicted_flag(scores[item.record.conversation_id], flag) for item in chosen]
        flags[flag] = flag_figures(gold, predicted)
        misses[flag] = [Miss(item.record.conversation_id, flag, g, p,
                             _evidence(scores[item.record.conversation_id], DIMENSION_OF_FLAG[flag]))
                        for item, g, p in zip(chosen, gold, predicted, strict=True) if g != p][:worst]
    rho = {}
    for graded in GRADED:
        pairs = [(GRADES[item.labels[graded]], dimension_value(scores[item.record.conversation_id], graded), item)
                 for item in items]
        pairs = [(g, s, item) for g, s, item in pairs if s is not None]
        rho[graded] = spearman([g for g, _, _ in pairs], [s for _, s, _ in pairs])
        # Worst: a "low" scored highest and a "high" scored lowest.
        extremes = sorted(pairs, key=lambda row: -abs((row[0] - 2) * 50 - (row[1] - 50)) if row[0] != 2 else 0)
        misses[graded] = [Miss(item.record.conversation_id, graded, item.labels[graded], round(score, 1),
                               _evidence(scores[item.record.conversation_id], graded))
                          for grade, score, item in extremes
                          if (grade == 1 and score >= 50) or (grade == 3 and score < 50)][:worst]
    pairs_by_focus, pair_misses = pair_figures(items, scores)
    misses["pairs"] = pair_misses[:worst]
    peaks = [(item.labels.get("complaint_peak_turn"),
              scores[item.record.conversation_id].deescalation.details.get("peak_turn"))
             for item in items if item.labels["complaint"] and scores[item.record.conversation_id].complaint]
    peak_turn = wilson(sum(1 for gold, got in peaks if gold == got), len(peaks))
    return ConversationFigures(flags, rho, pairs_by_focus, peak_turn, labeler_agreement(items), misses)
