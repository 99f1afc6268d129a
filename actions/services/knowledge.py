"""The support knowledge for actions: loaded once per process from ``bot/knowledge`` (see analytics.bot_data)."""

from __future__ import annotations

import re

from analytics.bot_data.knowledge import Knowledge, ProductLine, get_knowledge, reset_knowledge_cache

__all__ = ["Knowledge", "ProductLine", "get_knowledge", "match_product", "reset_knowledge_cache"]


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def match_product(text: str | None, knowledge: Knowledge | None = None) -> ProductLine | None:
    """The product line a customer means ("my aura", "the Pulse Buds", "pulse-buds"), or None.

    An exact id, name or alias wins; otherwise the longest alias found as whole words in the text. Two
    different products mentioned at once are ambiguous (None).
    """
    if not text:
        return None
    knowledge = knowledge or get_knowledge()
    wanted = _normalise(text)
    if not wanted:
        return None
    names: list[tuple[str, ProductLine]] = []
    for product in knowledge.products.values():
        for name in {product.id, product.name, *product.aliases}:
            names.append((_normalise(name), product))
    for name, product in names:
        if wanted == name:
            return product
    padded = f" {wanted} "
    found = {product.id: product for name, product in names if name and f" {name} " in padded}
    if len(found) == 1:
        return next(iter(found.values()))
    return None
