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
    from . import (audit_reads, bedrock_agent, bedrock_guardrails, bedrock_inference_profiles, cloudwatch,
                   cost, events, logging_support, moto_fixes)

    moto_fixes.install()
    cloudwatch.install()
    events.install()
    bedrock_guardrails.install()
    bedrock_agent.install()
    audit_reads.install()
    bedrock_inference_profiles.install()
    logging_support.install()
    cost.install()
    _INSTALLED = True


def wrap(app: Callable) -> Callable:
    from . import calllog, cbor, faults

    # call log outermost so it times the whole request, including CBOR translation and any
    # injected delay
    return calllog.wrap(faults.wrap(cbor.wrap(app)))
