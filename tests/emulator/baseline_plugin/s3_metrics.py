"""S3 bucket request-metrics configurations, which moto 5.2.5 lacks.

``PUT|GET|DELETE /<bucket>?metrics&id=<id>`` (PutBucketMetricsConfiguration,
GetBucketMetricsConfiguration, DeleteBucketMetricsConfiguration), as the S3 API reference
describes them:

* PUT takes a ``MetricsConfiguration`` document whose ``Id`` must equal the ``id`` query
  parameter; ``Filter`` is optional (absent: the whole bucket). The request is validated
  against botocore's ``s3`` model (``Id`` length and characters among others); a bucket has
  at most 1,000 configurations ("Creating a CloudWatch metrics configuration for all the
  objects in your bucket", S3 user guide).
* GET returns the stored document, ``404 NoSuchConfiguration`` when there is none.
* DELETE answers ``204``; ``404 NoSuchConfiguration`` when there is none.
* An unknown bucket is ``404 NoSuchBucket`` (moto's own error).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from moto.s3.responses import S3Response

from .validation import format_problems, validate_request

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_CONFIGURATIONS = 1000
# PutBucketMetricsConfiguration: "The ID has a 64 character limit and can only contain letters,
# numbers, periods, dashes, and underscores." (the botocore model carries no pattern for it)
ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _error(status: int, code: str, message: str):
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")
    return status, {"Content-Type": "application/xml"}, body


def _store(response, bucket_name: str) -> dict:
    bucket = response.backend.get_bucket(bucket_name)  # NoSuchBucket when missing
    if not hasattr(bucket, "baseline_metrics_configurations"):
        bucket.baseline_metrics_configurations = {}
    return bucket.baseline_metrics_configurations


def _strip(tag: str) -> str:
    return tag.split("}", 1)[-1]


def _to_dict(el: ET.Element):
    children = list(el)
    if not children:
        return el.text or ""
    out: dict = {}
    for c in children:
        out[_strip(c.tag)] = _to_dict(c)
    return out


def _put(self, bucket_name: str, querystring: dict):
    cid = (querystring.get("id") or [""])[0]
    body = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return _error(400, "MalformedXML", "The XML you provided was not well-formed")
    doc = _to_dict(root) if _strip(root.tag) == "MetricsConfiguration" else None
    if not isinstance(doc, dict):
        return _error(400, "MalformedXML", "expected a MetricsConfiguration document")
    params = {"Bucket": bucket_name, "Id": cid, "MetricsConfiguration": doc}
    problems = validate_request("s3", "PutBucketMetricsConfiguration", params)
    if not ID_RE.match(cid):
        problems.append("Id: up to 64 letters, numbers, periods, dashes and underscores")
    if doc.get("Id") != cid:
        problems.append("MetricsConfiguration.Id must equal the id query parameter")
    if problems:
        return _error(400, "InvalidArgument", format_problems(problems))
    store = _store(self, bucket_name)
    if cid not in store and len(store) >= MAX_CONFIGURATIONS:
        return _error(400, "TooManyConfigurations", "at most 1000 metrics configurations")
    store[cid] = body
    return 200, {}, ""


def _get(self, bucket_name: str, querystring: dict):
    cid = (querystring.get("id") or [""])[0]
    store = _store(self, bucket_name)
    if cid not in store:
        return _error(404, "NoSuchConfiguration", "The specified configuration does not exist.")
    root = ET.fromstring(store[cid])
    ET.register_namespace("", NS)
    doc = _to_dict(root)
    out = [f'<?xml version="1.0" encoding="UTF-8"?><MetricsConfiguration xmlns="{NS}">',
           f"<Id>{doc['Id']}</Id>"]
    flt = next((c for c in root if _strip(c.tag) == "Filter"), None)
    if flt is not None:
        inner = "".join(ET.tostring(c, encoding="unicode") for c in flt)
        out.append(f"<Filter>{inner}</Filter>")
    out.append("</MetricsConfiguration>")
    return 200, {"Content-Type": "application/xml"}, "".join(out)


def _delete(self, bucket_name: str, querystring: dict):
    cid = (querystring.get("id") or [""])[0]
    store = _store(self, bucket_name)
    if cid not in store:
        return _error(404, "NoSuchConfiguration", "The specified configuration does not exist.")
    del store[cid]
    return 204, {}, ""


def install() -> None:
    get, put, delete = (S3Response._bucket_response_get, S3Response._bucket_response_put,
                        S3Response._bucket_response_delete)

    def bucket_get(self, bucket_name, querystring):
        if "metrics" in querystring:
            self._set_action("BUCKET", "GET", querystring)
            return _get(self, bucket_name, querystring)
        return get(self, bucket_name, querystring)

    def bucket_put(self, request, bucket_name, querystring):
        if "metrics" in querystring:
            self._set_action("BUCKET", "PUT", querystring)
            return _put(self, bucket_name, querystring)
        return put(self, request, bucket_name, querystring)

    def bucket_delete(self, bucket_name, querystring):
        if "metrics" in querystring:
            self._set_action("BUCKET", "DELETE", querystring)
            return _delete(self, bucket_name, querystring)
        return delete(self, bucket_name, querystring)

    S3Response._bucket_response_get = bucket_get
    S3Response._bucket_response_put = bucket_put
    S3Response._bucket_response_delete = bucket_delete
