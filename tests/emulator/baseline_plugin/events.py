"""EventBridge operations moto 5.2.5 lacks.

* TestEventPattern (moto's handler was a stub returning nothing): evaluated with moto's own
  event-pattern matcher, the one its rules use to route PutEvents, after the same pattern
  validation PutRule applies. The event must be a full event envelope (``source``,
  ``detail-type``, ``detail`` ...), as the EventBridge API reference requires.
"""
from __future__ import annotations

import json

from moto.events.models import EventPattern, EventPatternParser
from moto.events.responses import EventsHandler

from .validation import format_problems, validate_request

# not a pytest test despite the name (moto's handler method is called test_event_pattern)
__test__ = False


def test_event_pattern(self: EventsHandler):  # type: ignore[no-untyped-def]
    params = json.loads(self.body or "{}")
    problems = validate_request("events", "TestEventPattern", params)
    if problems:
        return self.error("ValidationException", format_problems(problems))
    pattern = EventPattern(params["EventPattern"], EventPatternParser(params["EventPattern"]).parse())
    try:
        event = json.loads(params["Event"])
    except json.JSONDecodeError:
        return self.error("ValidationException", "Event is not valid JSON")
    return json.dumps({"Result": bool(pattern.matches_event(event))}), self.response_headers


def install() -> None:
    EventsHandler.test_event_pattern = test_event_pattern  # type: ignore[method-assign]
