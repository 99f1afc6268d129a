"""Intent macro-F1 of the trained model on the held-out NLU set (tests/bot/nlu_heldout.yml).

    .venv/bin/python scripts/nlu_eval.py [--model models/cxqa.tar.gz] [--min-f1 0.90]

Runs ``rasa test nlu`` with the Rasa virtualenv, prints macro-F1, the weakest intents and every
misclassified utterance, and exits 1 when macro-F1 is below ``--min-f1``. The held-out utterances are never
used for training (a test in tests/bot checks that none of them appears in nlu_data/).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
HELDOUT = REPO_ROOT / "tests" / "bot" / "nlu_heldout.yml"
DEFAULT_MODEL = REPO_ROOT / "models" / "cxqa.tar.gz"
NOT_INTENTS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


@dataclass(frozen=True)
class NluResult:
    macro_f1: float
    support: int
    per_intent_f1: dict[str, float]
    errors: list[dict]


def evaluate(model: Path = DEFAULT_MODEL, heldout: Path = HELDOUT, out_dir: Path | None = None) -> NluResult:
    """Run ``rasa test nlu`` on ``heldout`` and read its intent report."""
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="cxqa-nlu-eval-"))
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}
    completed = subprocess.run(
        [str(RASA_BIN), "test", "nlu", "--nlu", str(heldout), "--model", str(model), "--out", str(out_dir)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    report_path = out_dir / "intent_report.json"
    if completed.returncode != 0 or not report_path.is_file():
        raise RuntimeError(f"rasa test nlu failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    report = json.loads(report_path.read_text())
    errors_path = out_dir / "intent_errors.json"
    errors = json.loads(errors_path.read_text()) if errors_path.is_file() else []
    per_intent = {name: row["f1-score"] for name, row in report.items()
                  if name not in NOT_INTENTS and isinstance(row, dict)}
    return NluResult(report["macro avg"]["f1-score"], int(report["macro avg"]["support"]), per_intent, errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--out", type=Path, default=None, help="keep Rasa's reports here")
    parser.add_argument("--min-f1", type=float, default=0.90)
    args = parser.parse_args(argv)
    if not args.model.is_file():
        print(f"no model at {args.model}: train it first (rasa train ... --fixed-model-name cxqa)", file=sys.stderr)
        return 2
    result = evaluate(args.model, args.heldout, args.out)
    print(f"intent macro-F1 on {result.support} held-out utterances: {result.macro_f1:.3f}")
    for name, f1 in sorted(result.per_intent_f1.items(), key=lambda item: item[1])[:5]:
        print(f"  weakest: {name:24s} F1 {f1:.3f}")
    for error in result.errors:
        predicted = error["intent_prediction"]
        print(f"  {error['intent']:>22s} -> {predicted['name']} ({predicted['confidence']:.2f}): {error['text']}")
    return 0 if result.macro_f1 >= args.min_f1 else 1


if __name__ == "__main__":
    sys.exit(main())
