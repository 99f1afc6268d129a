"""Fixtures of the scoring tests: one pipeline and one scorer per test session (building takes seconds)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def nlp():
    from analytics.scoring.pipeline import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def scorer(nlp):
    from analytics.scoring.conversation import Scorer

    return Scorer(nlp)
