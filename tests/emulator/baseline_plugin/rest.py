"""What the plugin's REST-JSON handlers and admin endpoints share: the error a handler raises
and the AWS-shaped answer it becomes, the parse of a request's JSON body, and the JSON answer
of an admin endpoint."""

from __future__ import annotations

import json
from typing import Any

from .validation import operation_model


class RestError(Exception):
    """An AWS error answer: its code (`x-amzn-ErrorType`), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def ok_response(service: str, operation: str, body: str):
    """The (body, headers) of a successful answer, with the operation's documented status."""
    status = operation_model(service, operation).http.get("responseCode", 200)
    return body, {"status": status, "Content-Type": "application/json"}


def error_response(err: RestError):
    """The (body, headers) moto sends for `err`, as a REST-JSON service answers."""
    return (
        json.dumps({"message": err.message}),
        {"status": err.status, "Content-Type": "application/json", "x-amzn-ErrorType": err.code},
    )


def json_body(body: str | bytes | None, error: type[RestError] = RestError) -> dict:
    """A request's JSON object body (`{}` when empty); a malformed one raises `error`."""
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise error("ValidationException", "Request body is not valid JSON", 400)
    if not isinstance(data, dict):
        raise error("ValidationException", "Request body must be a JSON object", 400)
    return data


def wsgi_json(start_response, status: str, payload: Any):
    """Answers a WSGI request with `payload` as JSON."""
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
