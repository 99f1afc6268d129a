"""Fit the politeness model on the Stanford Politeness Corpus (Wikipedia) and evaluate it on the paper's task.

Reads ``../shared/data/politeness/wikipedia.annotated.csv`` (columns Request and Normalized Score only; the
annotators' TurkIds are never read), keeps the top and bottom quartile of Normalized Score (polite vs
impolite, Danescu-Niculescu-Mizil et al., ACL 2013), and

1. evaluates with 10-fold cross-validation. Honest: the lexical n-gram columns are chosen from each training
   fold alone, and the hyper-parameters by an inner 5-fold CV on that training fold (nested CV). The
   vocabulary itself is fixed a priori in analytics/scoring/data/vocabulary.yml;
2. fits the final model on all of it, calibrates it (Platt scaling on out-of-fold scores) and writes
   ``analytics/scoring/data/politeness_model.json`` (with ``--write``).

Usage: python scripts/fit_politeness.py [--data PATH] [--write] [--baselines]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "politeness" / "wikipedia.annotated.csv"
OUTPUT = REPO / "analytics" / "scoring" / "data" / "politeness_model.json"
SEED = 0
C_GRID = (1.0, 3.0, 10.0)
SCALE_GRID = (0.3, 0.6)
MIN_DF = 2


@dataclass
class Corpus:
    texts: list[str]
    labels: np.ndarray  # 1 polite (top quartile), 0 impolite (bottom quartile)
    strategies: np.ndarray  # n x S, log(1 + count) of each strategy or cue
    codes: list[np.ndarray]  # unique n-gram codes per text
    strategy_labels: tuple[str, ...]


def read_requests(path: Path) -> tuple[list[str], np.ndarray]:
    texts, scores = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            texts.append(row["Request"])
            scores.append(float(row["Normalized Score"]))
    return texts, np.array(scores)


def quartile_task(texts: list[str], scores: np.ndarray) -> tuple[list[str], np.ndarray]:
    low, high = np.percentile(scores, [25, 75])
    keep = [i for i, score in enumerate(scores) if score <= low or score >= high]
    return [texts[i] for i in keep], np.array([1 if scores[i] >= high else 0 for i in keep])


def featurize(texts: list[str], labels: np.ndarray) -> Corpus:
    from analytics.scoring.pipeline import MARKERS_ONLY, build_pipeline
    from analytics.scoring.politeness_model import shared_encoder, strategy_vector
    from analytics.scoring.resources import load_yaml

    labels_file = load_yaml("labels.yml")
    strategy_labels = tuple(labels_file["politeness_strategies"] + labels_file["politeness_model_extra_features"])
    nlp = build_pipeline(MARKERS_ONLY)
    encoder = shared_encoder()
    strategies, codes = [], []
    for doc in nlp.pipe(texts, batch_size=256):
        strategies.append(strategy_vector(doc._.cxqa_label_counts, strategy_labels))
        codes.append(np.array(sorted(encoder.codes(doc)), dtype=np.int64))
    return Corpus(texts, labels, np.array(strategies), codes, strategy_labels)


@dataclass
class Columns:
    codes: np.ndarray  # sorted n-gram codes seen in at least MIN_DF training rows
    idf: np.ndarray  # smoothed inverse document frequency of each, as scikit-learn's TfidfTransformer


def lexical_columns(codes: list[np.ndarray], rows: np.ndarray) -> Columns:
    """The lexical columns and their idf, from the given (training) rows only."""
    seen, counts = np.unique(np.concatenate([codes[i] for i in rows]), return_counts=True)
    keep = counts >= MIN_DF
    idf = np.log((1 + len(rows)) / (1 + counts[keep])) + 1
    return Columns(seen[keep], idf)


def design(corpus: Corpus, rows: np.ndarray, columns: Columns, scale: float,
           use_strategies: bool = True, use_lexical: bool = True) -> sparse.csr_matrix:
    blocks = []
    if use_strategies:
        blocks.append(sparse.csr_matrix(corpus.strategies[rows] * scale))
    if use_lexical:
        indptr, indices, values = [0], [], []
        for i in rows:
            doc_codes = corpus.codes[i]
            position = np.searchsorted(columns.codes, doc_codes)
            position[position >= len(columns.codes)] = 0
            hits = position[columns.codes[position] == doc_codes]
            weights = columns.idf[hits]
            norm = math.sqrt(float((weights**2).sum())) or 1.0
            indices.extend(hits.tolist())
            values.extend((weights / norm).tolist())
            indptr.append(len(indices))
        blocks.append(sparse.csr_matrix((values, indices, indptr), shape=(len(rows), len(columns.codes))))
    return sparse.hstack(blocks, format="csr")


def fit_one(corpus: Corpus, train: np.ndarray, c_value: float, scale: float, **kinds: bool):
    columns = lexical_columns(corpus.codes, train)
    model = LogisticRegression(C=c_value, max_iter=5000)
    model.fit(design(corpus, train, columns, scale, **kinds), corpus.labels[train])
    return model, columns


def accuracy(corpus: Corpus, train: np.ndarray, test: np.ndarray, c_value: float, scale: float,
             **kinds: bool) -> float:
    model, columns = fit_one(corpus, train, c_value, scale, **kinds)
    predicted = model.predict(design(corpus, test, columns, scale, **kinds))
    return float((predicted == corpus.labels[test]).mean())


def choose_hyperparameters(corpus: Corpus, rows: np.ndarray, **kinds: bool) -> tuple[float, float]:
    """Inner 5-fold CV on ``rows`` only."""
    inner = StratifiedKFold(5, shuffle=True, random_state=SEED + 1)
    grid = [(c, s) for c in C_GRID for s in (SCALE_GRID if kinds.get("use_strategies", True) else (1.0,))]
    best, best_score = grid[0], -1.0
    for c_value, scale in grid:
        scores = [accuracy(corpus, rows[tr], rows[te], c_value, scale, **kinds)
                  for tr, te in inner.split(rows, corpus.labels[rows])]
        if np.mean(scores) > best_score:
            best, best_score = (c_value, scale), float(np.mean(scores))
    return best


def nested_cv(corpus: Corpus, seed: int = SEED, **kinds: bool) -> list[float]:
    outer = StratifiedKFold(10, shuffle=True, random_state=seed)
    everything = np.arange(len(corpus.labels))
    scores = []
    for train, test in outer.split(everything, corpus.labels):
        c_value, scale = choose_hyperparameters(corpus, train, **kinds)
        scores.append(accuracy(corpus, train, test, c_value, scale, **kinds))
    return scores


def bag_of_words_baseline(corpus: Corpus) -> float:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(CountVectorizer(binary=True), LogisticRegression(max_iter=5000))
    folds = StratifiedKFold(10, shuffle=True, random_state=SEED)
    return float(cross_val_score(pipeline, corpus.texts, corpus.labels, cv=folds).mean())


def out_of_fold_logits(corpus: Corpus, c_value: float, scale: float) -> np.ndarray:
    folds = StratifiedKFold(10, shuffle=True, random_state=SEED + 2)
    logits = np.zeros(len(corpus.labels))
    for train, test in folds.split(corpus.labels, corpus.labels):
        model, columns = fit_one(corpus, train, c_value, scale)
        logits[test] = model.decision_function(design(corpus, test, columns, scale))
    return logits


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> tuple[float, float]:
    """Brier score and expected calibration error."""
    brier = float(np.mean((probabilities - labels) ** 2))
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (probabilities >= low) & (probabilities < high if high < 1 else probabilities <= high)
        if inside.any():
            error += inside.mean() * abs(probabilities[inside].mean() - labels[inside].mean())
    return brier, float(error)


def final_model(corpus: Corpus, evaluation: dict) -> dict:
    everything = np.arange(len(corpus.labels))
    c_value, scale = choose_hyperparameters(corpus, everything)
    model, columns = fit_one(corpus, everything, c_value, scale)
    logits = out_of_fold_logits(corpus, c_value, scale)
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(logits.reshape(-1, 1), corpus.labels)
    slope, offset = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    calibrated = 1 / (1 + np.exp(-(slope * logits + offset)))
    brier, ece = reliability(calibrated, corpus.labels)
    raw_brier, raw_ece = reliability(1 / (1 + np.exp(-logits)), corpus.labels)
    evaluation["calibration"] = {"brier": round(brier, 4), "ece": round(ece, 4),
                                 "uncalibrated_brier": round(raw_brier, 4), "uncalibrated_ece": round(raw_ece, 4)}
    from analytics.scoring.politeness_model import shared_encoder

    encoder = shared_encoder()
    n_strategies = len(corpus.strategy_labels)
    coefficients = model.coef_[0]
    strategy_weights = {label: round(float(coefficients[i]) * scale, 4)
                        for i, label in enumerate(corpus.strategy_labels)}
    # Every column is kept (its idf enters the turn's norm); the runtime adds weight * idf / norm.
    lexical = {encoder.decode(code): [round(float(weight * idf), 4), round(float(idf), 3)]
               for code, weight, idf in zip(columns.codes, coefficients[n_strategies:], columns.idf, strict=True)}
    return {
        "model": "logistic regression on log(1 + strategy counts) and closed-vocabulary n-grams (tf-idf, "
                 "l2-normalised), Platt-calibrated",
        "trained_on": f"Stanford Politeness Corpus, Wikipedia requests, top vs bottom quartile "
                      f"(n={len(corpus.labels)})",
        "hyperparameters": {"C": c_value, "strategy_scale": scale, "min_df": MIN_DF},
        "strategy_transform": "log1p",
        "evaluation": evaluation,
        "strategy_features": list(corpus.strategy_labels),
        "strategy_weights": strategy_weights,
        "intercept": round(float(model.intercept_[0]), 4),
        "calibration": {"slope": round(slope, 4), "offset": round(offset, 4)},
        "lexical_weights": dict(sorted(lexical.items())),
    }


def to_json(fitted: dict) -> str:
    """Readable and diff-friendly: everything indented, except one line per lexical n-gram."""
    lexical = fitted.pop("lexical_weights")
    head = json.dumps(fitted, indent=1, ensure_ascii=False)[:-2]
    lines = [f" {json.dumps(ngram, ensure_ascii=False)}: {json.dumps(pair)}" for ngram, pair in lexical.items()]
    fitted["lexical_weights"] = lexical
    return head + ',\n "lexical_weights": {\n' + ",\n".join(lines) + "\n }\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="wikipedia.annotated.csv")
    parser.add_argument("--write", action="store_true", help=f"write the fitted model to {OUTPUT}")
    parser.add_argument("--baselines", action="store_true", help="also report ablations and bag-of-words")
    parser.add_argument("--repeats", type=int, default=1, help="repeat the 10-fold CV with other shuffles")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: {args.data} not found (the corpus lives in ../shared/data/politeness/)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    texts, labels = quartile_task(*read_requests(args.data))
    corpus = featurize(texts, labels)
    print(f"{len(labels)} requests ({int(labels.sum())} polite, {int(len(labels) - labels.sum())} impolite)")
    evaluation: dict = {"protocol": "top vs bottom quartile of Normalized Score, 10-fold CV, nested for "
                                    "hyper-parameters and n-gram columns"}
    runs = [nested_cv(corpus, seed=SEED + 10 * repeat) for repeat in range(args.repeats)]
    scores = runs[0]
    evaluation["accuracy"] = round(float(np.mean(scores)), 4)
    evaluation["accuracy_std_over_folds"] = round(float(np.std(scores)), 4)
    print(f"accuracy (10-fold nested CV): {np.mean(scores):.4f} (folds: min {min(scores):.3f}, "
          f"max {max(scores):.3f}, std {np.std(scores):.3f})")
    if args.repeats > 1:
        means = [float(np.mean(run)) for run in runs]
        evaluation["accuracy_repeats"] = [round(mean, 4) for mean in means]
        print(f"repeated {args.repeats}x with other shuffles: mean {np.mean(means):.4f}, "
              f"range {min(means):.4f}-{max(means):.4f}")
    if args.baselines:
        strategies_only = float(np.mean(nested_cv(corpus, use_lexical=False)))
        lexical_only = float(np.mean(nested_cv(corpus, use_strategies=False)))
        bow = bag_of_words_baseline(corpus)
        evaluation.update(strategies_only=round(strategies_only, 4), lexical_only=round(lexical_only, 4),
                          bag_of_words_unigrams=round(bow, 4))
        print(f"strategies only: {strategies_only:.4f}; lexical n-grams only: {lexical_only:.4f}; "
              f"bag-of-words unigram LR: {bow:.4f}")
    if args.write:
        fitted = final_model(corpus, evaluation)
        OUTPUT.write_text(to_json(fitted), encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(REPO)} ({len(fitted['lexical_weights'])} n-gram weights; "
              f"calibration {fitted['evaluation']['calibration']})")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
