"""Technical support: which problem and product, which error code, then the guide's steps and "did that work?".

A problem named by one of the technical intents has its guide at once (issue_type from the intent); one the
customer describes in other words (tech_other) goes to ``action_find_article``, which picks the guide that
fits, asks which of two when both fit, and hands over to a person when none does.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import slot_text
from actions.services.articles import AMBIGUOUS, FOUND, find_article
from actions.services.knowledge import get_knowledge, match_product

ERROR_CODE = re.compile(r"\b([A-Za-z])\s?-?\s?(\d{2,3})\b")
ARTICLE_RESULT_SLOT = "article_result"
# The clarifying question's buttons send this intent with the chosen issue as an entity.
CHOOSE_ISSUE_INTENT, ISSUE_CHOICE_ENTITY = "choose_issue", "issue_choice"


def parse_error_code(text: str | None) -> str | None:
    """An error code as shown on devices: a letter and two or three digits ("E07", "e 07", "E-21")."""
    match = ERROR_CODE.search(text or "")
    return f"{match.group(1).upper()}{match.group(2)}" if match else None


def product_buttons() -> list[dict[str, str]]:
    return [{"title": p.name, "payload": p.name} for p in get_knowledge().products.values()]


class ValidateTroubleshootForm(FormValidationAction):
    def name(self) -> str:
        return "validate_troubleshoot_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("issue_type") == "error_code":
            return domain_slots
        return [slot for slot in domain_slots if slot != "error_code"]

    def validate_product(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not typed by the customer
            return {"product": None}
        product = match_product(str(value))
        if product is None:
            dispatcher.utter_message(response="utter_product_hint", buttons=product_buttons())
            return {"product": None}
        return {"product": product.name}

    def validate_error_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not typed by the customer
            return {"error_code": None}
        code = parse_error_code(str(value))
        if code is None:
            dispatcher.utter_message(response="utter_error_code_hint")
            return {"error_code": None}
        return {"error_code": code}


class ActionFindArticle(Action):
    """Pick the guide for a problem described in the customer's words (or chosen from two by a button)."""

    def name(self) -> str:
        return "action_find_article"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        knowledge = get_knowledge()
        message = tracker.latest_message or {}
        product = match_product(slot_text(tracker, "product"))
        chosen = next(tracker.get_latest_entity_values(ISSUE_CHOICE_ENTITY), None)
        if isinstance(chosen, str) and chosen in knowledge.guides:
            issues: tuple[str, ...] = (chosen,)
            outcome = FOUND
        else:
            decision = find_article(str(message.get("text") or ""), message.get("cxqa_articles"), knowledge,
                                    product.id if product else None)
            outcome, issues = decision.outcome, decision.issues
        if outcome == FOUND:
            issue = issues[0]
            events: list[EventType] = [SlotSet("issue_type", issue), SlotSet(ARTICLE_RESULT_SLOT, FOUND)]
            only = knowledge.issue_products.get(issue)
            if product is None and only is not None and len(only) == 1:  # a leak can only be the Sweep
                events.append(SlotSet("product", knowledge.products[next(iter(only))].name))
            return events
        if outcome == AMBIGUOUS:
            buttons = [{"title": knowledge.issue_titles.get(issue, issue).removeprefix("the ").capitalize(),
                        "payload": f'/{CHOOSE_ISSUE_INTENT}{{"{ISSUE_CHOICE_ENTITY}": "{issue}"}}'}
                       for issue in issues]
            first, second = (knowledge.issue_titles.get(issue, issue) for issue in issues)
            dispatcher.utter_message(response="utter_ask_which_issue", first=first, second=second, buttons=buttons)
            return [SlotSet(ARTICLE_RESULT_SLOT, AMBIGUOUS)]
        dispatcher.utter_message(response="utter_no_article")
        return [SlotSet(ARTICLE_RESULT_SLOT, "none")]


class ActionTroubleshoot(Action):
    """Send the guide for the issue on this product line, step by step, and ask whether it worked."""

    def name(self) -> str:
        return "action_troubleshoot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        knowledge = get_knowledge()
        issue = tracker.get_slot("issue_type") or "power"
        product = match_product(slot_text(tracker, "product"))
        product_name = product.name if product else "device"
        meaning: str | None = None
        if issue == "error_code":
            code = parse_error_code(slot_text(tracker, "error_code"))
            meaning = knowledge.error_codes.get(product.id if product else "", {}).get(code or "")
            if meaning:
                dispatcher.utter_message(response="utter_error_code_explained", code=code, product=product_name,
                                         meaning=meaning)
            else:
                dispatcher.utter_message(response="utter_error_code_unknown", code=code or "that code",
                                         product=product_name)
        if meaning is None:
            steps = knowledge.guide(issue, product.id if product else None)
            numbered = "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))
            dispatcher.utter_message(response="utter_troubleshooting_steps", product=product_name,
                                     issue=knowledge.issue_titles.get(issue, issue), steps=numbered)
        dispatcher.utter_message(response="utter_ask_did_it_work")
        return [SlotSet("error_code", None)]  # a later error code is asked for afresh
