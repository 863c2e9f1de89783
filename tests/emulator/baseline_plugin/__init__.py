"""bedrock-baseline plugin for moto: fills the gaps of the pinned moto release.

``install()`` patches moto's response classes (call it before the server
starts); ``wrap(app)`` adds the WSGI layers (call log, smithy-rpc-v2-cbor).
"""
from __future__ import annotations

from typing import Callable

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    from . import (audit_reads, bedrock_agent, bedrock_guardrails, bedrock_inference_profiles,
                   cloudwatch, cost, endpoint_services, events, logging_support, logs_queries,
                   moto_fixes, s3_metrics)

    moto_fixes.install()
    endpoint_services.install()
    cloudwatch.install()
    events.install()
    bedrock_guardrails.install()
    bedrock_agent.install()
    audit_reads.install()
    bedrock_inference_profiles.install()
    logging_support.install()
    logs_queries.install()
    s3_metrics.install()
    cost.install()
    _INSTALLED = True


def wrap(app: Callable) -> Callable:
    from . import calllog, cbor, endpoint_services, faults

    # call log outermost so it times the whole request, including CBOR translation and any
    # injected delay
    return calllog.wrap(faults.wrap(endpoint_services.wrap(cbor.wrap(app))))
