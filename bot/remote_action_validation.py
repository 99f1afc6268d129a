"""Validate the action server's replies with one prepared JSON-schema validator instead of a new one per call.

Rasa 3.6 checks every reply of the action server (custom actions and form validations) with
``jsonschema.validate(reply, RemoteAction.action_response_format_spec())``. That function first checks the
*schema itself* against the JSON-schema meta-schema, then builds a new validator, on every call. The schema
is a constant, so this is pure overhead, and it is large: profiled with py-spy on our bot under load it was
43 % of the Rasa process's CPU (more than NLU and all policies together), ~20-60 ms per custom action on
the shared 2-core machine. ``install()`` replaces ``RemoteAction._validate_action_result`` with the same
check (the same schema, the same draft, the same "best" error raised, the same message appended) done by a
validator built once. Called by ``bot.tracker_store`` (which Rasa imports when it starts the server from
bot/endpoints.yml), so it applies to the running bot only; this module runs in Rasa's virtualenv.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_INSTALLED_FLAG = "_cxqa_prepared_validator"


@functools.lru_cache(maxsize=1)
def prepared_validator() -> Any:
    """The validator for Rasa's action-response schema, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for ``RemoteAction._validate_action_result`` (same errors, same message)."""
    error = best_match(prepared_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Patch Rasa's ``RemoteAction`` (idempotent)."""
    if getattr(RemoteAction, _INSTALLED_FLAG, False):
        return
    prepared_validator()
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, _INSTALLED_FLAG, True)


__all__ = ["ValidationError", "install", "prepared_validator", "validate_action_result"]
