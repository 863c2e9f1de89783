"""Small fixes to moto 5.2.5 behaviour that the baseline's modules rely on.

* S3 bucket policies: moto evaluates bucket-policy statements for object
  operations but ignores their ``Condition`` blocks, so the standard hardening
  statement ``Deny s3:* when aws:SecureTransport = false`` denied *every*
  PutObject/GetObject (HTTP 403).  Statements with conditions are now evaluated
  for ``aws:SecureTransport`` only, treating the emulator as the HTTPS endpoint
  it stands in for (``true``); statements with any other condition are skipped
  (moto cannot evaluate them, and skipping is the safer default for a stand-in).
* EC2 CreateVpcEndpoint: ``ClientToken`` idempotency (moto stored the token
  but created a new endpoint on every retry).
* S3 PutBucketLogging: moto's check that the target bucket's policy admits
  ``logging.s3.amazonaws.com`` called ``.get`` on every statement's
  ``Principal`` and failed with HTTP 500 on a ``"Principal": "*"`` statement
  (such as the standard TLS-only deny). Statements whose principal is not a map
  are now skipped by that check, as AWS ignores them for log delivery too.
"""
from __future__ import annotations

import json
from typing import Any


def _condition_applies(condition: dict) -> bool | None:
    """True/False if we can evaluate the condition block, None if not."""
    if not isinstance(condition, dict):
        return None
    result = True
    for operator, entries in condition.items():
        if operator not in ("Bool", "BoolIfExists") or not isinstance(entries, dict):
            return None
        for key, value in entries.items():
            if key.lower() != "aws:securetransport":
                return None
            values = value if isinstance(value, list) else [value]
            result = result and any(str(v).lower() == "true" for v in values)
    return result


def _filter_policy(policy: bytes | str) -> str:
    doc = json.loads(policy)
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for st in statements:
        if "Condition" not in st:
            kept.append(st)
            continue
        applies = _condition_applies(st["Condition"])
        if applies:
            st = {k: v for k, v in st.items() if k != "Condition"}
            kept.append(st)
    doc["Statement"] = kept
    return json.dumps(doc)


def install() -> None:
    from moto.ec2.models.vpcs import VPCBackend
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        from moto.iam.access_control import IAMPolicy, PermissionResult

        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = self.policy.decode() if isinstance(self.policy, bytes) else self.policy
        return IAMPolicy(_filter_policy(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission

    original_create = VPCBackend.create_vpc_endpoint

    def create_vpc_endpoint(self, *args: Any, **kwargs: Any):
        token = kwargs.get("client_token")
        if token:
            for endpoint in self.vpc_end_points.values():
                if getattr(endpoint, "client_token", None) == token and str(
                    getattr(endpoint, "state", "available")
                ).lower() not in ("deleted", "deleting"):
                    return endpoint
        return original_create(self, *args, **kwargs)

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint

    original_log_check = FakeBucket._log_permissions_enabled_policy

    def log_permissions_enabled_policy(target_bucket: FakeBucket, target_prefix: Any) -> bool:
        policy = target_bucket.policy
        if not policy:
            return False
        doc = json.loads(policy.decode() if isinstance(policy, bytes) else policy)
        statements = doc.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        mapped = [st for st in statements if isinstance(st.get("Principal", {}), dict)]
        if len(mapped) == len(statements):
            return original_log_check(target_bucket, target_prefix)
        # Re-run moto's own check on the statements it can read, without touching the bucket.
        class _View:
            pass

        view = _View()
        view.policy = json.dumps({**doc, "Statement": mapped}).encode()
        view.partition = target_bucket.partition
        view.name = target_bucket.name
        return original_log_check(view, target_prefix)

    FakeBucket._log_permissions_enabled_policy = staticmethod(log_permissions_enabled_policy)
