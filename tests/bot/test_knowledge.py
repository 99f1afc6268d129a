"""The knowledge files: they load, cross-check, and fail with a clear message when a support lead errs."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from actions.services.knowledge import match_product
from actions.services.references import parse_email, parse_order_number, parse_reference, parse_serial_number
from actions.services.warranty import add_months
from analytics.bot_data.conversations import conversation_key
from analytics.bot_data.knowledge import DEFAULT_KNOWLEDGE_DIR, KnowledgeError, get_knowledge, load_knowledge
from analytics.bot_data.seed import seed_knowledge
from analytics.bot_data.touchpoints import touchpoint_for_intents
from analytics.storage.models import Product, Registration


def test_knowledge_files_load_and_cover_every_product_line():
    knowledge = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    assert set(knowledge.products) == set(knowledge.policies)
    for issue in ("power", "connectivity", "firmware", "battery", "error_code"):
        for product_id in knowledge.products:
            assert knowledge.guide(issue, product_id), f"no steps for {issue} on {product_id}"
    assert knowledge.touchpoint_by_intent["check_warranty_status"] == "warranty"
    assert knowledge.touchpoint_by_intent["tech_power"] == "technical"
    assert "no" in knowledge.survey.skip_answers  # quoted in YAML, so not read as false


def test_demo_registry_has_units_clearly_in_and_out_of_warranty():
    knowledge = get_knowledge()
    ends = [add_months(entry.purchase_date, knowledge.policies[entry.product_id].warranty_months
                       + entry.extended_warranty_months) for entry in knowledge.registry]
    assert sum(end > date(2027, 12, 31) for end in ends) >= 4
    assert sum(end < date(2026, 1, 1) for end in ends) >= 4
    assert all(end > date(2027, 12, 31) or end < date(2026, 1, 1) for end in ends)


@pytest.fixture
def knowledge_copy(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("registry.yml", "product: aura-speaker,", "product: toaster,", "unknown product 'toaster'"),
    ("registry.yml", "serial_number: AS26000101", "serial_number: AS2600", "does not match the serial format"),
    ("warranty_policies.yml", "warranty_months: 36", "warranty_months: thirty-six", "must be a int"),
    ("products.yml", "serial_prefix: PB", "serial_prefix: P", "two capital letters"),
    ("survey.yml", '"no thanks", ', "no, ", "quoted text"),
    ("troubleshooting.yml", "      pulse-buds:\n        - Put both", "      pulse-pods:\n        - Put both",
     "guides.power.products.pulse-pods: unknown product id"),
])
def test_a_broken_knowledge_file_is_reported_with_file_and_entry(knowledge_copy, file, old, new, message):
    path = knowledge_copy / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge_copy)
    assert file in str(raised.value)
    assert message in str(raised.value)


def test_invalid_yaml_is_reported(knowledge_copy):
    (knowledge_copy / "handoff.yml").write_text("expected_response: [unclosed\n")
    with pytest.raises(KnowledgeError, match="handoff.yml: not valid YAML"):
        load_knowledge(knowledge_copy)


@pytest.mark.parametrize(("text", "product_id"), [
    ("Aura Speaker", "aura-speaker"), ("my aura", "aura-speaker"), ("the Pulse Buds!", "pulse-buds"),
    ("pulse-buds", "pulse-buds"), ("earbuds", "pulse-buds"), ("the wifi router", "nimbus-router"),
    ("smart watch", "orbit-watch"), ("security camera", "vista-cam"),
    ("blender", None), ("the router and the watch", None), ("", None), (None, None), ("🙂", None),
])
def test_match_product(text, product_id):
    product = match_product(text)
    assert (product.id if product else None) == product_id


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("AS26000101", "serial_number", "AS26000101"),
    ("my serial is as 2600-0101", "serial_number", "AS26000101"),
    ("pb26000233.", "serial_number", "PB26000233"),
    ("ORD-260101", "order_number", "ORD-260101"),
    ("ord 260101", "order_number", "ORD-260101"),
    ("order #ORD260101", "order_number", "ORD-260101"),
])
def test_references_are_recognised_loosely(text, kind, value):
    reference = parse_reference(text)
    assert reference is not None and (reference.kind, reference.value) == (kind, value)


@pytest.mark.parametrize("text", ["AS2600010", "ASX26000101", "260101", "ORD-2601", "hello", "", "😀😀", "x" * 10_000])
def test_malformed_references_are_rejected(text):
    assert parse_reference(text) is None


def test_serial_and_order_parsers_are_separate():
    assert parse_serial_number("ORD-260101") is None
    assert parse_order_number("AS26000101") is None


@pytest.mark.parametrize(("text", "email"), [
    ("mia@example.com", "mia@example.com"), ("it's Mia.J@Example.COM thanks", "Mia.J@example.com"),
    ("mia@example", None), ("not an email", None), ("@example.com", None),
])
def test_parse_email(text, email):
    assert parse_email(text) == email


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 6, 15), 24, date(2028, 6, 15)),
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2023, 11, 30), 3, date(2024, 2, 29)),
    (date(2026, 12, 1), 12, date(2027, 12, 1)),
])
def test_add_months(start, months, end):
    assert add_months(start, months) == end


@pytest.mark.parametrize(("intents", "touchpoint"), [
    (["greet", "check_warranty_status", "affirm"], "warranty"),
    (["tech_power", "tech_battery", "start_claim"], "technical"),
    (["tech_power", "start_claim"], "technical"),  # a tie goes to the topic raised first
    (["start_claim", "tech_power"], "warranty"),
    (["greet", "goodbye", None], "general"),
    ([], "general"),
])
def test_touchpoint_for_intents(intents, touchpoint):
    assert touchpoint_for_intents(intents) == touchpoint


def test_conversation_key_is_sender_and_session_start_in_ms():
    assert conversation_key("abc", 1795000000.1234) == "abc:1795000000123"
    assert conversation_key("abc", None) == "abc:0"
    assert len(conversation_key("x" * 400, 1.0)) <= 255


def test_seeding_is_idempotent(session_factory):
    for _ in range(2):
        with session_factory.begin() as session:
            result = seed_knowledge(session, get_knowledge())
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == result.products == 7
        assert session.scalar(select(func.count()).select_from(Registration)) == result.registrations == 13
        unit = session.get(Registration, "PB26000233")
        assert (unit.product_id, unit.purchase_date, unit.extended_warranty_months) == ("pulse-buds",
                                                                                       date(2026, 9, 1), 24)


def test_seed_knowledge_command(db_url):
    from analytics.cli import app

    result = CliRunner().invoke(app, ["seed-knowledge", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    assert "Seeded 7 product lines and 13 registrations" in result.output


def test_seed_knowledge_command_reports_bad_knowledge_without_traceback(db_url, knowledge_copy):
    (knowledge_copy / "registry.yml").write_text("registrations: [{serial_number: nope}]\n")
    from analytics.cli import app

    result = CliRunner().invoke(app, ["seed-knowledge", "--database-url", db_url,
                                      "--knowledge-dir", str(knowledge_copy)])
    assert result.exit_code == 2
    assert "registry.yml" in result.output and "Traceback" not in result.output


def test_every_guide_has_symptoms_and_known_product_lines():
    """The article retrieval reads each guide's symptoms; a guide limited to some product lines names real ones."""
    knowledge = load_knowledge()
    assert set(knowledge.guides) >= {"power", "connectivity", "firmware", "battery", "error_code", "noise", "leak",
                                     "overheating", "audio", "microphone", "docking", "keyboard", "screen"}
    assert all(len(knowledge.symptoms[issue]) >= 2 for issue in knowledge.guides)
    assert all(issue in knowledge.issue_titles for issue in knowledge.guides)
    assert knowledge.issue_applies("keyboard", "slate-laptop") and not knowledge.issue_applies("keyboard", "pulse-buds")
    assert knowledge.issue_applies("noise", "pulse-buds") and knowledge.issue_applies("leak", None)


def test_an_unknown_product_in_only_for_is_reported(tmp_path):
    for path in DEFAULT_KNOWLEDGE_DIR.glob("*.yml"):
        (tmp_path / path.name).write_text(path.read_text())
    guides = tmp_path / "troubleshooting.yml"
    guides.write_text(guides.read_text().replace("only_for: [sweep-vacuum]", "only_for: [toaster]", 1))
    with pytest.raises(KnowledgeError, match=r"guides\.leak\.only_for"):
        load_knowledge(tmp_path)
