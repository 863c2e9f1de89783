"""Injected faults, per access key, for crash-safety tests and the latency benchmark.

``PUT /_baseline/faults/<access key>`` with ``{"delay_ms": 50, "hang_after": 7}``:
every request signed with that access key (``*``: every request) is delayed by ``delay_ms``;
request number ``hang_after + 1`` and later ones block until the fault is deleted (the test
kills the client process meanwhile: a SIGKILL at an exact point of an apply).
``{"lose_answer": true}`` makes each write operation (by name: Create*, Put*, Delete*, Authorize*,
...) lose its answer once: the request is executed, then answered with HTTP 503 as if the
response had been lost on the way back, so the client's retry meets the effect of the first
attempt (AlreadyExists, Duplicate, NotFound). Each operation name loses one answer; the names
are listed in ``"lost"``.
``GET /_baseline/faults/<key>`` returns ``{"count": n, "tripped": bool, "lost": [...]}``;
``DELETE /_baseline/faults/<key>`` releases blocked requests (they get HTTP 503) and removes it.
"""
from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Callable

from .rest import wsgi_json

_LOCK = threading.Lock()
_FAULTS: dict[str, dict[str, Any]] = {}
ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
PATH = re.compile(r"^/_baseline/faults/([^/]+)/?$")


def _admin(environ, start_response, key: str):
    method = environ.get("REQUEST_METHOD")
    if method == "PUT":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
        with _LOCK:
            _FAULTS[key] = {
                "delay_ms": float(spec.get("delay_ms") or 0),
                "hang_after": spec.get("hang_after"),
                "count": 0,
                "tripped": False,
                "release": threading.Event(),
                "lose_answer": bool(spec.get("lose_answer")),
                "lost": [],
            }
        return wsgi_json(start_response, "200 OK", {"key": key})
    with _LOCK:
        fault = _FAULTS.get(key)
        if method == "DELETE" and fault:
            del _FAULTS[key]
    if fault is None:
        return wsgi_json(start_response, "404 Not Found", {"message": f"no fault for {key}"})
    if method == "DELETE":
        fault["release"].set()
    answer = {"count": fault["count"], "tripped": fault["tripped"], "lost": list(fault["lost"])}
    return wsgi_json(start_response, "200 OK", answer)


# Operation-name prefixes of writes (every mutating API call the tool makes starts with one).
WRITE_PREFIXES = (
    "Create", "Put", "Delete", "Update", "Modify", "Authorize", "Revoke", "Attach", "Detach",
    "Tag", "Untag", "Schedule", "Cancel", "Enable", "Disable", "Set", "Subscribe", "Unsubscribe",
    "Associate", "Disassociate", "Add", "Remove", "Replace", "Start", "Stop",
)


def _loses_answer(fault: dict[str, Any], operation: str | None) -> bool:
    if not fault.get("lose_answer") or not operation or not operation.startswith(WRITE_PREFIXES):
        return False
    with _LOCK:
        if operation in fault["lost"]:
            return False
        fault["lost"].append(operation)
        return True


def wrap(app: Callable) -> Callable:
    def faulty_app(environ: dict, start_response: Callable):
        m = PATH.match(environ.get("PATH_INFO", ""))
        if m:
            return _admin(environ, start_response, m.group(1))
        if _FAULTS:
            k = ACCESS_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
            with _LOCK:
                fault = _FAULTS.get(k.group(1) if k else "") or _FAULTS.get("*")
                if fault:
                    fault["count"] += 1
                    n = fault["count"]
            if fault:
                if fault["delay_ms"]:
                    time.sleep(fault["delay_ms"] / 1000.0)
                hang_after = fault["hang_after"]
                if hang_after is not None and n > int(hang_after):
                    fault["tripped"] = True
                    fault["release"].wait(timeout=600)
                    return wsgi_json(start_response, "503 Service Unavailable", {"message": "fault injected"})
                if _loses_answer(fault, environ.get("baseline.operation")):
                    result = app(environ, lambda status, headers, exc_info=None: None)
                    for _ in result:  # run the request to its end, then drop the answer
                        pass
                    if hasattr(result, "close"):
                        result.close()
                    # an empty body, as a proxy that lost the answer would send: every protocol's
                    # client then classifies the error by its status code alone
                    start_response("503 Service Unavailable", [("Content-Length", "0")])
                    return [b""]
        return app(environ, start_response)

    return faulty_app
