"""Generic request validation against botocore's bundled service models.

``validate(shape, value)`` walks a botocore ``Shape`` and a decoded request
value (member names as keys, as botocore/moto parsers produce them) and returns
a list of human readable problems in the style AWS uses for its
``ValidationException`` messages.  Rules checked, recursively:

* required members present
* unknown members (ignored: AWS SDKs never send them, and they may be newer)
* enum values
* string length (``min``/``max``) and ``pattern`` (full match, as botocore's
  models carry the Smithy patterns with their ``^...$`` anchors stripped; Python
  ``re``; patterns that Python cannot compile are skipped)
* list / map lengths
* numeric ranges (``min``/``max`` on integer/long/float/double)
* basic type checks (string/number/bool/list/map/structure)

Service specific rules that the model cannot express are registered with
``register_rule(service, operation, fn)``; ``fn(params) -> list[str]``.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable

import botocore.loaders
import botocore.model

_EXTRA_RULES: dict[tuple[str, str], list[Callable[[dict], list[str]]]] = {}


@functools.lru_cache(maxsize=None)
def service_model(service: str) -> botocore.model.ServiceModel:
    """Load ``botocore/data/<service>/<date>/service-2.json`` via botocore.loaders."""
    loader = botocore.loaders.Loader()
    data = loader.load_service_model(service, "service-2")
    return botocore.model.ServiceModel(data, service_name=service)


def operation_model(service: str, operation: str) -> botocore.model.OperationModel:
    return service_model(service).operation_model(operation)


@functools.lru_cache(maxsize=None)
def _compile(pattern: str):
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _fmt(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    if len(text) > 80:
        text = text[:77] + "..."
    return text


def validate(shape: botocore.model.Shape | None, value: Any, path: str = "") -> list[str]:
    """Return a list of problems for ``value`` against ``shape`` (empty if valid)."""
    problems: list[str] = []
    if shape is None or value is None:
        return problems
    where = path or shape.name
    meta = shape.metadata
    t = shape.type_name

    def bad(constraint: str) -> None:
        problems.append(
            f"Value '{_fmt(value)}' at '{where}' failed to satisfy constraint: {constraint}"
        )

    def length_bounds() -> None:
        # The min/max of a list, map or string shape bound its length.
        if "min" in meta and len(value) < meta["min"]:
            bad(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            bad(f"Member must have length less than or equal to {meta['max']}")

    if t == "structure":
        if not isinstance(value, dict):
            bad("Member must be a structure")
            return problems
        for req in shape.required_members:
            if value.get(req) is None:
                p = f"{path}.{req}" if path else req
                problems.append(
                    f"Value null at '{p}' failed to satisfy constraint: Member must not be null"
                )
        if getattr(shape, "is_union", False):
            set_members = [k for k, v in value.items() if v is not None]
            if len(set_members) > 1:
                bad("Only one member of the union may be set")
        for name, member in shape.members.items():
            if name in value:
                p = f"{path}.{name}" if path else name
                problems.extend(validate(member, value[name], p))
    elif t == "list":
        if not isinstance(value, (list, tuple)):
            bad("Member must be a list")
            return problems
        length_bounds()
        for i, item in enumerate(value, start=1):
            problems.extend(validate(shape.member, item, f"{where}.{i}.member"))
    elif t == "map":
        if not isinstance(value, dict):
            bad("Member must be a map")
            return problems
        length_bounds()
        for k, v in value.items():
            problems.extend(validate(shape.key, k, f"{where}.key"))
            problems.extend(validate(shape.value, v, f"{where}.{k}"))
    elif t == "string":
        if not isinstance(value, str):
            bad("Member must be a string")
            return problems
        enum = meta.get("enum")
        if enum and value not in enum:
            bad(f"Member must satisfy enum value set: [{', '.join(enum)}]")
        length_bounds()
        pattern = meta.get("pattern")
        if pattern:
            rx = _compile(pattern)
            if rx is not None and rx.fullmatch(value) is None:
                bad(f"Member must satisfy regular expression pattern: {pattern}")
    elif t in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                bad(f"Member must be a number ({t})")
                return problems
        if t in ("integer", "long") and float(value) != int(float(value)):
            bad("Member must be an integer")
        if "min" in meta and value < meta["min"]:
            bad(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            bad(f"Member must have value less than or equal to {meta['max']}")
    elif t == "boolean":
        if not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
            bad("Member must be a boolean")
    return problems


def register_rule(service: str, operation: str, fn: Callable[[dict], list[str]]) -> None:
    _EXTRA_RULES.setdefault((service, operation), []).append(fn)


def validate_request(service: str, operation: str, params: dict) -> list[str]:
    """Model validation of an operation's input plus registered extra rules."""
    op = operation_model(service, operation)
    problems = validate(op.input_shape, params, "")
    for rule in _EXTRA_RULES.get((service, operation), []):
        problems.extend(rule(params))
    return problems


def format_problems(problems: list[str]) -> str:
    n = len(problems)
    return f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(problems)


# --------------------------------------------------------------------------
# Documented rules the model cannot express
# --------------------------------------------------------------------------

def _guardrail_rules(params: dict) -> list[str]:
    problems: list[str] = []
    content = params.get("contentPolicyConfig") or {}
    seen: set[str] = set()
    for i, f in enumerate(content.get("filtersConfig") or [], start=1):
        if not isinstance(f, dict):
            continue
        ftype = f.get("type")
        if ftype in seen:
            problems.append(
                f"Duplicate content filter type '{ftype}' at "
                f"'contentPolicyConfig.filtersConfig.{i}.member.type': each filter type may appear only once"
            )
        seen.add(ftype)
        if ftype == "PROMPT_ATTACK" and f.get("outputStrength") not in (None, "NONE"):
            problems.append(
                f"Value '{f.get('outputStrength')}' at 'contentPolicyConfig.filtersConfig.{i}.member.outputStrength' "
                "failed to satisfy constraint: PROMPT_ATTACK content filter outputStrength must be NONE"
            )
    for lst, key, label in (
        ("sensitiveInformationPolicyConfig", "piiEntitiesConfig", "PII entity type"),
        ("contextualGroundingPolicyConfig", "filtersConfig", "contextual grounding filter type"),
        ("wordPolicyConfig", "managedWordListsConfig", "managed word list type"),
    ):
        seen = set()
        for i, item in enumerate((params.get(lst) or {}).get(key) or [], start=1):
            if isinstance(item, dict) and item.get("type") in seen:
                problems.append(f"Duplicate {label} '{item.get('type')}' at '{lst}.{key}.{i}.member.type'")
            if isinstance(item, dict):
                seen.add(item.get("type"))
    grounding = params.get("contextualGroundingPolicyConfig") or {}
    for i, f in enumerate(grounding.get("filtersConfig") or [], start=1):
        th = f.get("threshold") if isinstance(f, dict) else None
        if isinstance(th, (int, float)) and not 0 <= th < 1:
            problems.append(
                f"Value '{th}' at 'contextualGroundingPolicyConfig.filtersConfig.{i}.member.threshold' "
                "failed to satisfy constraint: threshold must be between 0 and 0.99"
            )
    return problems


for _op in ("CreateGuardrail", "UpdateGuardrail"):
    register_rule("bedrock", _op, _guardrail_rules)
