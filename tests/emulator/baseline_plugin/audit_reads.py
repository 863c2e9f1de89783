"""Reads the audit makes that moto 5.2.5 lacks, with stores so tests can seed them.

* bedrock-agent: prompts (CreatePrompt, GetPrompt, ListPrompts), flows (CreateFlow, GetFlow,
  ListFlows), ListAgentAliases, ListAgentActionGroups, ingestion jobs (StartIngestionJob
  completes at once, ListIngestionJobs).
* bedrock: ListImportedModels, ListModelInvocationJobs, ListEvaluationJobs, enforced guardrail
  configuration (PutEnforcedGuardrailConfiguration, ListEnforcedGuardrailsConfiguration), and
  ISO-8601 timestamps for the customization-job reads.
* iam: ListServiceSpecificCredentials (Bedrock API keys; none are ever created here).

Requests are validated against botocore's model like the rest of the plugin; responses use the
models' member names.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from moto.bedrock.responses import BedrockResponse
from moto.bedrockagent.responses import AgentsforBedrockResponse
from moto.iam.responses import IamResponse

from .bedrock_agent import _id, _now, _uri
from .rest import RestError, error_response, ok_response
from .validation import format_problems, validate_request

_STORES: dict[tuple[str, str], dict[str, Any]] = {}


class _Error(RestError):
    """An error answer of the reads served here."""


def _store(resp) -> dict[str, Any]:
    key = (resp.current_account, resp.region)
    return _STORES.setdefault(key, {"prompts": {}, "flows": {}, "ingestion": {}, "enforced": {}})


def _params(resp, uri_names: tuple[str, ...] = ()) -> dict:
    params: dict[str, Any] = {}
    if resp.body:
        try:
            data = json.loads(resp.body)
        except ValueError:
            raise _Error("ValidationException", "Request body is not valid JSON", 400)
        if isinstance(data, dict):
            params.update(data)
    query = parse_qs(urlparse(resp.uri).query)
    for k, v in query.items():
        params.setdefault(k, int(v[0]) if k == "maxResults" and v[0].isdigit() else v[0])
    for name in uri_names:
        params[name] = _uri(resp, name) or params.get(name, "")
    return params


def _handler(service: str, operation: str, uri_names: tuple[str, ...] = ()):
    def decorate(fn):
        def method(self):
            try:
                params = _params(self, uri_names)
                problems = validate_request(service, operation, params)
                if problems:
                    raise _Error("ValidationException", format_problems(problems), 400)
                data = fn(self, params)
            except _Error as err:
                return error_response(err)
            return ok_response(service, operation, json.dumps(data))
        method.__name__ = fn.__name__
        return method
    return decorate


def _page(items: list, params: dict, key: str) -> dict:
    start = int(params["nextToken"]) if str(params.get("nextToken") or "").isdigit() else 0
    size = int(params.get("maxResults") or 1000)
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["nextToken"] = str(start + size)
    return out


def _stored(resp, kind: str, identifier: str, what: str) -> dict:
    """The stored `kind` ("prompts", "flows") with this id or ARN; NotFound names it `what`."""
    ident = identifier.rsplit("/", 1)[-1]
    found = _store(resp)[kind].get(ident)
    if found is None:
        raise _Error("ResourceNotFoundException", f"{what} {ident} not found.", 404)
    return found


def _arn(resp, kind: str, ident: str) -> str:
    return f"arn:aws:bedrock:{resp.region}:{resp.current_account}:{kind}/{ident}"


# -- bedrock-agent ----------------------------------------------------------------------------

AGENT = "bedrock-agent"


@_handler(AGENT, "CreatePrompt")
def create_prompt(self, params: dict) -> dict:
    pid = _id()
    now = _now()
    prompt = {"id": pid, "arn": _arn(self, "prompt", pid), "name": params["name"], "version": "DRAFT",
              "createdAt": now, "updatedAt": now, "variants": params.get("variants", [])}
    for k in ("description", "customerEncryptionKeyArn", "defaultVariant"):
        if params.get(k) is not None:
            prompt[k] = params[k]
    _store(self)["prompts"][pid] = prompt
    _store(self).setdefault("tags", {})[prompt["arn"]] = dict(params.get("tags") or {})
    return prompt


@_handler(AGENT, "GetPrompt", ("promptIdentifier",))
def get_prompt(self, params: dict) -> dict:
    return _stored(self, "prompts", params["promptIdentifier"], "Prompt")


@_handler(AGENT, "ListPrompts")
def list_prompts(self, params: dict) -> dict:
    items = [{k: p[k] for k in ("id", "arn", "name", "version", "createdAt", "updatedAt")}
             for p in _store(self)["prompts"].values()]
    return _page(items, params, "promptSummaries")


@_handler(AGENT, "CreateFlow")
def create_flow(self, params: dict) -> dict:
    fid = _id()
    now = _now()
    flow = {"id": fid, "arn": _arn(self, "flow", fid), "name": params["name"], "version": "DRAFT",
            "status": "NotPrepared", "createdAt": now, "updatedAt": now,
            "executionRoleArn": params["executionRoleArn"]}
    for k in ("description", "customerEncryptionKeyArn", "definition"):
        if params.get(k) is not None:
            flow[k] = params[k]
    _store(self)["flows"][fid] = flow
    return flow


@_handler(AGENT, "GetFlow", ("flowIdentifier",))
def get_flow(self, params: dict) -> dict:
    return _stored(self, "flows", params["flowIdentifier"], "Flow")


@_handler(AGENT, "ListFlows")
def list_flows(self, params: dict) -> dict:
    items = [{k: f[k] for k in ("id", "arn", "name", "status", "version", "createdAt", "updatedAt")}
             for f in _store(self)["flows"].values()]
    return _page(items, params, "flowSummaries")


@_handler(AGENT, "ListAgentAliases", ("agentId",))
def list_agent_aliases(self, params: dict) -> dict:
    # No alias is ever created here: agents are only DRAFT.
    return _page([], params, "agentAliasSummaries")


@_handler(AGENT, "ListAgentActionGroups", ("agentId", "agentVersion"))
def list_agent_action_groups(self, params: dict) -> dict:
    return _page([], params, "actionGroupSummaries")


@_handler(AGENT, "StartIngestionJob", ("knowledgeBaseId", "dataSourceId"))
def start_ingestion_job(self, params: dict) -> dict:
    now = _now()
    job = {"knowledgeBaseId": params["knowledgeBaseId"], "dataSourceId": params["dataSourceId"],
           "ingestionJobId": _id(), "status": "COMPLETE", "startedAt": now, "updatedAt": now}
    _store(self)["ingestion"].setdefault((params["knowledgeBaseId"], params["dataSourceId"]), []).append(job)
    return {"ingestionJob": job}


@_handler(AGENT, "ListIngestionJobs", ("knowledgeBaseId", "dataSourceId"))
def list_ingestion_jobs(self, params: dict) -> dict:
    jobs = _store(self)["ingestion"].get((params["knowledgeBaseId"], params["dataSourceId"]), [])
    return _page(list(jobs), params, "ingestionJobSummaries")


# -- bedrock ----------------------------------------------------------------------------------

BEDROCK = "bedrock"


@_handler(BEDROCK, "ListImportedModels")
def list_imported_models(self, params: dict) -> dict:
    return _page([], params, "modelSummaries")


@_handler(BEDROCK, "ListModelInvocationJobs")
def list_model_invocation_jobs(self, params: dict) -> dict:
    return _page([], params, "invocationJobSummaries")


@_handler(BEDROCK, "ListEvaluationJobs")
def list_evaluation_jobs(self, params: dict) -> dict:
    return _page([], params, "jobSummaries")


@_handler(BEDROCK, "PutEnforcedGuardrailConfiguration")
def put_enforced_guardrail_configuration(self, params: dict) -> dict:
    enforced = _store(self)["enforced"]
    config_id = params.get("configId") or _id()
    inference = params["guardrailInferenceConfig"]
    enforced[config_id] = {"configId": config_id, "guardrailId": inference["guardrailIdentifier"],
                           "guardrailVersion": inference["guardrailVersion"],
                           "updatedAt": _now(), "createdAt": _now()}
    return {"configId": config_id, "updatedAt": _now(), "updatedBy": "seed"}


@_handler(BEDROCK, "ListEnforcedGuardrailsConfiguration")
def list_enforced_guardrails_configuration(self, params: dict) -> dict:
    return _page(list(_store(self)["enforced"].values()), params, "guardrailsConfig")


# -- iam --------------------------------------------------------------------------------------

def list_service_specific_credentials(self) -> str:
    problems = validate_request("iam", "ListServiceSpecificCredentials",
                                {k: v for k, v in (("UserName", self._get_param("UserName")),
                                                   ("ServiceName", self._get_param("ServiceName"))) if v})
    if problems:
        return (f"<ErrorResponse><Error><Code>ValidationError</Code><Message>{format_problems(problems)}"
                "</Message></Error></ErrorResponse>", {"status": 400})
    return ('<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            "<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials/>"
            "</ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>audit</RequestId>"
            "</ResponseMetadata></ListServiceSpecificCredentialsResponse>")


_ORIGINAL_LIST_TAGS = AgentsforBedrockResponse.list_tags_for_resource


def list_tags_for_resource(self):
    """Tags of the prompts stored here; moto's own resources otherwise."""
    arn = _uri(self, "resourceArn")
    tags = _store(self).get("tags", {})
    if arn in tags:
        return json.dumps({"tags": tags[arn]}), {"status": 200, "Content-Type": "application/json"}
    return _ORIGINAL_LIST_TAGS(self)


def install() -> None:
    AgentsforBedrockResponse.list_tags_for_resource = list_tags_for_resource
    for fn in (create_prompt, get_prompt, list_prompts, create_flow, get_flow, list_flows,
               list_agent_aliases, list_agent_action_groups, start_ingestion_job, list_ingestion_jobs):
        setattr(AgentsforBedrockResponse, fn.__name__, fn)
    for fn in (list_imported_models, list_model_invocation_jobs, list_evaluation_jobs,
               put_enforced_guardrail_configuration, list_enforced_guardrails_configuration):
        setattr(BedrockResponse, fn.__name__, fn)
    IamResponse.list_service_specific_credentials = list_service_specific_credentials
