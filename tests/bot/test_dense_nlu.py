"""bot/nlu/featurizer.py and bot/nlu/article_retriever.py with real Rasa components and a trained model.

The components run in the Rasa virtualenv (tests/bot/dense_nlu_check.py) with HF_HUB_OFFLINE=1 and
non-loopback sockets refused. The ranking is checked on symptom descriptions written for this test, against
a knowledge directory whose guides have ``symptoms:`` lists (the format bot/knowledge/troubleshooting.yml
is moving to) and against the project's own file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.bot.conftest import REPO_ROOT, rasa_env, require_rasa

pytestmark = pytest.mark.rasa

KNOWLEDGE = REPO_ROOT / "bot" / "knowledge"

# Guides with symptom descriptions (steps shortened: the retriever reads titles and symptoms only).
GUIDES = {
    "power": {
        "default": {"steps": ["Plug it in."], "symptoms": ["the device does not turn on"]},
        "products": {
            "aura-speaker": {"steps": ["Hold the action button."],
                             "symptoms": ["the speaker does not switch on", "the ring light stays off"]},
            "pulse-buds": ["Charge the case."],  # the old form: a list of steps, described by its title
        },
    },
    "connectivity": {
        "symptoms": ["it will not connect", "pairing fails"],
        "default": {"steps": ["Restart Bluetooth."]},
        "products": {
            "pulse-buds": {"steps": ["Forget the buds."],
                           "symptoms": ["the earbuds disconnect from the phone", "bluetooth audio cuts out"]},
            "vista-cam": {"steps": ["Use 2.4 GHz."], "symptoms": ["the camera cannot find the Wi-Fi network"]},
        },
    },
    "firmware": {"default": ["Check now."], "products": {
        "nimbus-router": {"steps": ["Do not unplug."], "symptoms": ["the router update is stuck or fails"]}}},
    "battery": {"default": ["Charge it."], "products": {
        "orbit-watch": {"steps": ["Dim the display."], "symptoms": ["the watch battery drains in a few hours"]},
        "pulse-buds": {"steps": ["Clean contacts."], "symptoms": ["the charging case does not charge"]}}},
}


def run_check(*args: str) -> dict:
    require_rasa()
    env = {**rasa_env(), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))}
    result = subprocess.run([str(REPO_ROOT / ".venv-rasa" / "bin" / "python"), "tests/bot/dense_nlu_check.py", *args],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def with_symptoms(tmp_path_factory) -> dict:
    directory = tmp_path_factory.mktemp("knowledge")
    shutil.copy(KNOWLEDGE / "products.yml", directory / "products.yml")
    titles = yaml.safe_load((KNOWLEDGE / "troubleshooting.yml").read_text())["issue_titles"]
    (directory / "troubleshooting.yml").write_text(yaml.safe_dump({"issue_titles": titles, "guides": GUIDES}))
    return run_check("components", str(directory))


def test_symptom_descriptions_rank_the_right_guide_first(with_symptoms):
    for text, item in with_symptoms["ranked"].items():
        got = item["got"]
        assert got[0]["article"] == item["expected"], (text, got)
        assert len(got) == 3 and got[0]["score"] >= got[1]["score"] >= got[2]["score"]
        assert set(got[0]) == {"article", "issue", "product", "score"}
        assert got[0]["article"] == f"{got[0]['issue']}/{got[0]['product']}"


def test_retriever_reuses_the_featurizer_vector_and_outputs_it(with_symptoms):
    for item in with_symptoms["ranked"].values():
        assert item["forward_passes_in_retriever"] == 0
        assert item["in_output"] is True


def test_old_list_guides_are_articles_too(with_symptoms):
    assert "power/pulse-buds" in with_symptoms["articles"] and "firmware/default" in with_symptoms["articles"]
    assert len(with_symptoms["articles"]) == 11


def test_features_one_row_per_token_and_one_sentence_row(with_symptoms):
    for tokens, sequence, sentence in with_symptoms["shapes"].values():
        assert sequence == [tokens, 384] and sentence == [1, 384]
    nonzero, rows = with_symptoms["long_rows_nonzero"]
    assert rows == 400 and nonzero == 254  # 256 pieces less [CLS] and [SEP]: the rest is past the cut


def test_project_knowledge_file_every_guide_is_an_article():
    """On bot/knowledge as it is: every guide is an article, and the product named wins its guides."""
    data = yaml.safe_load((KNOWLEDGE / "troubleshooting.yml").read_text())
    expected = {f"{issue}/{product}" for issue, item in data["guides"].items()
                for product in ["default", *(item.get("products") or {})]}
    found = run_check("components", str(KNOWLEDGE))
    assert set(found["articles"]) == expected
    assert found["index_seconds"] < 30
    for text, item in found["ranked"].items():
        product = item["expected"].split("/")[1]
        assert item["got"][0]["product"] == product, (text, item["got"])


def test_trained_model_puts_articles_in_the_tracker(trained_model: Path):
    """Rasa copies the output property into the parse data, the UserUttered event (also after a JSON
    round trip, as a tracker store does) and rasa_sdk's ``tracker.latest_message``."""
    found = run_check("model", str(trained_model))
    assert found["parse"] and found["parse"][0]["product"] == "pulse-buds", found
    assert found["latest_message"] == found["parse"] == found["restored"] == found["sdk"]
