"""VPC endpoint services moto 5.2.5 does not list, and regions that do not offer one.

moto's ``AWS_ENDPOINT_SERVICES`` (the default services DescribeVpcEndpointServices returns in
every region) predates ``com.amazonaws.<region>.bedrock-mantle``, Bedrock's OpenAI-compatible
endpoint (https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html).
``install()`` adds it, so the service is listed like the other Bedrock services, with the same
default shape (Interface, private DNS name ``bedrock-mantle.<region>.amazonaws.com``).

Real regions differ in what they offer. A test makes a region withhold services with the admin
API (no AWS call):

``PUT /_baseline/endpoint-services/<region>`` with ``{"withheld": ["bedrock-mantle"]}``: in that
region DescribeVpcEndpointServices leaves the services out (a ``service-name`` filter then
matches nothing; ``ServiceNames=[...]`` naming one is ``InvalidServiceName``, as AWS answers) and
CreateVpcEndpoint for one is ``InvalidServiceName``. ``DELETE`` restores the region;
``GET`` returns ``{"withheld": [...]}``.
"""
from __future__ import annotations

import json
import re
import threading
from typing import Any, Callable

from .rest import wsgi_json

ADDED_SERVICES = ["bedrock-mantle"]
_LOCK = threading.Lock()
_WITHHELD: dict[str, set[str]] = {}
PATH = re.compile(r"^/_baseline/endpoint-services/([a-z0-9-]+)/?$")


def withheld(region: str) -> set[str]:
    with _LOCK:
        return {f"com.amazonaws.{region}.{s}" for s in _WITHHELD.get(region, set())}


def install() -> None:
    from moto.ec2.exceptions import InvalidServiceName
    from moto.ec2.models import vpcs
    from moto.ec2.models.vpcs import VPCBackend

    for service in ADDED_SERVICES:
        if service not in vpcs.AWS_ENDPOINT_SERVICES:
            vpcs.AWS_ENDPOINT_SERVICES.append(service)
    # Regions already collected (none at install time, but be safe) are collected again.
    vpcs.DEFAULT_VPC_ENDPOINT_SERVICES.clear()

    original_describe = VPCBackend.describe_vpc_endpoint_services

    def describe_vpc_endpoint_services(self, service_names, filters, max_results, next_token, region):
        hidden = withheld(region)
        for name in service_names or []:
            if name in hidden:
                raise InvalidServiceName(name)
        # moto 5.2.5 reads a filter's values from "Value", but its query parser hands over
        # "Values" (the API's name): every filtered call failed with a KeyError. Give both.
        filters = [{**f, "Value": f.get("Value", f.get("Values", []))} for f in filters or []]
        out = original_describe(self, service_names, filters, max_results, next_token, region)
        if hidden:
            out = dict(out)
            out["servicesDetails"] = [s for s in out["servicesDetails"] if s["ServiceName"] not in hidden]
            out["serviceNames"] = [n for n in out["serviceNames"] if n not in hidden]
        return out

    VPCBackend.describe_vpc_endpoint_services = describe_vpc_endpoint_services

    original_create = VPCBackend.create_vpc_endpoint

    def create_vpc_endpoint(self, *args: Any, **kwargs: Any):
        service_name = kwargs.get("service_name", args[1] if len(args) > 1 else None)
        if service_name in withheld(self.region_name):
            raise InvalidServiceName(service_name)
        return original_create(self, *args, **kwargs)

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint


def wrap(app: Callable) -> Callable:
    def endpoint_services_app(environ: dict, start_response: Callable):
        m = PATH.match(environ.get("PATH_INFO", ""))
        if not m:
            return app(environ, start_response)
        region, method = m.group(1), environ.get("REQUEST_METHOD")
        if method == "PUT":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
            services = spec.get("withheld") or []
            if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
                return wsgi_json(start_response, "400 Bad Request", {"message": "withheld: a list of service keys"})
            with _LOCK:
                _WITHHELD[region] = set(services)
        elif method == "DELETE":
            with _LOCK:
                _WITHHELD.pop(region, None)
        with _LOCK:
            return wsgi_json(start_response, "200 OK", {"withheld": sorted(_WITHHELD.get(region, set()))})

    return endpoint_services_app
