"""Synchronous invocations on behalf of other services (the `FunctionCaller` port): Firehose's
Lambda transformation, later IoT SQL's aws_lambda().

They run through Invoke's own RequestResponse path (`invoke_api.invoke`), so the payload limits,
the function's state, reserved and account concurrency (TooManyRequestsException) and the
timeout are exactly those a client's Invoke meets. A qualified ARN (version or alias) runs that
qualifier. A refusal before the function runs raises DeliveryError with Lambda's error code; a
function that fails answers an outcome whose `function_error` is "Unhandled".

With ``--auth strict`` the caller's `principal` says how AWS authorizes the call:
- a service principal (``iot.amazonaws.com``): the function's resource policy must let it invoke
  for the source's ARN and account, as for `EventInvoker`;
- an IAM role ARN (Firehose invokes with the role it was given): the role's identity policy
  decides in AWS, and Headwater does not evaluate identity policies, so a role of the function's
  own account may invoke; a role of another account also needs the resource policy to name that
  account, as cross-account access does.
"""

from __future__ import annotations

import uuid

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions.invoke_api import invoke
from headwater.services.functions.names import function_name
from headwater.services.functions.policy import Request, load
from headwater.services.functions.record import record_key
from headwater.services.functions.service import FunctionsCore
from headwater.services.ports import DeliveryError, InvokeOutcome


class SyncCaller:
    def __init__(self, core: FunctionsCore) -> None:
        self.core = core

    async def invoke(
        self, function_arn: str, payload: bytes, *, principal: str, source_arn: str | None = None
    ) -> InvokeOutcome:
        parts = function_arn.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise DeliveryError("ResourceNotFoundException", f"Function not found: {function_arn}")
        account, region = parts[4], parts[3]
        try:
            name, qualifier = function_name(parts[6], parts[7] if len(parts) == 8 else None)
        except AwsError as error:
            raise DeliveryError(error.code, error.message) from None
        if self.core.functions.get(record_key(account, region, name)) is None:
            raise DeliveryError("ResourceNotFoundException", f"Function not found: {function_arn}")
        self._authorize(record_key(account, region, name), function_arn, principal, source_arn)
        ctx = RequestContext(account=account, region=region, request_id=str(uuid.uuid4()))
        params: dict[str, object] = {"FunctionName": name, "Payload": payload}
        if qualifier is not None:
            params["Qualifier"] = qualifier
        try:
            answer = await invoke(self.core, params, ctx)
        except AwsError as error:
            raise DeliveryError(error.code, error.message) from None
        return InvokeOutcome(
            status=int(answer["StatusCode"]),
            payload=bytes(answer.get("Payload") or b""),
            function_error=answer.get("FunctionError"),
            executed_version=str(answer.get("ExecutedVersion", "$LATEST")),
        )

    def _authorize(self, key: str, function_arn: str, principal: str, source_arn: str | None) -> None:
        if self.core.config.auth != "strict":
            return
        if principal.startswith("arn:"):  # an IAM role: identity-based, as Firehose's
            role_account = principal.split(":")[4] if principal.count(":") >= 5 else ""
            if role_account == key.split("/", 1)[0]:
                return
            principal = role_account or principal  # cross-account: the resource policy decides
        # a service's ARN names its account in the fifth field (S3 bucket ARNs do not: then None)
        fields = (source_arn or "").split(":")
        source_account = fields[4] if len(fields) > 4 and fields[4] else None
        asked = Request(
            "lambda:InvokeFunction", principal, source_arn=source_arn, source_account=source_account
        )
        policy = load(self.core.meta, key)
        if policy is None or not policy.allows(asked):
            raise DeliveryError(
                "AccessDeniedException", f"{principal} is not authorized to invoke {function_arn}"
            )
