"""bot/nlu/minilm.py: the numpy all-MiniLM-L6-v2 encoder, checked against a float64 slow path of our own.

Runs tests/bot/minilm_check.py in the Rasa virtualenv (where safetensors, tokenizers and the packaged
model are installed), with sockets disabled and HF_HUB_OFFLINE=1: nothing may be fetched.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.bot.conftest import REPO_ROOT, rasa_env, require_rasa

pytestmark = pytest.mark.rasa

# The sentence embedding of "My Aura Speaker will not turn on." (first 6 of 384 values), computed once
# with minilm_check.slow_reference (float64, one head and one position at a time): pins the weights and the
# tokenizer as well as the arithmetic.
REFERENCE_FIRST_DIMS = [0.01745, -0.0801, 0.01722, -0.022836, -0.073796, -0.032856]


@pytest.fixture(scope="module")
def findings() -> dict:
    require_rasa()
    env = {**rasa_env(), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))}
    result = subprocess.run([str(REPO_ROOT / ".venv-rasa" / "bin" / "python"), "tests/bot/minilm_check.py"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_forward_pass_matches_the_float64_reference(findings):
    assert findings["max_diff_reference"] < 1e-5, findings["max_diff_reference"]
    assert findings["first_dims"] == pytest.approx(REFERENCE_FIRST_DIMS, abs=2e-6)
    assert findings["dtype"] == "float32"
    assert all(abs(norm - 1.0) < 1e-5 for norm in findings["norms"])


def test_padding_is_masked(findings):
    """Encoded in one padded batch or alone: the same vectors (the attention mask and the pooling)."""
    assert findings["max_diff_batched_vs_single"] < 1e-4


def test_tokenizer_on_tricky_text(findings):
    tokens = findings["tokens"]
    assert tokens["empty"] == ["[CLS]", "[SEP]"]  # and the shipped tokenizer.json's 128-piece padding is off
    assert tokens["accents"] == ["[CLS]", "cafe", "naive", "unicode", "[SEP]"]  # lower case, accents stripped
    assert tokens["emoji"] == ["[CLS]", "my", "speaker", "[UNK]", "is", "dead", "[SEP]"]
    assert tokens["greek"][1:4] == ["α", "##β", "##γ"] and tokens["greek"][-1] == "[SEP]"
    assert tokens["long_word"] == ["[CLS]", "[UNK]", "[SEP]"]  # BERT gives up on words over 100 characters
    assert tokens["punctuation"] == ["[CLS]", "e", "##40", "?", "!", ".", ".", ".", "wi", "##fi", "-", "pairing",
                                     "[SEP]"]
    assert findings["offsets_accents"] == [[0, 0], [0, 4], [5, 10], [11, 18], [0, 0]]  # spans in the original
    assert findings["long_text_pieces"] == 256 and findings["long_text_last"] == "[SEP]"
    assert findings["empty_shape"] == [2, 384] and findings["empty_is_finite"]


def test_paraphrases_close_unrelated_far(findings):
    cosines = findings["cosines"]
    assert cosines["paraphrase_power"] > 0.7 and cosines["paraphrase_pairing"] > 0.7, cosines
    assert cosines["unrelated_1"] < 0.3 and cosines["unrelated_2"] < 0.3, cosines


def test_offline_light_and_loaded_once(findings):
    assert findings["imported"] == []  # no Rasa, TensorFlow, torch or hub client behind the encoder
    assert findings["same_object_on_second_load"] is True
    assert findings["median_ms"] < 250, findings["median_ms"]  # ~15 ms on an idle core
