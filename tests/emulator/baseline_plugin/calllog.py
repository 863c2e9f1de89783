"""Call log: every request the emulator handles, for tests and benchmarks.

``GET /_baseline/calls`` returns ``{"calls": [{service, operation, method, path,
status, start, end}, ...]}`` (``start``/``end`` are epoch floats);
``DELETE /_baseline/calls`` clears the log.
"""
from __future__ import annotations

import functools
import io
import re
import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qs

from .rest import wsgi_json

_LOCK = threading.Lock()
_CALLS: list[dict[str, Any]] = []
MAX_CALLS = 100_000

CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d+/[^/]+/([^/]+)/aws4_request")
# SigV4 signing name -> botocore service name (where they differ)
SIGNING_TO_SERVICE = {"monitoring": "cloudwatch", "eventbridge": "events", "email": "ses"}
# REST services that share a signing name: bedrock-agent signs as "bedrock" (botocore's
# bedrock-agent service model, signingName), so its paths are tried on both routers.
ROUTERS_OF_SIGNING_NAME = {"bedrock": ("bedrock", "bedrock-agent")}
RPC_PATH = re.compile(r"^/service/[^/]+/operation/([^/]+)/?$")


def calls() -> list[dict[str, Any]]:
    with _LOCK:
        return list(_CALLS)


def clear() -> None:
    with _LOCK:
        _CALLS.clear()


def _record(entry: dict[str, Any]) -> None:
    with _LOCK:
        _CALLS.append(entry)
        if len(_CALLS) > MAX_CALLS:
            del _CALLS[: len(_CALLS) - MAX_CALLS]


def service_of(environ: dict) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = CREDENTIAL.search(auth)
    if m:
        return SIGNING_TO_SERVICE.get(m.group(1), m.group(1))
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[0]
    return None


@functools.lru_cache(maxsize=64)
def _router(service: str):
    from moto.core.routing import get_service_router
    return get_service_router(service)


def _rest_operation(service: str, environ: dict) -> str | None:
    try:
        from moto.core.request import Request
        request = Request(dict(environ, **{"wsgi.input": io.BytesIO(b""), "CONTENT_LENGTH": "0"}))
        operation, _ = _router(service).match(request)
        return operation.name
    except Exception:
        return None


def operation_of(environ: dict, body: bytes | None, service: str | None) -> str | None:
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in qs:
        return qs["Action"][0]
    if body:
        form = parse_qs(body.decode("utf-8", errors="replace"))
        if "Action" in form:
            return form["Action"][0]
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[-1]
    m = RPC_PATH.match(environ.get("PATH_INFO", ""))
    if m:
        return m.group(1)
    for name in ROUTERS_OF_SIGNING_NAME.get(service, (service,)) if service else ():
        operation = _rest_operation(name, environ)
        if operation:
            return operation
    return None


def wrap(app: Callable) -> Callable:
    def logging_app(environ: dict, start_response: Callable):
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == "/_baseline/calls":
            method = environ.get("REQUEST_METHOD")
            if method == "GET":
                return wsgi_json(start_response, "200 OK", {"calls": calls()})
            if method == "DELETE":
                clear()
                return wsgi_json(start_response, "200 OK", {"cleared": True})
            return wsgi_json(start_response, "405 Method Not Allowed", {"message": "GET or DELETE"})

        start = time.time()
        service = service_of(environ)
        body = None
        ctype = environ.get("CONTENT_TYPE", "")
        if ctype.startswith("application/x-www-form-urlencoded") and environ.get("CONTENT_LENGTH"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        try:
            operation = operation_of(environ, body, service)
        except Exception:
            operation = None
        # the fault layer below decides by operation name (lost answers of writes)
        environ["baseline.operation"] = operation
        status_holder: dict[str, str] = {}

        def sr(status, headers, exc_info=None):
            status_holder["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        entry = {
            "service": service,
            "operation": operation,
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
            "start": start,
        }
        try:
            result = app(environ, sr)
            chunks = list(result)
            if hasattr(result, "close"):
                result.close()
        finally:
            entry["end"] = time.time()
            entry["status"] = int(status_holder.get("status", "500").split()[0])
            _record(entry)
        return chunks

    return logging_app
