"""What the logging module needs beyond moto 5.2.5.

* CloudWatch Logs ``AssociateKmsKey`` / ``DisassociateKmsKey`` (missing).
* S3 ``GetBucketVersioning``: moto's generic serializer names the response root
  ``GetBucketVersioningResponse``; S3 (and the Rust SDK's strict XML parser,
  which fails with an unnamed error otherwise) use ``VersioningConfiguration``.
  boto3 does not check the root name, so boto3-based checks never noticed.
* S3 ``GetBucketNotificationConfiguration``: moto stores ``EventBridgeConfiguration`` from
  the Put but never returns it, and answers an empty configuration with the root
  ``GetBucketNotificationResponse``. The response gets the ``NotificationConfiguration`` root
  and, when delivery to EventBridge is on, its empty ``EventBridgeConfiguration`` element, as
  S3 answers (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html).
* S3 ``GetBucketReplication``: moto stores the whole configuration from the Put but answers
  every rule with a fixed ``Filter`` and ``DeleteMarkerReplication`` and without
  ``SourceSelectionCriteria``, so a rule replicating SSE-KMS objects reads back as one that does
  not. The rules are answered as stored, the fields GetBucketReplication documents
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html).

AssociateKmsKey:

A log group's KMS key can only be changed in place through these two
operations (CreateLogGroup takes ``kmsKeyId`` once), so the logging module
repairs a drifted key with ``AssociateKmsKey``.  Behaviour follows the API
reference: ``logGroupName`` (or ``resourceIdentifier``, a log group ARN) must
name an existing group, else ``ResourceNotFoundException``; associate needs
``kmsKeyId`` (a KMS key ARN); disassociate clears it.  ``DescribeLogGroups``
then shows (or omits) ``kmsKeyId``, as moto already does.
"""
from __future__ import annotations


def _group_name(response) -> str | None:
    name = response._get_param("logGroupName")
    if name:
        return name
    ident = response._get_param("resourceIdentifier") or ""
    # arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]
    marker = ":log-group:"
    if marker in ident:
        name = ident.split(marker, 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return None


def _install_s3_versioning_root() -> None:
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_versioning

    def get_bucket_versioning(self):
        status, headers, body = original(self)
        if isinstance(body, bytes):
            body = body.replace(b"GetBucketVersioningResponse", b"VersioningConfiguration")
        elif isinstance(body, str):
            body = body.replace("GetBucketVersioningResponse", "VersioningConfiguration")
        return status, headers, body

    S3Response.get_bucket_versioning = get_bucket_versioning


def _install_s3_notification_eventbridge() -> None:
    import xml.etree.ElementTree as ET

    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_notification
    ns = "http://s3.amazonaws.com/doc/2006-03-01/"

    def get_bucket_notification(self):
        status, headers, body = original(self)
        text = body.decode() if isinstance(body, bytes) else body
        if not isinstance(text, str) or not text.strip():
            return status, headers, body
        root = ET.fromstring(text)
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        out = ET.Element(f"{{{ns}}}NotificationConfiguration")
        out.extend(list(root))
        if config is not None and getattr(config, "event_bridge", None) is not None:
            ET.SubElement(out, f"{{{ns}}}EventBridgeConfiguration")
        ET.register_namespace("", ns)
        xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(out, encoding="unicode")
        headers = dict(headers or {})
        headers.pop("content-length", None)
        headers.pop("Content-Length", None)
        return status, headers, xml.encode() if isinstance(body, bytes) else xml

    S3Response.get_bucket_notification = get_bucket_notification


def _install_s3_replication_as_stored() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError
    from moto.s3.responses import S3Response

    fields = ("ID", "Priority", "Filter", "Prefix", "Status", "SourceSelectionCriteria",
              "ExistingObjectReplication", "Destination", "DeleteMarkerReplication")

    def get_bucket_replication(self):
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = []
        for rule in replication["Rule"]:
            out = {k: rule[k] for k in fields if rule.get(k) is not None}
            # xmltodict reads an empty <Prefix/> as None: S3 answers it as "".
            if isinstance(rule.get("Filter"), dict) or "Filter" in rule:
                flt = rule.get("Filter") or {}
                out["Filter"] = {k: ("" if v is None else v) for k, v in flt.items()} or {"Prefix": ""}
            out["Priority"] = int(out.get("Priority", 1))
            rules.append(out)
        return self.serialized(
            ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}})
        )

    S3Response.get_bucket_replication = get_bucket_replication


def install() -> None:
    _install_s3_versioning_root()
    _install_s3_notification_eventbridge()
    _install_s3_replication_as_stored()
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    def _group(self):
        name = _group_name(self)
        if not name or name not in self.logs_backend.groups:
            raise ResourceNotFoundException()
        return self.logs_backend.groups[name]

    def associate_kms_key(self) -> str:
        group = _group(self)
        key = self._get_param("kmsKeyId")
        if not key or not str(key).startswith("arn:"):
            raise InvalidParameterException(
                msg="kmsKeyId must be the ARN of a KMS key"
            )
        group.kms_key_id = key
        return ""

    def disassociate_kms_key(self) -> str:
        group = _group(self)
        group.kms_key_id = None
        return ""

    LogsResponse.associate_kms_key = associate_kms_key
    LogsResponse.disassociate_kms_key = disassociate_kms_key
