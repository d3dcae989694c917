"""Invocations on behalf of other services (the `FunctionInvoker` port): S3 event notifications,
later IoT rule actions. They go through Invoke's own Event path (queued, retried as asynchronous
invocations are), and with ``--auth strict`` only when the function's resource policy lets the
service principal invoke it for the source's ARN and account (AddPermission's SourceArn and
SourceAccount conditions)."""

from __future__ import annotations

import uuid

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions.invoke_api import invoke
from headwater.services.functions.names import function_name
from headwater.services.functions.policy import Request, load
from headwater.services.functions.qualifiers import scoped_key
from headwater.services.functions.record import LATEST, FunctionRecord, record_key
from headwater.services.functions.service import FunctionsCore
from headwater.services.ports import DeliveryError


class EventInvoker:
    def __init__(self, core: FunctionsCore) -> None:
        self.core = core

    def _function(self, function_arn: str) -> tuple[FunctionRecord, str | None] | None:
        """The function and the qualifier (a version or an alias that exists) an ARN names."""
        parts = function_arn.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            return None
        try:
            name, qualifier = function_name(parts[6], parts[7] if len(parts) > 7 else None)
        except AwsError:
            return None
        record = self.core.functions.get(record_key(parts[4], parts[3], name))
        if record is None:
            return None
        if qualifier is None or qualifier == LATEST:
            return record, None
        found = (
            self.core.versions.get(record.key, qualifier)
            if qualifier.isdigit()
            else self.core.aliases.get(record.key, qualifier)
        )
        return None if found is None else (record, qualifier)

    def refusal(
        self, function_arn: str, *, principal: str, source_arn: str | None, source_account: str | None
    ) -> str | None:
        found = self._function(function_arn)
        if found is None:
            return f"Function not found: {function_arn}"
        if self.core.config.auth != "strict":
            return None
        record, qualifier = found
        # a qualified ARN is governed by that version's or alias's own policy, as on AWS
        policy = load(self.core.meta, scoped_key(record.key, qualifier))
        asked = Request(
            "lambda:InvokeFunction", principal, source_arn=source_arn, source_account=source_account
        )
        if policy is None or not policy.allows(asked):
            return f"{principal} is not authorized to invoke {function_arn}"
        return None

    async def invoke_event(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str | None,
        source_account: str | None,
    ) -> None:
        refused = self.refusal(
            function_arn, principal=principal, source_arn=source_arn, source_account=source_account
        )
        found = self._function(function_arn)
        if found is None or refused is not None:
            code = "ResourceNotFoundException" if found is None else "AccessDeniedException"
            raise DeliveryError(code, refused or "")
        record, qualifier = found
        ctx = RequestContext(account=record.account, region=record.region, request_id=str(uuid.uuid4()))
        params = {
            "FunctionName": record.name,
            "Qualifier": qualifier,
            "InvocationType": "Event",
            "Payload": payload,
        }
        try:
            await invoke(self.core, params, ctx)
        except AwsError as error:
            raise DeliveryError(error.code, error.message) from None
