"""Topic rules and topic rule destinations as they are stored and answered.

A rule keeps its TopicRulePayload as given (actions and errorAction are the API's own dicts, so
GetTopicRule answers them back unchanged) plus what Headwater adds: the creation time and the
compiled SQL (not stored: compiled again at start-up).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.iot.rules.contracts import CompiledSql

Doc = dict[str, Any]

DEFAULT_SQL_VERSION = "2015-10-08"  # what AWS applies when awsIotSqlVersion is absent
SQL_VERSIONS = ("2015-10-08", "2016-03-23", "beta")
RULE_NAME = re.compile(r"[a-zA-Z0-9_]{1,128}")
MAX_ACTIONS = 10
# the action kinds Headwater delivers; any other kind is refused at CreateTopicRule
SUPPORTED = ("kinesis", "firehose", "sqs", "s3", "lambda", "republish", "cloudwatchLogs", "http")
# the field each kind names its target with (failedResource in the error payload)
RESOURCE_FIELD = {
    "kinesis": "streamName",
    "firehose": "deliveryStreamName",
    "sqs": "queueUrl",
    "s3": "bucketName",
    "lambda": "functionArn",
    "republish": "topic",
    "cloudwatchLogs": "logGroupName",
    "http": "url",
}
# the action names the error payload's failedAction uses
ACTION_NAMES = {
    "kinesis": "KinesisAction",
    "firehose": "FirehoseAction",
    "sqs": "SqsAction",
    "s3": "S3Action",
    "lambda": "LambdaAction",
    "republish": "RepublishAction",
    "cloudwatchLogs": "CloudwatchLogsAction",
    "http": "HttpAction",
}


@dataclass(frozen=True, slots=True)
class Step:
    slot: str  # the outbox: the action's index
    kind: str
    spec: Doc
    templated: frozenset[str]
    key: tuple[str, str, str, str] = ("", "", "", "")  # (account, region, rule, slot): its outbox


def invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message)


def rule_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:iot:{region}:{account}:rule/{name}"


@dataclass(slots=True)
class TopicRule:
    account: str
    region: str
    name: str
    payload: Doc  # TopicRulePayload as given (sql, description, actions, ruleDisabled, ...)
    created: float  # epoch seconds
    compiled: CompiledSql | None = field(default=None, compare=False)
    _steps: list[Step] | None = field(default=None, compare=False, repr=False)

    def steps(self) -> list[Step]:
        """The actions as the runtime runs them, worked out once: (outbox slot, kind, fields, the
        fields holding `${` templates)."""
        if self._steps is None:
            steps = []
            for index, action in enumerate(self.actions):
                kind = action_kind(action)
                spec = action[kind]
                templated = frozenset(key for key, value in spec.items() if "${" in json.dumps(value))
                key = (self.account, self.region, self.name, str(index))
                steps.append(Step(str(index), kind, spec, templated, key))
            self._steps = steps
        return self._steps

    @property
    def arn(self) -> str:
        return rule_arn(self.account, self.region, self.name)

    @property
    def sql(self) -> str:
        return str(self.payload.get("sql", ""))

    @property
    def version(self) -> str:
        return str(self.payload.get("awsIotSqlVersion") or DEFAULT_SQL_VERSION)

    @property
    def disabled(self) -> bool:
        return bool(self.payload.get("ruleDisabled", False))

    @property
    def actions(self) -> list[Doc]:
        return list(self.payload.get("actions") or [])

    @property
    def error_action(self) -> Doc | None:
        action = self.payload.get("errorAction")
        return action if isinstance(action, dict) and action else None

    @property
    def topic_pattern(self) -> str:
        topic = self.compiled.topic_filter if self.compiled is not None else None
        return topic or ""

    def document(self) -> Doc:
        """GetTopicRule's `rule`."""
        doc: Doc = {
            "ruleName": self.name,
            "sql": self.sql,
            "createdAt": self.created,
            "actions": self.actions,
            "ruleDisabled": self.disabled,
            "awsIotSqlVersion": self.version,
        }
        if "description" in self.payload:
            doc["description"] = self.payload["description"]
        if self.error_action is not None:
            doc["errorAction"] = self.error_action
        return doc

    def list_item(self) -> Doc:
        return {
            "ruleArn": self.arn,
            "ruleName": self.name,
            "topicPattern": self.topic_pattern,
            "createdAt": self.created,
            "ruleDisabled": self.disabled,
        }

    def encode(self) -> bytes:
        return json.dumps({"payload": self.payload, "created": self.created}).encode()

    @classmethod
    def decode(cls, account: str, region: str, name: str, raw: bytes) -> TopicRule:
        doc = json.loads(raw)
        return cls(account, region, name, doc["payload"], doc["created"])


def action_kind(action: Doc) -> str:
    """The one kind an Action names ("kinesis", "sqs"...); InvalidRequestException otherwise."""
    kinds = [key for key, value in action.items() if value is not None]
    if len(kinds) != 1:
        raise invalid("Exactly one action type must be specified per action.")
    kind = kinds[0]
    if kind not in SUPPORTED:
        raise invalid(f"Headwater does not deliver {kind} actions; supported: {', '.join(SUPPORTED)}.")
    body = action[kind]
    if not isinstance(body, dict):
        raise invalid(f"The {kind} action must be an object.")
    return kind


def check_payload(payload: Doc) -> None:
    """What the model does not check: action shapes, the SQL version, Firehose's separator."""
    version = payload.get("awsIotSqlVersion")
    if version is not None and version not in SQL_VERSIONS:
        raise invalid(f"Invalid SQL version: {version}. Supported versions: {', '.join(SQL_VERSIONS)}.")
    actions = payload.get("actions") or []
    if len(actions) > MAX_ACTIONS:
        raise invalid(f"The number of actions ({len(actions)}) exceeds the maximum of {MAX_ACTIONS}.")
    for action in [*actions, *([payload["errorAction"]] if payload.get("errorAction") else [])]:
        kind = action_kind(action)
        if kind == "republish":
            qos = action[kind].get("qos", 0)
            if qos not in (0, 1):
                raise invalid("The republish action's qos must be 0 or 1.")


@dataclass(slots=True)
class Destination:
    """A topic rule destination (HTTP URLs only: what Headwater's http action needs)."""

    account: str
    region: str
    arn: str
    confirmation_url: str
    status: str  # ENABLED, IN_PROGRESS, DISABLED, ERROR
    token: str
    created: float
    updated: float
    reason: str = ""

    def document(self) -> Doc:
        doc: Doc = {
            "arn": self.arn,
            "status": self.status,
            "createdAt": self.created,
            "lastUpdatedAt": self.updated,
            "httpUrlProperties": {"confirmationUrl": self.confirmation_url},
        }
        if self.reason:
            doc["statusReason"] = self.reason
        return doc

    def summary(self) -> Doc:
        doc = self.document()
        doc["httpUrlSummary"] = doc.pop("httpUrlProperties")
        return doc

    def encode(self) -> bytes:
        return json.dumps(
            {
                "account": self.account,
                "region": self.region,
                "arn": self.arn,
                "url": self.confirmation_url,
                "status": self.status,
                "token": self.token,
                "created": self.created,
                "updated": self.updated,
                "reason": self.reason,
            }
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Destination:
        d = json.loads(raw)
        return cls(
            d["account"],
            d["region"],
            d["arn"],
            d["url"],
            d["status"],
            d["token"],
            d["created"],
            d["updated"],
            d.get("reason", ""),
        )
