"""Targets per quality dimension, read from ``targets.yml`` (a trainer edits that file, not code)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TARGETS_FILE = Path(__file__).with_name("targets.yml")


@dataclass(frozen=True, slots=True)
class DimensionTarget:
    name: str
    target: float
    label: str
    coaching_hint: str


@dataclass(frozen=True, slots=True)
class Targets:
    dimensions: dict[str, DimensionTarget]
    min_conversations: int
    window_days: int
    min_improvement: float


@lru_cache(maxsize=4)
def load_targets(path: Path = TARGETS_FILE) -> Targets:
    raw = yaml.safe_load(path.read_text("utf-8"))
    dimensions = {
        name: DimensionTarget(name=name, target=float(spec["target"]), label=str(spec.get("label", name)),
                              coaching_hint=str(spec.get("coaching_hint", "")))
        for name, spec in raw["dimensions"].items()
    }
    return Targets(dimensions=dimensions, min_conversations=int(raw["min_conversations"]),
                   window_days=int(raw["window_days"]), min_improvement=float(raw["min_improvement"]))
