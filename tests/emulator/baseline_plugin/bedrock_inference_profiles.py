"""Amazon Bedrock inference profiles (GetInferenceProfile, ListInferenceProfiles) for moto.

moto 5.2.5 has neither.  AWS provides system-defined cross-region inference profiles in
every account; a few of the US geography are seeded here, each routing to the foundation
model of its destination regions ("Supported Regions and models for inference profiles",
https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
Requests are validated and responses built in the shapes of botocore's bundled model.
"""
from __future__ import annotations

import datetime as _dt
import re
from urllib.parse import unquote

from moto.bedrock.models import BedrockBackend
from moto.bedrock.responses import BedrockResponse

from .bedrock_guardrails import GuardrailError, _check, _handler, _query

# (profile id, destination regions): model id = the profile id without its `us.` prefix.
SYSTEM_PROFILES = [
    ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", ["us-east-1", "us-west-2"]),
    ("us.anthropic.claude-3-haiku-20240307-v1:0", ["us-east-1", "us-west-2"]),
    ("us.amazon.nova-lite-v1:0", ["us-east-1", "us-east-2", "us-west-2"]),
    ("us.meta.llama3-2-11b-instruct-v1:0", ["us-east-1", "us-west-2"]),
]
_CREATED = _dt.datetime(2024, 8, 27, tzinfo=_dt.timezone.utc)


def _profiles(backend: BedrockBackend) -> list[dict]:
    region, account = backend.region_name, backend.account_id
    out = []
    for pid, regions in SYSTEM_PROFILES:
        model = pid.split(".", 1)[1]
        out.append({
            "inferenceProfileName": "US " + re.sub(r"[^0-9a-zA-Z]+", " ", model).strip(),
            "description": f"Routes requests to {model} in {' '.join(regions)}",
            "createdAt": _CREATED,
            "updatedAt": _CREATED,
            "inferenceProfileArn": f"arn:aws:bedrock:{region}:{account}:inference-profile/{pid}",
            "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model}"} for r in regions],
            "inferenceProfileId": pid,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        })
    return out


@_handler("GetInferenceProfile")
def get_inference_profile(self: BedrockResponse, backend: BedrockBackend) -> dict:
    ident = unquote((self.uri_match or {}).get("inferenceProfileIdentifier", ""))
    if not ident:
        # moto may not have matched the URI template: take the last path segment.
        ident = unquote(self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])
    _check("GetInferenceProfile", {"inferenceProfileIdentifier": ident})
    for p in _profiles(backend):
        if ident in (p["inferenceProfileId"], p["inferenceProfileArn"]):
            return p
    raise GuardrailError(
        "ResourceNotFoundException", f"Inference profile {ident} does not exist.", 404
    )


@_handler("ListInferenceProfiles")
def list_inference_profiles(self: BedrockResponse, backend: BedrockBackend) -> dict:
    params = {k: v for k, v in {
        "typeEquals": _query(self, "type"),
        "nextToken": _query(self, "nextToken"),
    }.items() if v is not None}
    _check("ListInferenceProfiles", params)
    profiles = [p for p in _profiles(backend)
                if params.get("typeEquals", "SYSTEM_DEFINED") == p["type"]]
    return {"inferenceProfileSummaries": profiles}


def install() -> None:
    for fn in (get_inference_profile, list_inference_profiles):
        setattr(BedrockResponse, fn.__name__, fn)
