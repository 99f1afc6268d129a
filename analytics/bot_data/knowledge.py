"""Load and check the support knowledge in ``bot/knowledge/*.yml`` (catalog, policies, guides, registry).

Support leads edit those files without touching code, so every mistake is reported as a ``KnowledgeError``
naming the file and the entry. The loaded ``Knowledge`` is cached for the process (``get_knowledge``);
tests and a reload after an edit call ``reset_knowledge_cache``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

KNOWLEDGE_DIR_ENV = "CXQA_KNOWLEDGE_DIR"
DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "bot" / "knowledge"
# The issues every guide file must have (each has its own intent); troubleshooting.yml may add more.
CORE_ISSUE_TYPES = ("power", "connectivity", "firmware", "battery", "error_code")


class KnowledgeError(ValueError):
    """A knowledge file is missing, not YAML, or has a wrong or inconsistent entry."""


@dataclass(frozen=True)
class ProductLine:
    id: str
    name: str
    category: str
    serial_prefix: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class WarrantyPolicy:
    product_id: str
    warranty_months: int
    covered: str
    not_covered: str


@dataclass(frozen=True)
class ReferenceFormat:
    pattern: re.Pattern[str]
    hint: str
    example: str | None = None


@dataclass(frozen=True)
class RegistryEntry:
    serial_number: str
    order_number: str | None
    product_id: str
    purchase_date: date
    extended_warranty_months: int
    customer_email: str | None


@dataclass(frozen=True)
class HandoffSettings:
    expected_response: str
    fallback_contact: str
    summary_messages: int
    summary_message_chars: int
    reasons: dict[str, str]
    default_reason: str


@dataclass(frozen=True)
class RetrievalThresholds:
    """When a described problem matches a guide (min_score) and when two guides are too close to pick."""

    min_score: float
    ambiguity_margin: float


@dataclass(frozen=True)
class SurveySettings:
    skip_answers: frozenset[str]
    max_reasks: int
    max_comment_chars: int
    closing_responses: dict[str, str | None]
    default_closing_response: str | None
    step_aside: dict[str, str]  # intent of a clear new request -> the action that serves it
    step_aside_min_confidence: float
    decline_min_confidence: float


@dataclass(frozen=True)
class Knowledge:
    brand: str
    products: dict[str, ProductLine]
    policies: dict[str, WarrantyPolicy]
    general_policies: dict[str, str]
    formats: dict[str, ReferenceFormat]
    issue_titles: dict[str, str]
    guides: dict[str, dict[str, tuple[str, ...]]]  # issue -> product id or "default" -> steps
    symptoms: dict[str, tuple[str, ...]]  # issue -> how customers describe it (for the article retrieval)
    issue_products: dict[str, frozenset[str]]  # issue -> the product lines it exists for (absent: all)
    retrieval: dict[str, RetrievalThresholds]  # "embedding" | "lexical" -> thresholds
    error_codes: dict[str, dict[str, str]]  # product id -> CODE -> explanation
    registry: tuple[RegistryEntry, ...]
    touchpoint_default: str
    touchpoint_by_intent: dict[str, str]
    intent_descriptions: dict[str, str]
    handoff: HandoffSettings
    survey: SurveySettings

    def guide(self, issue: str, product_id: str | None) -> tuple[str, ...]:
        """The steps for ``issue`` on this product line, else the issue's default steps."""
        by_product = self.guides.get(issue, {})
        if product_id and product_id in by_product:
            return by_product[product_id]
        return by_product.get("default", ())

    def issue_applies(self, issue: str, product_id: str | None) -> bool:
        """Whether ``issue`` exists on this product line (a keyboard problem on earbuds does not)."""
        only = self.issue_products.get(issue)
        return only is None or product_id is None or product_id in only


def knowledge_dir() -> Path:
    return Path(os.environ.get(KNOWLEDGE_DIR_ENV) or DEFAULT_KNOWLEDGE_DIR)


def _read(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: expected a mapping at the top level")
    return data


def _require(data: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if key not in data or data[key] is None:
        raise KnowledgeError(f"{where}: missing '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise KnowledgeError(f"{where}: '{key}' must be a {expected}, got {value!r}")
    return value


def _products(data: dict[str, Any]) -> dict[str, ProductLine]:
    products: dict[str, ProductLine] = {}
    for index, item in enumerate(_require(data, "products", "products.yml", list)):
        where = f"products.yml: products[{index}]"
        if not isinstance(item, dict):
            raise KnowledgeError(f"{where}: expected a mapping")
        product_id = _require(item, "id", where)
        if product_id in products:
            raise KnowledgeError(f"{where}: duplicate id '{product_id}'")
        prefix = _require(item, "serial_prefix", where)
        if not re.fullmatch(r"[A-Z]{2}", prefix):
            raise KnowledgeError(f"{where}: serial_prefix must be two capital letters, got {prefix!r}")
        aliases = tuple(str(alias).lower().strip() for alias in item.get("aliases") or ())
        products[product_id] = ProductLine(
            id=product_id, name=_require(item, "name", where), category=_require(item, "category", where),
            serial_prefix=prefix, aliases=aliases,
        )
    return products


def _policies(data: dict[str, Any], products: dict[str, ProductLine]) -> dict[str, WarrantyPolicy]:
    lines = _require(data, "product_lines", "warranty_policies.yml", dict)
    policies: dict[str, WarrantyPolicy] = {}
    for product_id, item in lines.items():
        where = f"warranty_policies.yml: product_lines.{product_id}"
        if product_id not in products:
            raise KnowledgeError(f"{where}: unknown product id (not in products.yml)")
        months = _require(item, "warranty_months", where, int)
        if months <= 0:
            raise KnowledgeError(f"{where}: warranty_months must be positive")
        policies[product_id] = WarrantyPolicy(
            product_id, months, _require(item, "covered", where), _require(item, "not_covered", where)
        )
    missing = sorted(set(products) - set(policies))
    if missing:
        raise KnowledgeError(f"warranty_policies.yml: no product_lines entry for {', '.join(missing)}")
    return policies


def _formats(data: dict[str, Any]) -> dict[str, ReferenceFormat]:
    formats: dict[str, ReferenceFormat] = {}
    for name in ("serial_number", "order_number", "email"):
        where = f"warranty_policies.yml: reference_formats.{name}"
        item = _require(_require(data, "reference_formats", "warranty_policies.yml", dict), name, where, dict)
        try:
            pattern = re.compile(_require(item, "pattern", where))
        except re.error as exc:
            raise KnowledgeError(f"{where}: pattern is not a valid regular expression: {exc}") from None
        formats[name] = ReferenceFormat(pattern, _require(item, "hint", where), item.get("example"))
    return formats


def _guides(data: dict[str, Any], products: dict[str, ProductLine]) -> dict[str, dict[str, tuple[str, ...]]]:
    guides: dict[str, dict[str, tuple[str, ...]]] = {}
    raw = _require(data, "guides", "troubleshooting.yml", dict)
    for issue in CORE_ISSUE_TYPES:
        _require(raw, issue, "troubleshooting.yml: guides", dict)
    for issue, item in raw.items():
        where = f"troubleshooting.yml: guides.{issue}"
        if not isinstance(item, dict):
            raise KnowledgeError(f"{where}: expected a mapping with default steps")
        by_product = {"default": tuple(_require(item, "default", where, list))}
        for product_id, steps in (item.get("products") or {}).items():
            if product_id not in products:
                raise KnowledgeError(f"{where}.products.{product_id}: unknown product id")
            if not isinstance(steps, list) or not steps:
                raise KnowledgeError(f"{where}.products.{product_id}: expected a non-empty list of steps")
            by_product[product_id] = tuple(str(step) for step in steps)
        guides[str(issue)] = by_product
    return guides


def _retrieval(data: dict[str, Any]) -> dict[str, RetrievalThresholds]:
    where = "troubleshooting.yml: retrieval"
    raw = _require(data, "retrieval", "troubleshooting.yml", dict)
    found = {}
    for source in ("embedding", "lexical"):
        item = _require(raw, source, where, dict)
        found[source] = RetrievalThresholds(float(_require(item, "min_score", f"{where}.{source}", (int, float))),
                                            float(_require(item, "ambiguity_margin", f"{where}.{source}",
                                                           (int, float))))
    return found


def _symptoms(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    found = {}
    for issue, item in data["guides"].items():
        symptoms = item.get("symptoms") or []
        if not isinstance(symptoms, list) or not all(isinstance(text, str) and text.strip() for text in symptoms):
            raise KnowledgeError(f"troubleshooting.yml: guides.{issue}.symptoms: expected a list of descriptions")
        found[str(issue)] = tuple(symptoms)
    return found


def _issue_products(data: dict[str, Any], products: dict[str, ProductLine]) -> dict[str, frozenset[str]]:
    found = {}
    for issue, item in data["guides"].items():
        if "only_for" not in item:
            continue
        only = item["only_for"]
        unknown = [product_id for product_id in only or [] if product_id not in products]
        if not isinstance(only, list) or not only or unknown:
            raise KnowledgeError(f"troubleshooting.yml: guides.{issue}.only_for: expected product ids, got {only!r}")
        found[str(issue)] = frozenset(only)
    return found


def _error_codes(data: dict[str, Any], products: dict[str, ProductLine]) -> dict[str, dict[str, str]]:
    codes: dict[str, dict[str, str]] = {}
    for product_id, items in (data.get("error_codes") or {}).items():
        if product_id not in products:
            raise KnowledgeError(f"troubleshooting.yml: error_codes.{product_id}: unknown product id")
        codes[product_id] = {str(code).upper(): str(text) for code, text in (items or {}).items()}
    return codes


def _registry(data: dict[str, Any], products: dict[str, ProductLine], serial: ReferenceFormat,
              order: ReferenceFormat) -> tuple[RegistryEntry, ...]:
    entries: list[RegistryEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(_require(data, "registrations", "registry.yml", list)):
        where = f"registry.yml: registrations[{index}]"
        serial_number = _require(item, "serial_number", where)
        if not serial.pattern.fullmatch(serial_number):
            raise KnowledgeError(f"{where}: serial_number {serial_number!r} does not match the serial format")
        if serial_number in seen:
            raise KnowledgeError(f"{where}: duplicate serial_number {serial_number}")
        seen.add(serial_number)
        product_id = _require(item, "product", where)
        if product_id not in products:
            raise KnowledgeError(f"{where}: unknown product '{product_id}'")
        if not serial_number.startswith(products[product_id].serial_prefix):
            raise KnowledgeError(f"{where}: {serial_number} must start with {products[product_id].serial_prefix}")
        order_number = item.get("order_number")
        if order_number is not None and not order.pattern.fullmatch(str(order_number)):
            raise KnowledgeError(f"{where}: order_number {order_number!r} does not match the order format")
        entries.append(RegistryEntry(
            serial_number=serial_number, order_number=order_number, product_id=product_id,
            purchase_date=_require(item, "purchase_date", where, date),
            extended_warranty_months=int(item.get("extended_warranty_months") or 0),
            customer_email=item.get("customer_email"),
        ))
    return tuple(entries)


def _touchpoints(data: dict[str, Any]) -> tuple[str, dict[str, str]]:
    by_intent: dict[str, str] = {}
    for touchpoint, intents in _require(data, "touchpoints", "touchpoints.yml", dict).items():
        for intent in intents or ():
            if intent in by_intent:
                raise KnowledgeError(f"touchpoints.yml: intent '{intent}' is listed under two touchpoints")
            by_intent[str(intent)] = str(touchpoint)
    return str(data.get("default") or "general"), by_intent


def _handoff(data: dict[str, Any]) -> HandoffSettings:
    where = "handoff.yml"
    return HandoffSettings(
        expected_response=_require(data, "expected_response", where),
        fallback_contact=_require(data, "fallback_contact", where),
        summary_messages=_require(data, "summary_messages", where, int),
        summary_message_chars=_require(data, "summary_message_chars", where, int),
        reasons={str(k): str(v) for k, v in (data.get("reasons") or {}).items()},
        default_reason=str(data.get("default_reason") or "customer_request"),
    )


def _survey(data: dict[str, Any]) -> SurveySettings:
    where = "survey.yml"
    closing = data.get("closing_responses") or {}
    skip_answers = _require(data, "skip_answers", where, list)
    if not all(isinstance(answer, str) for answer in skip_answers):
        raise KnowledgeError(f"{where}: skip_answers must all be quoted text (YAML reads a bare no as false)")
    return SurveySettings(
        skip_answers=frozenset(answer.lower().strip() for answer in skip_answers),
        max_reasks=_require(data, "max_reasks", where, int),
        max_comment_chars=_require(data, "max_comment_chars", where, int),
        closing_responses={str(k): (str(v) if v else None) for k, v in closing.items()},
        default_closing_response=data.get("default_closing_response"),
        step_aside={str(k): str(v) for k, v in (data.get("step_aside") or {}).items()},
        step_aside_min_confidence=float(data.get("step_aside_min_confidence", 1.0)),
        decline_min_confidence=float(data.get("decline_min_confidence", 0.0)),
    )


def load_knowledge(directory: Path | None = None) -> Knowledge:
    """Read and cross-check every knowledge file in ``directory`` (default: ``knowledge_dir()``)."""
    directory = directory or knowledge_dir()
    catalog = _read(directory, "products.yml")
    products = _products(catalog)
    policy_data = _read(directory, "warranty_policies.yml")
    formats = _formats(policy_data)
    guide_data = _read(directory, "troubleshooting.yml")
    touchpoint_default, touchpoint_by_intent = _touchpoints(_read(directory, "touchpoints.yml"))
    return Knowledge(
        brand=str(catalog.get("brand") or ""),
        products=products,
        policies=_policies(policy_data, products),
        general_policies={str(k): str(v) for k, v in _require(policy_data, "general", "warranty_policies.yml",
                                                              dict).items()},
        formats=formats,
        issue_titles={str(k): str(v) for k, v in (guide_data.get("issue_titles") or {}).items()},
        guides=_guides(guide_data, products),
        symptoms=_symptoms(guide_data),
        issue_products=_issue_products(guide_data, products),
        retrieval=_retrieval(guide_data),
        error_codes=_error_codes(guide_data, products),
        registry=_registry(_read(directory, "registry.yml"), products, formats["serial_number"],
                           formats["order_number"]),
        touchpoint_default=touchpoint_default,
        touchpoint_by_intent=touchpoint_by_intent,
        intent_descriptions={str(k): str(v) for k, v in (_read(directory, "intents.yml").get("descriptions")
                                                          or {}).items()},
        handoff=_handoff(_read(directory, "handoff.yml")),
        survey=_survey(_read(directory, "survey.yml")),
    )


@lru_cache(maxsize=1)
def get_knowledge() -> Knowledge:
    """The knowledge of this process, loaded once."""
    return load_knowledge()


def reset_knowledge_cache() -> None:
    get_knowledge.cache_clear()
