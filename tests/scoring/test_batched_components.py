"""The batched, vectorised paths of the components give exactly what the plain per-text definitions give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.scoring.components import SPEAKER_KEY, STATE_KEY
from analytics.scoring.lexical import ATTRIBUTES, END, NUMBER, PUNCT, START, WORD
from analytics.scoring.politeness_model import shared_encoder
from analytics.scoring.turns import analyze_turn
from analytics.scoring.types import TurnInput

WORDS = ["Could", "you", "please", "send", "it", "?", "Thanks", ".", "I", "would", "2", "days", "!!", "sorry",
         "Hi", "\n", "perhaps", "kettle", "SN123456", "😀", "don't", "well", "Ünïcödé"]
text = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join))
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def reference_codes(doc) -> set[int]:
    """The definition, written plainly: each token as its vocabulary word or a placeholder, sentences framed
    ``<s> ... </s>``, every distinct uni-, bi- and trigram."""
    encoder = shared_encoder()
    vocabulary = set(encoder.symbols[:-5])
    symbols = [START]
    for token in doc:
        if token.is_sent_start and token.i:
            symbols += [END, START]
        if token.lower_ in vocabulary:
            symbols.append(token.lower_)
        else:
            symbols.append(NUMBER if token.like_num else PUNCT if token.is_punct else WORD)
    symbols.append(END)
    grams = {" ".join(symbols[i:i + n]) for n in (1, 2, 3) for i in range(len(symbols) - n + 1)}
    return {encoder.encode(gram) for gram in grams}


@SETTINGS
@given(texts=st.lists(text, min_size=1, max_size=6))
def test_batched_ngram_codes_equal_the_definition_for_every_text(nlp, texts):
    docs = list(nlp.pipe(texts))
    encoder = shared_encoder()
    columns = [doc.to_array(list(ATTRIBUTES)) if len(doc) else np.zeros((0, 4), dtype=np.uint64) for doc in docs]
    bounds, position = [], 0
    for doc in docs:
        bounds.append((position, position + len(doc)))
        position += len(doc)
    owners, codes = encoder.codes_by_turn(np.concatenate(columns), bounds)
    for number, doc in enumerate(docs):
        assert set(codes[owners == number].tolist()) == reference_codes(doc), doc.text
        assert encoder.codes(doc) == reference_codes(doc)


def test_an_empty_text_is_one_empty_sentence(nlp):
    encoder = shared_encoder()
    assert set(encoder.decode_all(encoder.codes(nlp("")))) == {START, END, f"{START} {END}"}


@SETTINGS
@given(texts=st.lists(text, min_size=1, max_size=8))
def test_politeness_of_a_batch_equals_politeness_of_each_text_alone(nlp, texts):
    alone = [nlp(value)._.cxqa_politeness for value in texts]
    batched = [doc._.cxqa_politeness for doc in nlp.pipe(texts, batch_size=3)]
    assert batched == pytest.approx(alone, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("sentence", "shouting"), [
    ("I am VERY angry", True),
    ("ICH BIN SEHR WÜTEND", True),  # not ASCII: found from the token arrays
    ("my serial is SN12 and it's OK", False),  # two capitals are an acronym, not shouting
    ("nothing loud here", False),
])
def test_caps_words_are_found_whatever_the_script(nlp, sentence, shouting):
    assert bool(nlp(sentence)._.cxqa_label_counts.get("SHOUTING")) is shouting


def test_analysis_takes_the_state_out_of_the_doc(nlp):
    """The state refers to its Doc: left in ``user_data`` it would keep every Doc alive until a full garbage
    collection, which made the scorer slower the more turns it held."""
    doc = nlp.make_doc("Sorry, could you send the receipt?")
    doc.user_data[SPEAKER_KEY] = "agent"
    doc = nlp(doc)
    analysis = analyze_turn(doc, TurnInput("agent", doc.text), 0)
    assert STATE_KEY not in doc.user_data
    assert {marker.label for marker in analysis.markers} >= {"APOLOGIZING", "COUNTERFACTUAL_MODAL"}
    assert analysis.politeness is not None and analysis.complaint is None


def test_a_scoring_process_freezes_the_pipeline_and_collects_less_often():
    """Process-wide settings, so checked in a process of its own; the collector stays off if it was off."""
    import subprocess
    import sys

    script = ("import gc\nfrom analytics.scoring.conversation import SCORING_GC_THRESHOLD, default_scorer, "
              "prepare_process_for_scoring\ndefault_scorer()\nprepare_process_for_scoring()\n"
              "assert gc.get_threshold()[0] == SCORING_GC_THRESHOLD, gc.get_threshold()\n"
              "assert gc.get_freeze_count() > 50_000, gc.get_freeze_count()\n"
              "gc.set_threshold(0)\nprepare_process_for_scoring()\nassert gc.get_threshold()[0] == 0\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
