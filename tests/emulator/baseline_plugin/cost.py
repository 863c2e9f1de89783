"""What the cost module needs beyond moto 5.2.5.

AWS Budgets (moto has create/describe/delete of budgets and notifications):

* ``UpdateBudget``, ``UpdateNotification``, ``DescribeSubscribersForNotification``,
  ``CreateSubscriber``, ``DeleteSubscriber`` (missing).
* ``DescribeNotificationsForBudget`` of a budget that does not exist: ``NotFoundException``
  (botocore's budgets model lists it for the operation; moto fails with a 500, which
  clients retry with backoff).
* ``CreateBudget`` / ``CreateNotification``: requests validated against botocore's model
  first (moto accepts anything); ``ResourceTags`` kept so ``ListTagsForResource`` shows them.

Cost Explorer (moto has cost categories only): anomaly monitors and anomaly subscriptions,
``Create``/``Get``/``Update``/``Delete`` of both, with the rules the API reference states:

* every request is validated against botocore's ``ce`` model;
* ``DIMENSIONAL`` monitors need ``MonitorDimension``; ``CUSTOM`` ones ``MonitorSpecification``
  (AnomalyMonitor.MonitorType);
* a subscription's monitors must exist (``UnknownMonitorException``);
* notifications go "over email (for DAILY and WEEKLY frequencies) or SNS (for IMMEDIATE
  frequency)" (AnomalySubscription.Frequency): other subscriber types are refused;
* unknown ARNs give ``UnknownMonitorException`` / ``UnknownSubscriptionException``.

State is per account, in memory, like moto's own.
"""
from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from moto.core.exceptions import JsonRESTError

from .validation import format_problems, validate_request


class _Error(JsonRESTError):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(code, message)
        self.code = status


def _params(response) -> dict[str, Any]:
    try:
        data = json.loads(response.body or "{}")
    except ValueError:
        raise _Error("ValidationException", "Request body is not valid JSON")
    return data if isinstance(data, dict) else {}


def _validate(service: str, operation: str, params: dict) -> None:
    problems = validate_request(service, operation, params)
    if problems:
        raise _Error("ValidationException", format_problems(problems))


# --------------------------------------------------------------------------- budgets


def _budget(response, params):
    from moto.budgets.exceptions import NotFoundException

    backend = response.backend
    account = params.get("AccountId")
    name = params.get("BudgetName") or (params.get("NewBudget") or {}).get("BudgetName")
    budget = backend.budgets[account].get(name)
    if budget is None:
        raise NotFoundException(f"Unable to get budget: {name} - the budget doesn't exist.")
    return budget


def _same(a: dict, b: dict) -> bool:
    """Notifications are identified by type, operator, threshold and threshold type."""
    keys = ("NotificationType", "ComparisonOperator", "ThresholdType")
    return all(a.get(k, "PERCENTAGE" if k == "ThresholdType" else None)
               == b.get(k, "PERCENTAGE" if k == "ThresholdType" else None) for k in keys) \
        and float(a.get("Threshold", 0)) == float(b.get("Threshold", 0))


def _notification(budget, details: dict):
    from moto.budgets.exceptions import NotFoundException

    for n in budget.notifications:
        if _same(n.details, details):
            return n
    raise NotFoundException("Unable to find the notification: the notification doesn't exist.")


_BUDGET_TAGS: dict[tuple[str, str], list[dict]] = {}


def _install_budgets() -> None:
    from moto.budgets.exceptions import DuplicateRecordException
    from moto.budgets.responses import BudgetsResponse

    original_create = BudgetsResponse.create_budget
    original_create_notification = BudgetsResponse.create_notification
    original_delete = BudgetsResponse.delete_budget
    original_describe_notifications = BudgetsResponse.describe_notifications_for_budget

    def create_budget(self) -> str:
        params = _params(self)
        _validate("budgets", "CreateBudget", params)
        out = original_create(self)
        name = params["Budget"]["BudgetName"]
        _BUDGET_TAGS[(params["AccountId"], name)] = list(params.get("ResourceTags") or [])
        return out

    def delete_budget(self) -> str:
        params = _params(self)
        out = original_delete(self)
        _BUDGET_TAGS.pop((params.get("AccountId"), params.get("BudgetName")), None)
        return out

    def create_notification(self) -> str:
        params = _params(self)
        _validate("budgets", "CreateNotification", params)
        budget = _budget(self, params)
        for n in budget.notifications:
            if _same(n.details, params["Notification"]):
                raise DuplicateRecordException(record_type="notification",
                                               record_name=params["BudgetName"])
        return original_create_notification(self)

    def update_budget(self) -> str:
        params = _params(self)
        _validate("budgets", "UpdateBudget", params)
        budget = _budget(self, params)
        new = copy.deepcopy(params["NewBudget"])
        new.setdefault("TimePeriod", budget.budget.get("TimePeriod"))
        if "BudgetLimit" not in new and "PlannedBudgetLimits" not in new:
            new["BudgetLimit"] = budget.budget.get("BudgetLimit")
        budget.budget = new
        return "{}"

    def update_notification(self) -> str:
        params = _params(self)
        _validate("budgets", "UpdateNotification", params)
        budget = _budget(self, params)
        n = _notification(budget, params["OldNotification"])
        for other in budget.notifications:
            if other is not n and _same(other.details, params["NewNotification"]):
                raise DuplicateRecordException(record_type="notification",
                                               record_name=params["BudgetName"])
        n.details = copy.deepcopy(params["NewNotification"])
        return "{}"

    def describe_notifications_for_budget(self) -> str:
        _budget(self, _params(self))
        return original_describe_notifications(self)

    def describe_subscribers_for_notification(self) -> str:
        params = _params(self)
        _validate("budgets", "DescribeSubscribersForNotification", params)
        n = _notification(_budget(self, params), params["Notification"])
        return json.dumps({"Subscribers": list(n.subscribers)})

    def create_subscriber(self) -> str:
        params = _params(self)
        _validate("budgets", "CreateSubscriber", params)
        n = _notification(_budget(self, params), params["Notification"])
        sub = params["Subscriber"]
        if sub in n.subscribers:
            raise DuplicateRecordException(record_type="subscriber", record_name=sub["Address"])
        n.subscribers = list(n.subscribers) + [sub]
        return "{}"

    def delete_subscriber(self) -> str:
        from moto.budgets.exceptions import NotFoundException

        params = _params(self)
        _validate("budgets", "DeleteSubscriber", params)
        n = _notification(_budget(self, params), params["Notification"])
        sub = params["Subscriber"]
        if sub not in n.subscribers:
            raise NotFoundException("Unable to find the subscriber: it doesn't exist.")
        n.subscribers = [s for s in n.subscribers if s != sub]
        return "{}"

    def delete_notification(self) -> str:
        params = _params(self)
        _validate("budgets", "DeleteNotification", params)
        budget = _budget(self, params)
        n = _notification(budget, params["Notification"])
        budget.notifications = [x for x in budget.notifications if x is not n]
        return "{}"

    for fn in (create_budget, delete_budget, create_notification, delete_notification,
               update_budget,
               update_notification, describe_notifications_for_budget,
               describe_subscribers_for_notification, create_subscriber,
               delete_subscriber):
        setattr(BudgetsResponse, fn.__name__, fn)


# --------------------------------------------------------------------------- cost explorer

_MONITORS: dict[str, dict[str, dict]] = {}
_SUBSCRIPTIONS: dict[str, dict[str, dict]] = {}


def _account(response) -> str:
    return response.current_account


def _check_monitor(m: dict) -> None:
    if m.get("MonitorType") == "DIMENSIONAL" and not m.get("MonitorDimension"):
        raise _Error("ValidationException", "A DIMENSIONAL monitor needs MonitorDimension")
    if m.get("MonitorType") == "CUSTOM" and not m.get("MonitorSpecification"):
        raise _Error("ValidationException", "A CUSTOM monitor needs MonitorSpecification")


def _check_subscription(account: str, s: dict) -> None:
    monitors = _MONITORS.setdefault(account, {})
    for arn in s.get("MonitorArnList") or []:
        if arn not in monitors:
            raise _Error("UnknownMonitorException", f"Monitor {arn} does not exist")
    wanted = "SNS" if s.get("Frequency") == "IMMEDIATE" else "EMAIL"
    for sub in s.get("Subscribers") or []:
        if sub.get("Type") != wanted:
            raise _Error(
                "ValidationException",
                f"{s.get('Frequency')} subscriptions take {wanted} subscribers only, "
                f"not {sub.get('Type')} ({sub.get('Address')})",
            )


def _install_ce() -> None:
    from moto.ce.responses import CostExplorerResponse

    def _tag(self, arn: str, params: dict) -> None:
        tags = params.get("ResourceTags") or []
        if tags:
            self.ce_backend.tag_resource(arn, tags)

    def create_anomaly_monitor(self) -> str:
        params = _params(self)
        _validate("ce", "CreateAnomalyMonitor", params)
        m = copy.deepcopy(params["AnomalyMonitor"])
        _check_monitor(m)
        account = _account(self)
        arn = f"arn:aws:ce::{account}:anomalymonitor/{uuid.uuid4()}"
        m["MonitorArn"] = arn
        m.setdefault("CreationDate", "2026-01-01")
        m.setdefault("DimensionalValueCount", 0)
        _MONITORS.setdefault(account, {})[arn] = m
        _tag(self, arn, params)
        return json.dumps({"MonitorArn": arn})

    def get_anomaly_monitors(self) -> str:
        params = _params(self)
        _validate("ce", "GetAnomalyMonitors", params)
        monitors = _MONITORS.setdefault(_account(self), {})
        wanted = params.get("MonitorArnList")
        found = [m for arn, m in monitors.items() if not wanted or arn in wanted]
        if wanted and len(found) != len(wanted):
            raise _Error("UnknownMonitorException", "A requested monitor does not exist")
        return json.dumps({"AnomalyMonitors": found})

    def update_anomaly_monitor(self) -> str:
        params = _params(self)
        _validate("ce", "UpdateAnomalyMonitor", params)
        m = _MONITORS.setdefault(_account(self), {}).get(params["MonitorArn"])
        if m is None:
            raise _Error("UnknownMonitorException", f"Monitor {params['MonitorArn']} does not exist")
        if "MonitorName" in params:
            m["MonitorName"] = params["MonitorName"]
        return json.dumps({"MonitorArn": params["MonitorArn"]})

    def delete_anomaly_monitor(self) -> str:
        params = _params(self)
        _validate("ce", "DeleteAnomalyMonitor", params)
        if _MONITORS.setdefault(_account(self), {}).pop(params["MonitorArn"], None) is None:
            raise _Error("UnknownMonitorException", f"Monitor {params['MonitorArn']} does not exist")
        return "{}"

    def create_anomaly_subscription(self) -> str:
        params = _params(self)
        _validate("ce", "CreateAnomalySubscription", params)
        s = copy.deepcopy(params["AnomalySubscription"])
        account = _account(self)
        _check_subscription(account, s)
        arn = f"arn:aws:ce::{account}:anomalysubscription/{uuid.uuid4()}"
        s["SubscriptionArn"] = arn
        s["AccountId"] = account
        _SUBSCRIPTIONS.setdefault(account, {})[arn] = s
        _tag(self, arn, params)
        return json.dumps({"SubscriptionArn": arn})

    def get_anomaly_subscriptions(self) -> str:
        params = _params(self)
        _validate("ce", "GetAnomalySubscriptions", params)
        subs = _SUBSCRIPTIONS.setdefault(_account(self), {})
        wanted = params.get("SubscriptionArnList")
        monitor = params.get("MonitorArn")
        found = [s for arn, s in subs.items()
                 if (not wanted or arn in wanted)
                 and (not monitor or monitor in (s.get("MonitorArnList") or []))]
        return json.dumps({"AnomalySubscriptions": found})

    def update_anomaly_subscription(self) -> str:
        params = _params(self)
        _validate("ce", "UpdateAnomalySubscription", params)
        account = _account(self)
        s = _SUBSCRIPTIONS.setdefault(account, {}).get(params["SubscriptionArn"])
        if s is None:
            raise _Error("UnknownSubscriptionException",
                         f"Subscription {params['SubscriptionArn']} does not exist")
        new = copy.deepcopy(s)
        for key in ("Threshold", "Frequency", "MonitorArnList", "Subscribers",
                    "SubscriptionName", "ThresholdExpression"):
            if key in params:
                new[key] = copy.deepcopy(params[key])
        _check_subscription(account, new)
        s.clear()
        s.update(new)
        return json.dumps({"SubscriptionArn": params["SubscriptionArn"]})

    def delete_anomaly_subscription(self) -> str:
        params = _params(self)
        _validate("ce", "DeleteAnomalySubscription", params)
        if _SUBSCRIPTIONS.setdefault(_account(self), {}).pop(params["SubscriptionArn"], None) is None:
            raise _Error("UnknownSubscriptionException",
                         f"Subscription {params['SubscriptionArn']} does not exist")
        return "{}"

    for fn in (create_anomaly_monitor, get_anomaly_monitors, update_anomaly_monitor,
               delete_anomaly_monitor, create_anomaly_subscription, get_anomaly_subscriptions,
               update_anomaly_subscription, delete_anomaly_subscription):
        setattr(CostExplorerResponse, fn.__name__, fn)


def install() -> None:
    _install_budgets()
    _install_ce()
