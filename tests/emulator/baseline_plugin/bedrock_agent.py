"""Agents for Amazon Bedrock (rest-json): what the audit reads and moto 5.2.5 lacks.

* Knowledge-base data sources: CreateDataSource, GetDataSource, ListDataSources,
  DeleteDataSource, as methods on moto's ``AgentsforBedrockResponse`` (moto routes by matching
  method + URI against botocore's model), requests validated against botocore's model.
* Agents keep ``guardrailConfiguration`` (moto drops it) and return it from GetAgent and in
  the ListAgents summary, as AWS does.
* Timestamps as ISO-8601 (the models' format) for agents, knowledge bases, custom models.
* KMS DescribeKey reports ``MultiRegion: false`` for single-Region keys, as AWS does.
* IAM: the AWS managed ``AmazonBedrock*`` policies exist (moto loads none by default).
* Custom models: moto invents ``modelKmsKeyArn`` for every model (a key that does not exist);
  AWS returns it only when the customization job named ``customModelKmsKeyId``. Fixed, and
  GetCustomModel accepts a model ARN as the identifier (the SDK percent-encodes it).
"""
from __future__ import annotations

import datetime as _dt
import json
import random
import string
from typing import Any
from urllib.parse import unquote

from moto.bedrock import models as bedrock_models
from moto.bedrock.responses import BedrockResponse
from moto.bedrockagent import models as agent_models
from moto.bedrockagent.models import AgentsforBedrockBackend
from moto.bedrockagent.responses import AgentsforBedrockResponse

from .rest import RestError, error_response, json_body, ok_response
from .validation import format_problems, validate_request

# Agent ids (`^[0-9a-zA-Z]{10}$`) etc.: botocore's bedrock-agent model.

SERVICE = "bedrock-agent"


class AgentError(RestError):
    """An error answer of bedrock-agent."""


def _iso(ts: _dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _now() -> str:
    return _iso(_dt.datetime.now(_dt.timezone.utc))


def _id() -> str:
    # AWS ids are 10 upper-case alphanumerics (model pattern ^[0-9a-zA-Z]{10}$)
    return "".join(random.choices(string.ascii_uppercase + string.digits, k=10))


def _store(backend: AgentsforBedrockBackend) -> dict[str, dict[str, dict[str, Any]]]:
    if not hasattr(backend, "baseline_data_sources"):
        backend.baseline_data_sources = {}  # kb id -> data source id -> DataSource
    return backend.baseline_data_sources


def _check(operation: str, params: dict) -> None:
    problems = validate_request(SERVICE, operation, params)
    if problems:
        raise AgentError("ValidationException", format_problems(problems), 400)


def _uri(resp: AgentsforBedrockResponse, name: str) -> str:
    return unquote((resp.uri_match or {}).get(name, ""))


def _body(resp: AgentsforBedrockResponse) -> dict:
    return json_body(resp.body, AgentError)


def _kb(backend: AgentsforBedrockBackend, kb_id: str) -> None:
    if kb_id not in backend.knowledge_bases:
        raise AgentError("ResourceNotFoundException", f"Knowledge base {kb_id} not found.", 404)


def _handler(operation: str):
    def decorate(fn):
        def method(self: AgentsforBedrockResponse):
            try:
                data = fn(self, self.bedrockagent_backend)
            except AgentError as err:
                return error_response(err)
            return ok_response(SERVICE, operation, json.dumps(data))
        method.__name__ = fn.__name__
        return method
    return decorate


@_handler("CreateDataSource")
def create_data_source(self: AgentsforBedrockResponse, backend: AgentsforBedrockBackend) -> dict:
    params = _body(self)
    params["knowledgeBaseId"] = _uri(self, "knowledgeBaseId")
    _check("CreateDataSource", params)
    kb_id = params["knowledgeBaseId"]
    _kb(backend, kb_id)
    sources = _store(backend).setdefault(kb_id, {})
    if any(ds["name"] == params["name"] for ds in sources.values()):
        raise AgentError("ConflictException", f"A data source named {params['name']} already exists.", 409)
    now = _now()
    ds: dict[str, Any] = {
        "knowledgeBaseId": kb_id,
        "dataSourceId": _id(),
        "name": params["name"],
        "status": "AVAILABLE",
        "dataSourceConfiguration": params["dataSourceConfiguration"],
        "dataDeletionPolicy": params.get("dataDeletionPolicy", "DELETE"),
        "createdAt": now,
        "updatedAt": now,
    }
    for key in ("description", "serverSideEncryptionConfiguration", "vectorIngestionConfiguration"):
        if params.get(key) is not None:
            ds[key] = params[key]
    sources[ds["dataSourceId"]] = ds
    return {"dataSource": ds}


def _get(backend: AgentsforBedrockBackend, kb_id: str, ds_id: str) -> dict:
    _kb(backend, kb_id)
    ds = _store(backend).get(kb_id, {}).get(ds_id)
    if ds is None:
        raise AgentError("ResourceNotFoundException", f"Data source {ds_id} not found.", 404)
    return ds


@_handler("GetDataSource")
def get_data_source(self: AgentsforBedrockResponse, backend: AgentsforBedrockBackend) -> dict:
    params = {"knowledgeBaseId": _uri(self, "knowledgeBaseId"), "dataSourceId": _uri(self, "dataSourceId")}
    _check("GetDataSource", params)
    return {"dataSource": _get(backend, params["knowledgeBaseId"], params["dataSourceId"])}


@_handler("ListDataSources")
def list_data_sources(self: AgentsforBedrockResponse, backend: AgentsforBedrockBackend) -> dict:
    params = _body(self)
    params["knowledgeBaseId"] = _uri(self, "knowledgeBaseId")
    _check("ListDataSources", params)
    _kb(backend, params["knowledgeBaseId"])
    sources = list(_store(backend).get(params["knowledgeBaseId"], {}).values())
    summaries = [
        {k: ds[k] for k in ("knowledgeBaseId", "dataSourceId", "name", "status", "description", "updatedAt") if k in ds}
        for ds in sources
    ]
    start = int(params["nextToken"]) if str(params.get("nextToken") or "").isdigit() else 0
    size = params.get("maxResults") or 1000
    result: dict[str, Any] = {"dataSourceSummaries": summaries[start:start + size]}
    if start + size < len(summaries):
        result["nextToken"] = str(start + size)
    return result


@_handler("DeleteDataSource")
def delete_data_source(self: AgentsforBedrockResponse, backend: AgentsforBedrockBackend) -> dict:
    params = {"knowledgeBaseId": _uri(self, "knowledgeBaseId"), "dataSourceId": _uri(self, "dataSourceId")}
    _check("DeleteDataSource", params)
    _get(backend, params["knowledgeBaseId"], params["dataSourceId"])
    del _store(backend)[params["knowledgeBaseId"]][params["dataSourceId"]]
    return {**params, "status": "DELETING"}


def _patch_ids() -> None:
    """moto names agents and knowledge bases `<name><8 chars>`; AWS ids are 10 alphanumerics,
    and the models' request patterns (``^[0-9a-zA-Z]{10}$``) reject moto's on the next call."""
    for cls, id_attr, arn_attr, kind in (
        (agent_models.Agent, "agent_id", "agent_arn", "agent"),
        (agent_models.KnowledgeBase, "knowledge_base_id", "knowledge_base_arn", "knowledge-base"),
    ):
        original = cls.__init__

        def __init__(self, *args, _original=original, _id_attr=id_attr, _arn_attr=arn_attr, _kind=kind, **kwargs):
            _original(self, *args, **kwargs)
            new_id = _id()
            setattr(self, _id_attr, new_id)
            setattr(self, _arn_attr, getattr(self, _arn_attr).rsplit("/", 1)[0] + "/" + new_id)

        cls.__init__ = __init__


def _patch_agents() -> None:
    original_create = AgentsforBedrockResponse.create_agent
    original_to_dict = agent_models.Agent.to_dict
    original_summary = agent_models.Agent.dict_summary

    def create_agent(self: AgentsforBedrockResponse) -> str:
        params = json.loads(self.body)
        try:
            _check("CreateAgent", params)
        except AgentError as err:
            return (
                json.dumps({"message": err.message}),
                {"status": err.status, "Content-Type": "application/json", "x-amzn-ErrorType": err.code},
            )
        out = original_create(self)
        data = json.loads(out)
        agent = self.bedrockagent_backend.agents[data["agent"]["agentId"]]
        agent.guardrail_configuration = params.get("guardrailConfiguration")
        return json.dumps({"agent": agent.to_dict()})

    def to_dict(self) -> dict[str, Any]:
        dct = original_to_dict(self)
        if getattr(self, "guardrail_configuration", None):
            dct["guardrailConfiguration"] = self.guardrail_configuration
        return dct

    def dict_summary(self) -> dict[str, Any]:
        dct = original_summary(self)
        if getattr(self, "guardrail_configuration", None):
            dct["guardrailConfiguration"] = self.guardrail_configuration
        return dct

    def get_agent(self: AgentsforBedrockResponse) -> str:
        # moto takes the id from path segment [-2], assuming the model's trailing slash
        # (`/agents/{agentId}/`); the Rust SDK sends `/agents/{agentId}` without it.
        agent_id = _uri(self, "agentId") or [p for p in self.path.split("?")[0].split("/") if p][-1]
        agent = self.bedrockagent_backend.get_agent(agent_id=agent_id)
        return json.dumps({"agent": agent.to_dict()})

    AgentsforBedrockResponse.create_agent = create_agent
    AgentsforBedrockResponse.get_agent = get_agent
    agent_models.Agent.to_dict = to_dict
    agent_models.Agent.dict_summary = dict_summary


def _patch_custom_models() -> None:
    job_cls = bedrock_models.ModelCustomizationJob
    original_init = job_cls.__init__

    def __init__(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        key = self.custom_model_kms_key_id
        if not key:
            self.output_model_kms_key_arn = None
        elif key.startswith("arn:"):
            self.output_model_kms_key_arn = key
        else:
            self.output_model_kms_key_arn = f"arn:aws:kms:{self.region_name}:{self.account_id}:" + (
                key if key.startswith("alias/") else f"key/{key}"
            )

    job_cls.__init__ = __init__

    def get_custom_model(self: BedrockResponse) -> str:
        # everything after /custom-models/, decoded: a name or a full (slash-containing) ARN
        raw = self.path.split("/custom-models/", 1)[-1].split("?", 1)[0]
        model = self.bedrock_backend.get_custom_model(model_identifier=unquote(raw))
        return json.dumps({k: v for k, v in model.to_dict().items() if v is not None})

    BedrockResponse.get_custom_model = get_custom_model


def _patch_bedrock_managed_policies() -> None:
    """Every real account has AWS's managed policies; moto loads them only with
    MOTO_IAM_LOAD_MANAGED_POLICIES (all ~1300, slow). Load the Bedrock ones regardless, from
    moto's own snapshot, so ``AttachRolePolicy(AmazonBedrockFullAccess)`` works as in AWS."""
    from moto.iam import models as iam_models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    original = iam_models.IAMBackend._init_aws_policies

    def _init_aws_policies(self):
        policies = original(self)
        if policies:
            return policies
        data = json.loads(aws_managed_policies_data)
        return [
            iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)
            for name, d in data.items()
            if name.startswith("AmazonBedrock")
        ]

    iam_models.IAMBackend._init_aws_policies = _init_aws_policies


_TIME_KEYS = {"createdAt", "updatedAt", "preparedAt", "creationTime", "lastModifiedTime", "endTime"}


def _iso_times(value: Any) -> Any:
    """moto writes these timestamps as epoch floats (bedrock-agent) or `YYYY-MM-DD HH:MM:SS`
    (bedrock); the models say ``timestampFormat: iso8601``, which the Rust SDK insists on."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _TIME_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool):
                v = _iso(_dt.datetime.fromtimestamp(v, _dt.timezone.utc))
            elif k in _TIME_KEYS and isinstance(v, str) and " " in v:
                v = v.replace(" ", "T") + "Z"
            out[k] = _iso_times(v)
        return out
    if isinstance(value, list):
        return [_iso_times(v) for v in value]
    return value


def _patch_timestamps() -> None:
    def wrap(cls, name: str) -> None:
        original = getattr(cls, name)

        def method(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            body = result[0] if isinstance(result, tuple) else result
            if not isinstance(body, str) or not body:
                return result
            try:
                fixed = json.dumps(_iso_times(json.loads(body)))
            except ValueError:
                return result
            return (fixed, *result[1:]) if isinstance(result, tuple) else fixed

        method.__name__ = name
        setattr(cls, name, method)

    for name in ("create_agent", "get_agent", "list_agents", "create_knowledge_base",
                 "get_knowledge_base", "list_knowledge_bases"):
        wrap(AgentsforBedrockResponse, name)
    for name in ("get_custom_model", "list_custom_models", "get_model_customization_job",
                 "list_model_customization_jobs"):
        wrap(BedrockResponse, name)


def _patch_kms_multi_region() -> None:
    """CreateKey's MultiRegion defaults to false and DescribeKey reports it for every key; moto
    returns null when the request omitted it."""
    from moto.kms import models as kms_models

    original = kms_models.Key.to_dict

    def to_dict(self):
        d = original(self)
        if d["KeyMetadata"].get("MultiRegion") is None:
            d["KeyMetadata"]["MultiRegion"] = False
        return d

    kms_models.Key.to_dict = to_dict


def install() -> None:
    _patch_bedrock_managed_policies()
    _patch_kms_multi_region()
    for fn in (create_data_source, get_data_source, list_data_sources, delete_data_source):
        setattr(AgentsforBedrockResponse, fn.__name__, fn)
    _patch_ids()
    _patch_agents()
    _patch_custom_models()
    _patch_timestamps()
