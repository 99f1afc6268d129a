"""The politeness fit script on the Stanford Politeness Corpus (../shared), and the committed model."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
WIKIPEDIA_WORDS = {"article", "articles", "edit", "edits", "editing", "page", "pages", "wikipedia", "wiki", "user",
                   "users", "talk", "revert", "reverted", "vandalism", "admin", "administrator"}


def _fit_module():
    spec = importlib.util.spec_from_file_location("fit_politeness", REPO / "scripts" / "fit_politeness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _corpus_path(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "politeness" / "wikipedia.annotated.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the politeness corpus lives in ../shared/data/politeness/")
    return path


def test_committed_model_reports_the_papers_protocol():
    fitted = json.loads((REPO / "analytics/scoring/data/politeness_model.json").read_text(encoding="utf-8"))
    evaluation = fitted["evaluation"]
    assert "10-fold" in evaluation["protocol"] and "nested" in evaluation["protocol"]
    assert evaluation["accuracy"] >= 0.84
    assert evaluation["strategies_only"] < evaluation["accuracy"]
    assert evaluation["calibration"]["ece"] < 0.05


def test_vocabulary_has_no_wikipedia_words():
    from analytics.scoring.resources import load_vocabulary

    assert not WIKIPEDIA_WORDS & set(load_vocabulary())
    fitted = json.loads((REPO / "analytics/scoring/data/politeness_model.json").read_text(encoding="utf-8"))
    ngram_words = {word for ngram in fitted["lexical_weights"] for word in ngram.split(" ")}
    assert not WIKIPEDIA_WORDS & ngram_words


@pytest.mark.shared
def test_quartile_task_reads_only_requests_and_scores(shared_dir):
    fit = _fit_module()
    texts, scores = fit.read_requests(_corpus_path(shared_dir))
    assert len(texts) == len(scores) == 4353
    assert not any(text.startswith("A") and len(text) == 14 and text.isupper() for text in texts)  # no TurkIds
    task_texts, labels = fit.quartile_task(texts, scores)
    assert len(task_texts) == 2178 and int(labels.sum()) == 1089


@pytest.mark.shared
def test_features_generalise_on_the_corpus(shared_dir):
    """A quick (not nested) 5-fold check with the committed hyper-parameters; the full protocol is the script."""
    from sklearn.model_selection import StratifiedKFold

    fit = _fit_module()
    texts, labels = fit.quartile_task(*fit.read_requests(_corpus_path(shared_dir)))
    corpus = fit.featurize(texts, labels)
    fitted = json.loads((REPO / "analytics/scoring/data/politeness_model.json").read_text(encoding="utf-8"))
    c_value, scale = fitted["hyperparameters"]["C"], fitted["hyperparameters"]["strategy_scale"]
    folds = StratifiedKFold(5, shuffle=True, random_state=3)
    scores = [fit.accuracy(corpus, train, test, c_value, scale) for train, test in folds.split(labels, labels)]
    assert np.mean(scores) > 0.82
