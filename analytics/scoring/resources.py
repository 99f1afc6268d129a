"""The scorer's data files (patterns, lexicons, vocabulary, weights) and the scorer version derived from them.

Everything a reviewer may want to change lives in ``analytics/scoring/data/`` as JSONL, YAML or JSON; this
module only reads and checks it. The scorer version includes a digest of those files, so changing a pattern
or a weight makes ``cxqa score`` rescore what the older version scored.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
SCORER_RELEASE = "1.0"

PATTERN_FILES = ("politeness_patterns.jsonl", "service_patterns.jsonl", "complaint_patterns.jsonl")
COMBINATIONS_FILE = "combinations.jsonl"
LEXICON_FILE = "lexicons.yml"
VOCABULARY_FILE = "vocabulary.yml"
POLITENESS_MODEL_FILE = "politeness_model.json"
SERVICE_WEIGHTS_FILE = "service_weights.yml"
COMPLAINT_MODEL_FILE = "complaint_model.yml"
EFFICIENCY_FILE = "efficiency.yml"
DEESCALATION_FILE = "deescalation.yml"


class ScoringDataError(ValueError):
    """A data file of the scorer is missing or malformed (names the file and the entry)."""


def _path(name: str) -> Path:
    path = DATA_DIR / name
    if not path.is_file():
        raise ScoringDataError(f"scoring data file {path} is missing")
    return path


@cache
def load_yaml(name: str) -> dict[str, Any]:
    with _path(name).open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ScoringDataError(f"{name}: expected a mapping at the top level")
    return data


@cache
def load_json(name: str) -> dict[str, Any]:
    with _path(name).open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ScoringDataError(f"{name}: expected a JSON object")
    return data


@cache
def load_patterns() -> tuple[dict[str, Any], ...]:
    """All token patterns: dicts with ``label``, ``id`` and ``pattern`` (a spaCy Matcher pattern)."""
    patterns: list[dict[str, Any]] = []
    for name in PATTERN_FILES:
        with _path(name).open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ScoringDataError(f"{name} line {number}: not JSON ({exc.msg})") from None
                if not isinstance(entry, dict) or not {"label", "id", "pattern"} <= entry.keys():
                    raise ScoringDataError(f"{name} line {number}: expected label, id and pattern")
                patterns.append(entry)
    return tuple(patterns)


@cache
def load_combinations() -> tuple[dict[str, Any], ...]:
    """Derived markers: ``label`` where a ``first`` marker is followed by a ``then`` marker in one sentence."""
    rules = []
    with _path(COMBINATIONS_FILE).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                rule = json.loads(line)
                if not {"label", "id", "first", "then"} <= rule.keys():
                    raise ScoringDataError(f"{COMBINATIONS_FILE} line {number}: expected label, id, first, then")
                rules.append(rule)
    return tuple(rules)


def _string_lists(name: str) -> dict[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for key, values in load_yaml(name).items():
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            bad = [value for value in values or [] if not isinstance(value, str)]
            raise ScoringDataError(f"{name}: '{key}' must be a list of quoted strings (check {bad[:3]})")
        result[str(key)] = tuple(value.lower() for value in values)
    return result


@cache
def load_lexicons() -> dict[str, tuple[str, ...]]:
    """Label -> phrases (lower case), matched as token phrases by the markers component."""
    return _string_lists(LEXICON_FILE)


@cache
def load_vocabulary() -> tuple[str, ...]:
    """The closed vocabulary of the lexical component, sorted and de-duplicated."""
    words: set[str] = set()
    for values in _string_lists(VOCABULARY_FILE).values():
        words.update(values)
    return tuple(sorted(words))


def data_digest() -> str:
    """A short digest of every data file, so any change to the scorer's data changes its version."""
    digest = hashlib.sha256()
    for path in sorted(DATA_DIR.iterdir()):
        if path.suffix in {".json", ".jsonl", ".yml", ".yaml"}:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@cache
def scorer_version() -> str:
    """E.g. ``1.0+3f2a9c01be``: the release of the scoring code plus the digest of its data."""
    return f"{SCORER_RELEASE}+{data_digest()}"
