"""ActionServerGuardPolicy: reply "can't look that up right now" when a custom action could not run.

When the action server is down (or answers with an error) Rasa 3.6 logs the failure, records the action as
executed with no events, and carries on predicting: usually ``action_listen``, so the customer gets silence.
Every custom action and form of ours returns at least one event (a message or a slot), so a custom action
that was *predicted at runtime* (its ``ActionExecuted`` carries the predicting policy; story trackers in
training and ``rasa test`` carry none) and is the very last event failed. (A response action is followed
by its message, so the check skips messages only to recognise our own apology.) This policy then predicts
``utter_systems_unavailable``, which gives the customer contact details that need no action server, and
deactivates a form that could not run, so the bot does not ask again into the void.

This module runs inside Rasa's own virtualenv; nothing in the main code base imports it.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_TWO_STAGE_FALLBACK_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

# Above RulePolicy (6): when this policy speaks, the action server is gone and nothing else can help.
GUARD_PRIORITY = 7


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class ActionServerGuardPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": GUARD_PRIORITY, "response": "utter_systems_unavailable", "guarded_actions": None}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, **kwargs)
        self.response = str(config.get("response") or "utter_systems_unavailable")
        guarded = config.get("guarded_actions")
        self.guarded_actions = frozenset(guarded) if guarded else None

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn

    def _guarded(self, domain: Domain) -> frozenset[str]:
        if self.guarded_actions is not None:
            return self.guarded_actions
        custom = {name for name in domain.user_actions if not name.startswith("utter_")}
        return frozenset(custom | set(domain.form_names) | {ACTION_TWO_STAGE_FALLBACK_NAME})

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict[str, Any] | None = None, **kwargs: Any
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        events = list(tracker.events)
        while events and isinstance(events[-1], BotUttered):
            events.pop()
        last_event = events[-1] if events else None
        if not isinstance(last_event, ActionExecuted) or last_event.policy is None:
            return self._prediction(probabilities)
        if last_event.action_name == self.response:
            # After our apology, wait for the customer (and make sure nothing else re-runs the failed action).
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities, is_no_user_prediction=True)
        if len(events) != len(tracker.events) or last_event.action_name not in self._guarded(domain):
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(self.response)] = 1.0
        close_loop = [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)] if tracker.active_loop_name else []
        return self._prediction(probabilities, optional_events=close_loop, is_no_user_prediction=True)
