"""smithy-rpc-v2-cbor front end for moto.

botocore's CloudWatch model (2010-08-01) lists ``protocols: [smithy-rpc-v2-cbor,
json, query]`` and the Rust ``aws-sdk-cloudwatch`` (1.100+; 1.140 in this
workspace) therefore sends every CloudWatch call as::

    POST /service/GraniteServiceVersion20100801/operation/<Operation>
    Content-Type: application/cbor
    smithy-protocol: rpc-v2-cbor
    x-amzn-query-mode: true

moto 5.2.5 has no rpc-v2-cbor parser/serializer (and only routes ``/`` for
CloudWatch), while it does speak AWS JSON 1.0 for CloudWatch.  This WSGI layer
rewrites such a request into the equivalent AWS JSON 1.0 request
(``X-Amz-Target: GraniteServiceVersion20100801.<Operation>``, JSON body) and turns
moto's JSON response back into CBOR, shape-aware (timestamps become CBOR tag 1
epoch seconds, doubles stay floats, blobs become byte strings).  Errors are sent
as a CBOR map with ``__type`` and ``message`` plus the ``x-amzn-query-error:
<Code>;Sender`` header that awsQueryCompatible clients use for the error code.
"""
from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import math
import re
from typing import Any, Callable

import cbor2

from .validation import service_model

RPC_PATH = re.compile(r"^/service/(?P<target>[^/]+)/operation/(?P<operation>[^/]+)/?$")

# smithy service shape name (the "target prefix" on the path) -> botocore service
TARGETS = {"GraniteServiceVersion20100801": "cloudwatch"}


def is_cbor_request(environ: dict) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "POST"
        and RPC_PATH.match(environ.get("PATH_INFO", "")) is not None
        and (
            environ.get("HTTP_SMITHY_PROTOCOL", "").lower() == "rpc-v2-cbor"
            or environ.get("CONTENT_TYPE", "").startswith("application/cbor")
        )
    )


def _service_for(target: str, environ: dict) -> str | None:
    if target in TARGETS:
        return TARGETS[target]
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
    return {"monitoring": "cloudwatch"}.get(m.group(1), m.group(1)) if m else None


# ------------------------------------------------------------------ value conversion

def _to_json(shape, value: Any) -> Any:
    """CBOR-decoded input -> AWS JSON 1.0 value."""
    if value is None:
        return None
    t = shape.type_name if shape is not None else None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, cbor2.CBORTag) and value.tag == 1:
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if t == "structure" and isinstance(value, dict):
        return {k: _to_json(shape.members.get(k), v) for k, v in value.items() if v is not None}
    if t == "list" and isinstance(value, list):
        return [_to_json(shape.member, v) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: _to_json(shape.value, v) for k, v in value.items() if v is not None}
    if isinstance(value, dict):
        return {k: _to_json(None, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(None, v) for v in value]
    return value


def _to_cbor(shape, value: Any) -> Any:
    """AWS JSON 1.0 output value -> CBOR-ready Python value."""
    if value is None:
        return None
    t = shape.type_name if shape is not None else None
    if t == "structure" and isinstance(value, dict):
        out = {}
        for k, v in value.items():
            conv = _to_cbor(shape.members.get(k), v)
            if conv is not None:
                out[k] = conv
        return out
    if t == "list" and isinstance(value, list):
        return [_to_cbor(shape.member, v) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: _to_cbor(shape.value, v) for k, v in value.items() if v is not None}
    if t == "timestamp":
        if isinstance(value, (int, float)):
            return cbor2.CBORTag(1, float(value))
        if isinstance(value, str):
            try:
                return cbor2.CBORTag(1, float(value))
            except ValueError:
                ts = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                if ts.tzinfo is None:
                    ts = ts.replace(tzinfo=_dt.timezone.utc)
                return cbor2.CBORTag(1, ts.timestamp())
    if t in ("double", "float"):
        if isinstance(value, str):
            return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value, float(value))
        return float(value)
    if t in ("integer", "long", "short", "byte"):
        return int(value)
    if t == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    return value


# ------------------------------------------------------------------ WSGI layer

def wrap(app: Callable) -> Callable:
    def cbor_app(environ: dict, start_response: Callable):
        if not is_cbor_request(environ):
            return app(environ, start_response)
        m = RPC_PATH.match(environ["PATH_INFO"])
        assert m
        target, operation = m.group("target"), m.group("operation")
        service = _service_for(target, environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            model = service_model(service)
            op = model.operation_model(operation)
            decoded = cbor2.loads(raw) if raw else {}
            body = json.dumps(_to_json(op.input_shape, decoded) or {}).encode()
        except Exception as exc:  # unknown operation / bad CBOR
            return _cbor_error(start_response, 400, "SerializationException", str(exc))

        environ = dict(environ)
        environ["PATH_INFO"] = "/"
        environ["RAW_URI"] = environ["REQUEST_URI"] = "/"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["HTTP_X_AMZ_TARGET"] = f"{model.metadata.get('targetPrefix', target)}.{operation}"
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        environ.pop("HTTP_SMITHY_PROTOCOL", None)
        environ["baseline.cbor_operation"] = operation

        captured: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = app(environ, capture)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        code = int(captured["status"].split()[0])
        headers = [(k, v) for k, v in captured["headers"]
                   if k.lower() not in ("content-type", "content-length", "x-amz-crc32")]
        try:
            data = json.loads(payload) if payload.strip() else {}
        except ValueError:
            data = None
        if code >= 300:
            if not isinstance(data, dict):
                data = {"__type": "InternalFailure", "message": payload.decode(errors="replace")[:1000]}
            err_type = str(data.get("__type") or data.get("code") or "InternalFailure")
            short = err_type.split("#")[-1].split(":")[0]
            message = data.get("message") or data.get("Message") or ""
            out = {"__type": err_type, "message": message}
            if not any(k.lower() == "x-amzn-query-error" for k, _ in headers):
                headers.append(("x-amzn-query-error", f"{short};{'Sender' if code < 500 else 'Receiver'}"))
        else:
            out = _to_cbor(op.output_shape, data or {}) if op.output_shape is not None else {}
        body_out = cbor2.dumps(out or {})
        headers += [
            ("Content-Type", "application/cbor"),
            ("Content-Length", str(len(body_out))),
            ("smithy-protocol", "rpc-v2-cbor"),
        ]
        start_response(captured["status"], headers)
        return [body_out]

    return cbor_app


def _cbor_error(start_response, status: int, code: str, message: str):
    body = cbor2.dumps({"__type": code, "message": message})
    start_response(f"{status} Bad Request", [
        ("Content-Type", "application/cbor"),
        ("Content-Length", str(len(body))),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("x-amzn-query-error", f"{code};Sender"),
    ])
    return [body]
