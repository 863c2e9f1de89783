"""CloudWatch Logs saved queries, which moto 5.2.5 lacks.

* ``PutQueryDefinition``: creates a definition (new ``queryDefinitionId``) or, with
  ``queryDefinitionId``, replaces that one (``ResourceNotFoundException`` if it does not
  exist), as the API reference describes; ``logGroupNames`` optional.
* ``DescribeQueryDefinitions``: ``queryDefinitionNamePrefix`` filters by name prefix;
  ``maxResults`` (1-1000) and ``nextToken`` page the sorted list.
* ``DeleteQueryDefinition``: ``{"success": true}``; ``ResourceNotFoundException`` for an
  unknown id.

Every request is validated against botocore's ``logs`` model first.
"""
from __future__ import annotations

import json
import time
import uuid

from moto.logs.responses import LogsResponse

from .validation import format_problems, validate_request


def _store(response) -> dict:
    backend = response.logs_backend
    if not hasattr(backend, "baseline_query_definitions"):
        backend.baseline_query_definitions = {}
    return backend.baseline_query_definitions


def _params(response, operation: str):
    params = json.loads(response.body or "{}")
    problems = validate_request("logs", operation, params)
    if problems:
        return None, response._baseline_error("InvalidParameterException", format_problems(problems))
    return params, None


def _error(self, code: str, message: str):
    body = json.dumps({"__type": code, "message": message})
    return 400, {"status": 400, "Content-Type": "application/x-amz-json-1.1"}, body


def put_query_definition(self):
    params, err = _params(self, "PutQueryDefinition")
    if err:
        return err
    store = _store(self)
    qid = params.get("queryDefinitionId")
    if qid and qid not in store:
        return self._baseline_error("ResourceNotFoundException", f"query definition {qid} not found")
    qid = qid or str(uuid.uuid4())
    store[qid] = {
        "queryDefinitionId": qid,
        "name": params["name"],
        "queryString": params["queryString"],
        "lastModified": int(time.time() * 1000),
        "logGroupNames": list(params.get("logGroupNames") or []),
    }
    return json.dumps({"queryDefinitionId": qid})


def describe_query_definitions(self):
    params, err = _params(self, "DescribeQueryDefinitions")
    if err:
        return err
    prefix = params.get("queryDefinitionNamePrefix") or ""
    found = sorted(
        (q for q in _store(self).values() if q["name"].startswith(prefix)),
        key=lambda q: (q["name"], q["queryDefinitionId"]),
    )
    start = int(params.get("nextToken") or 0)
    size = int(params.get("maxResults") or 1000)
    page = found[start:start + size]
    out = {"queryDefinitions": page}
    if start + size < len(found):
        out["nextToken"] = str(start + size)
    return json.dumps(out)


def delete_query_definition(self):
    params, err = _params(self, "DeleteQueryDefinition")
    if err:
        return err
    store = _store(self)
    qid = params["queryDefinitionId"]
    if qid not in store:
        return self._baseline_error("ResourceNotFoundException", f"query definition {qid} not found")
    del store[qid]
    return json.dumps({"success": True})


def install() -> None:
    LogsResponse._baseline_error = _error
    LogsResponse.put_query_definition = put_query_definition
    LogsResponse.describe_query_definitions = describe_query_definitions
    LogsResponse.delete_query_definition = delete_query_definition
