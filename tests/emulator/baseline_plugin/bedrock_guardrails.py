"""Amazon Bedrock guardrails (rest-json) for moto's Bedrock backend.

moto 5.2.5 has no guardrail operations.  This module adds CreateGuardrail,
GetGuardrail, UpdateGuardrail, DeleteGuardrail, ListGuardrails and
CreateGuardrailVersion as methods on ``moto.bedrock.responses.BedrockResponse``
(moto routes the request to ``<snake_case operation>`` after matching the
method and URI against botocore's model), and makes guardrail ARNs taggable
through moto's own TagResource / UntagResource / ListTagsForResource.

Behaviour follows AWS: a guardrail has a working ``DRAFT``; every
CreateGuardrailVersion snapshots the draft as version 1, 2, ...; GetGuardrail
returns the policies in the response shape of the botocore model.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import random
import string
from typing import Any

from moto.bedrock.models import BedrockBackend
from moto.bedrock.responses import BedrockResponse

from .rest import RestError, error_response, json_body, ok_response
from .validation import format_problems, operation_model, validate_request

SERVICE = "bedrock"


class GuardrailError(RestError):
    """An error answer of bedrock (guardrails, inference profiles)."""


def _not_found(ident: str, version: str | None = None) -> GuardrailError:
    what = f"guardrail {ident}" + (f" version {version}" if version else "")
    return GuardrailError("ResourceNotFoundException", f"The {what} was not found.", 404)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _iso(ts: _dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


# Request member -> response member ("...Config" suffixes dropped).
_RENAME = {"crossRegionConfig": "crossRegionDetails"}


def _to_policy(config: Any, out_shape) -> Any:
    """Convert a *Config request structure to the matching response shape."""
    if out_shape is None:
        return None
    t = out_shape.type_name
    if t == "structure" and isinstance(config, dict):
        result: dict[str, Any] = {}
        for key, val in config.items():
            out_key = _RENAME.get(key, key[:-6] if key.endswith("Config") else key)
            if out_key in out_shape.members:
                conv = _to_policy(val, out_shape.members[out_key])
                if conv is not None:
                    result[out_key] = conv
        return result
    if t == "list" and isinstance(config, list):
        return [_to_policy(v, out_shape.member) for v in config]
    return copy.deepcopy(config)


def _apply_defaults(policies: dict[str, Any]) -> None:
    """Fill in the fields AWS returns even when the request omitted them."""
    def fill(items, action_default):
        for item in items or []:
            act = item.get("action", action_default)
            item.setdefault("inputAction", act)
            item.setdefault("outputAction", act)
            item.setdefault("inputEnabled", True)
            item.setdefault("outputEnabled", True)

    content = policies.get("contentPolicy")
    if content:
        for f in content.get("filters", []):
            f.setdefault("inputModalities", ["TEXT"])
            f.setdefault("outputModalities", ["TEXT"])
        fill(content.get("filters"), "BLOCK")
        content.setdefault("tier", {"tierName": "CLASSIC"})
    topic = policies.get("topicPolicy")
    if topic:
        for t in topic.get("topics", []):
            t.setdefault("type", "DENY")
            t.setdefault("examples", [])
        fill(topic.get("topics"), "BLOCK")
        topic.setdefault("tier", {"tierName": "CLASSIC"})
    words = policies.get("wordPolicy")
    if words:
        fill(words.get("words"), "BLOCK")
        fill(words.get("managedWordLists"), "BLOCK")
    sens = policies.get("sensitiveInformationPolicy")
    if sens:
        fill(sens.get("piiEntities"), "BLOCK")
        fill(sens.get("regexes"), "BLOCK")
    grounding = policies.get("contextualGroundingPolicy")
    if grounding:
        for f in grounding.get("filters", []):
            f.setdefault("action", "BLOCK")
            f.setdefault("enabled", True)


_POLICY_KEYS = (
    "topicPolicyConfig",
    "contentPolicyConfig",
    "wordPolicyConfig",
    "sensitiveInformationPolicyConfig",
    "contextualGroundingPolicyConfig",
    "automatedReasoningPolicyConfig",
    "crossRegionConfig",
)


class Guardrail:
    def __init__(self, backend: BedrockBackend, params: dict) -> None:
        self.guardrail_id = "".join(random.choices(string.ascii_lowercase + string.digits, k=12))
        self.arn = (
            f"arn:aws:bedrock:{backend.region_name}:{backend.account_id}:guardrail/{self.guardrail_id}"
        )
        self.account_id = backend.account_id
        self.region_name = backend.region_name
        self.created_at = _now()
        self.draft: dict[str, Any] = {}
        self.versions: dict[int, dict[str, Any]] = {}
        self.next_version = 1
        self.version_tokens: dict[str, int] = {}
        self.set_draft(params, created=self.created_at)

    def kms_key_arn(self, key: str | None) -> str | None:
        if not key:
            return None
        if key.startswith("arn:"):
            return key
        # alias names and bare ids are resolved to a key ARN by AWS; keep the
        # id form so callers can still compare it.
        return f"arn:aws:kms:{self.region_name}:{self.account_id}:key/{key}" if not key.startswith("alias/") else (
            f"arn:aws:kms:{self.region_name}:{self.account_id}:{key}"
        )

    def set_draft(self, params: dict, created: _dt.datetime | None = None) -> None:
        out_shape = operation_model(SERVICE, "GetGuardrail").output_shape
        state: dict[str, Any] = {
            "name": params["name"],
            "guardrailId": self.guardrail_id,
            "guardrailArn": self.arn,
            "version": "DRAFT",
            "status": "READY",
            "blockedInputMessaging": params["blockedInputMessaging"],
            "blockedOutputsMessaging": params["blockedOutputsMessaging"],
            "createdAt": created or self.draft.get("createdAt", self.created_at),
            "updatedAt": _now(),
        }
        if params.get("description") is not None:
            state["description"] = params["description"]
        for key in _POLICY_KEYS:
            if params.get(key) is not None:
                conv = _to_policy({key: params[key]}, out_shape)
                state.update(conv)
        kms = self.kms_key_arn(params.get("kmsKeyId"))
        if kms:
            state["kmsKeyArn"] = kms
        _apply_defaults(state)
        self.draft = state

    def publish(self, description: str | None) -> int:
        number = self.next_version
        self.next_version += 1
        snap = copy.deepcopy(self.draft)
        snap["version"] = str(number)
        snap["createdAt"] = snap["updatedAt"] = _now()
        if description is not None:
            snap["description"] = description
        self.versions[number] = snap
        return number

    def get(self, version: str | None) -> dict[str, Any]:
        if version in (None, "", "DRAFT"):
            return self.draft
        try:
            return self.versions[int(version)]
        except (ValueError, KeyError):
            raise _not_found(self.guardrail_id, version)


def _store(backend: BedrockBackend) -> dict[str, Any]:
    if not hasattr(backend, "baseline_guardrails"):
        backend.baseline_guardrails = {}  # id -> Guardrail
        backend.baseline_guardrail_tokens = {}  # clientRequestToken -> id
    return backend.baseline_guardrails


def _resolve(backend: BedrockBackend, ident: str) -> Guardrail:
    gid = ident.rsplit("/", 1)[-1] if ident.startswith("arn:") else ident
    g = _store(backend).get(gid)
    if g is None:
        raise _not_found(ident)
    return g


def _serialize(operation: str, data: dict) -> str:
    """JSON body for a rest-json response, timestamps as ISO-8601 (the model's format)."""
    def conv(v):
        if isinstance(v, _dt.datetime):
            return _iso(v)
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v
    return json.dumps(conv(data))


def _response(operation: str, data: dict):
    return ok_response(SERVICE, operation, _serialize(operation, data))


def _body(resp: BedrockResponse) -> dict:
    return json_body(resp.body, GuardrailError)


def _query(resp: BedrockResponse, name: str) -> str | None:
    vals = resp.querystring.get(name)
    return vals[0] if vals else None


def _ident(resp: BedrockResponse) -> str:
    from urllib.parse import unquote
    return unquote((resp.uri_match or {}).get("guardrailIdentifier", ""))


def _check(operation: str, params: dict) -> None:
    problems = validate_request(SERVICE, operation, params)
    if problems:
        raise GuardrailError("ValidationException", format_problems(problems), 400)


def _handler(operation: str):
    def decorate(fn):
        def method(self: BedrockResponse):
            try:
                return _response(operation, fn(self, self.bedrock_backend))
            except GuardrailError as err:
                return error_response(err)
        method.__name__ = fn.__name__
        return method
    return decorate


@_handler("CreateGuardrail")
def create_guardrail(self: BedrockResponse, backend: BedrockBackend) -> dict:
    params = _body(self)
    _check("CreateGuardrail", params)
    store = _store(backend)
    token = params.get("clientRequestToken")
    if token and token in backend.baseline_guardrail_tokens:
        g = store.get(backend.baseline_guardrail_tokens[token])
        if g is not None:
            return {"guardrailId": g.guardrail_id, "guardrailArn": g.arn, "version": "DRAFT",
                    "createdAt": g.created_at}
    if any(g.draft["name"] == params["name"] for g in store.values()):
        raise GuardrailError(
            "ConflictException", f"A guardrail with the name {params['name']} already exists.", 409
        )
    g = Guardrail(backend, params)
    store[g.guardrail_id] = g
    if token:
        backend.baseline_guardrail_tokens[token] = g.guardrail_id
    tags = params.get("tags") or []
    if tags:
        backend.tagger.tag_resource(g.arn, [{"Key": t["key"], "Value": t["value"]} for t in tags])
    return {"guardrailId": g.guardrail_id, "guardrailArn": g.arn, "version": "DRAFT",
            "createdAt": g.created_at}


@_handler("GetGuardrail")
def get_guardrail(self: BedrockResponse, backend: BedrockBackend) -> dict:
    params = {"guardrailIdentifier": _ident(self), "guardrailVersion": _query(self, "guardrailVersion")}
    _check("GetGuardrail", params)
    g = _resolve(backend, params["guardrailIdentifier"])
    return copy.deepcopy(g.get(params["guardrailVersion"]))


@_handler("UpdateGuardrail")
def update_guardrail(self: BedrockResponse, backend: BedrockBackend) -> dict:
    params = _body(self)
    params["guardrailIdentifier"] = _ident(self)
    _check("UpdateGuardrail", params)
    g = _resolve(backend, params["guardrailIdentifier"])
    if any(o is not g and o.draft["name"] == params["name"] for o in _store(backend).values()):
        raise GuardrailError(
            "ConflictException", f"A guardrail with the name {params['name']} already exists.", 409
        )
    g.set_draft(params)
    return {"guardrailId": g.guardrail_id, "guardrailArn": g.arn, "version": "DRAFT",
            "updatedAt": g.draft["updatedAt"]}


@_handler("CreateGuardrailVersion")
def create_guardrail_version(self: BedrockResponse, backend: BedrockBackend) -> dict:
    params = _body(self)
    params["guardrailIdentifier"] = _ident(self)
    _check("CreateGuardrailVersion", params)
    g = _resolve(backend, params["guardrailIdentifier"])
    token = params.get("clientRequestToken")
    if token and token in g.version_tokens and g.version_tokens[token] in g.versions:
        return {"guardrailId": g.guardrail_id, "version": str(g.version_tokens[token])}
    number = g.publish(params.get("description"))
    if token:
        g.version_tokens[token] = number
    return {"guardrailId": g.guardrail_id, "version": str(number)}


@_handler("DeleteGuardrail")
def delete_guardrail(self: BedrockResponse, backend: BedrockBackend) -> dict:
    params = {"guardrailIdentifier": _ident(self), "guardrailVersion": _query(self, "guardrailVersion")}
    _check("DeleteGuardrail", params)
    g = _resolve(backend, params["guardrailIdentifier"])
    version = params["guardrailVersion"]
    if version in (None, "", "DRAFT"):
        del _store(backend)[g.guardrail_id]
        backend.tagger.delete_all_tags_for_resource(g.arn)
    else:
        g.get(version)  # raises not found
        del g.versions[int(version)]
    return {}


@_handler("ListGuardrails")
def list_guardrails(self: BedrockResponse, backend: BedrockBackend) -> dict:
    params = {
        "guardrailIdentifier": _query(self, "guardrailIdentifier"),
        "nextToken": _query(self, "nextToken"),
    }
    max_results = _query(self, "maxResults")
    if max_results is not None:
        try:
            params["maxResults"] = int(max_results)
        except ValueError:
            params["maxResults"] = max_results
    _check("ListGuardrails", {k: v for k, v in params.items() if v is not None})
    if params["guardrailIdentifier"]:
        g = _resolve(backend, params["guardrailIdentifier"])
        states = [g.draft] + [g.versions[n] for n in sorted(g.versions)]
    else:
        states = [g.draft for g in sorted(_store(backend).values(), key=lambda g: g.created_at)]
    summaries = [
        {k2: s.get(k1) for k1, k2 in (
            ("guardrailId", "id"), ("guardrailArn", "arn"), ("status", "status"), ("name", "name"),
            ("description", "description"), ("version", "version"), ("createdAt", "createdAt"),
            ("updatedAt", "updatedAt"), ("crossRegionDetails", "crossRegionDetails"))}
        for s in states
    ]
    start = int(params["nextToken"]) if (params["nextToken"] or "").isdigit() else 0
    size = params.get("maxResults") or 1000
    page = summaries[start:start + size]
    result: dict[str, Any] = {"guardrails": page}
    if start + size < len(summaries):
        result["nextToken"] = str(start + size)
    return result


def install() -> None:
    for fn in (create_guardrail, get_guardrail, update_guardrail, create_guardrail_version,
               delete_guardrail, list_guardrails):
        setattr(BedrockResponse, fn.__name__, fn)

    original_list_arns = BedrockBackend._list_arns

    def _list_arns(self: BedrockBackend) -> list[str]:
        return original_list_arns(self) + [g.arn for g in _store(self).values()]

    BedrockBackend._list_arns = _list_arns
