"""Ports of identity and compute: who signed (STS), logs, roles, the Lambda runtime channel, function
invocation and URLs (offered by STS, CloudWatch Logs, IAM and functions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from headwater.protocol.lambda_runtime import Call


@dataclass(frozen=True, slots=True)
class Identity:
    """Temporary credentials a service issued (STS), and the principal they act as.

    A request signed with `access_key` acts in `account`; with `--auth strict` it must be signed with
    `secret`, carry `session_token` (``X-Amz-Security-Token``), and arrive before `expires`.
    """

    access_key: str
    secret: str
    session_token: str
    account: str
    arn: str  # the principal (arn:aws:sts::<account>:assumed-role/<role>/<session>, ...)
    user_id: str  # GetCallerIdentity's UserId (AROA...:<session>, or the account id for root sessions)
    expires: float  # epoch seconds
    kind: str  # "assumed-role", "federated-user" or "session" (GetSessionToken)


class Identities(Protocol):
    """Who an access key id belongs to, for the keys a service issued (the STS service offers it).

    The listeners ask it before they fall back to the configured rule (a 12-digit key id is its own
    account, any other key the default one), so issued keys act in their role's account."""

    def lookup(self, access_key: str) -> Identity | None: ...


class LogSink(Protocol):
    """Writes events into CloudWatch Logs groups and streams (the logs service offers it): function
    output and REPORT lines, later Firehose and IoT error logging."""

    async def put(
        self,
        account: str,
        region: str,
        group: str,
        stream: str,
        events: Sequence[tuple[int, str]],
    ) -> None:
        """Appends (timestamp in epoch ms, message) events in order, creating the group and the
        stream when absent; the events are durable when it returns."""
        ...


class Roles(Protocol):
    """IAM roles by ARN (the iam service offers it): what a service that assumes a role (Lambda's
    execution role) checks before accepting it. Roles are stored, not evaluated for permissions."""

    def trust_policy(self, role_arn: str) -> str | None:
        """The role's AssumeRolePolicyDocument (JSON text) when the role exists, else None."""
        ...


class RoleSessions(Protocol):
    """Temporary credentials for a role, issued on a service's behalf (STS offers it): what a service
    that acts as a role outside Headwater uses (an IoT rule's http action signs with SigV4 as its
    `roleArn`). The credentials are real: signed requests with them reach Headwater as the role."""

    async def assume(self, role_arn: str, session_name: str, duration_s: int) -> Identity | None:
        """New credentials acting as the role, durable on return; None when `role_arn` names no role."""
        ...


# how a runtime's waiting ``next`` receives its event: the payload and the ``Lambda-Runtime-*`` headers
Deliver = Callable[[bytes, list[tuple[str, str]]], None]


class RuntimeChannel(Protocol):
    """One function worker's side of the Lambda Runtime API: the runtime API listener calls it for
    every request that arrives at that worker's address (the functions service implements it)."""

    def park(self, deliver: Deliver) -> Callable[[], None]:
        """A runtime's ``next``: `deliver` is called once with the worker's next invocation, at once
        when one waits, else from the call that hands the worker one (so the event is written
        without a turn of the event loop). Returns what withdraws the wait (the connection closed)."""
        ...

    def post(self, call: Call, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        """A response, error or init error from the runtime: the HTTP status and body to answer."""
        ...


class RuntimeEndpoints(Protocol):
    """Addresses of the Lambda Runtime API (the runtime API listener offers them, through the
    composition root): one loopback ``host:port`` per worker, so a call names its worker without
    any change to AWS's runtime clients."""

    async def open(self, channel: RuntimeChannel) -> str:
        """Serves `channel` at a new loopback address and returns it (``127.0.0.1:<port>``)."""
        ...

    async def close(self, address: str) -> None:
        """Stops serving an address (a worker that exited); idempotent."""
        ...


class Runtimes(Protocol):
    """What the functions service offers the composition root: where the listener that serves the
    Runtime API is attached before any worker starts."""

    def attach(self, endpoints: RuntimeEndpoints) -> None: ...

    async def package(self, account: str, region: str, name: str) -> bytes | None:
        """A function's code package (GetFunction's Code.Location serves it), None when unknown."""
        ...


class FunctionInvoker(Protocol):
    """Invokes functions on behalf of another service (the functions service offers it): S3 event
    notifications, later IoT rule actions. With ``--auth strict`` the function's resource policy
    must let `principal` (``s3.amazonaws.com``) invoke it for `source_arn`/`source_account`."""

    def refusal(
        self, function_arn: str, *, principal: str, source_arn: str | None, source_account: str | None
    ) -> str | None:
        """None when an invocation would be accepted now, else why not (no such function, or the
        policy does not allow it): for a service that validates its destinations."""
        ...

    async def invoke_event(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str | None,
        source_account: str | None,
    ) -> None:
        """Queues an asynchronous (Event) invocation; raises DeliveryError (ResourceNotFoundException,
        AccessDeniedException...) when the function refuses it."""
        ...


@dataclass(frozen=True, slots=True)
class InvokeOutcome:
    """A synchronous invocation's answer as Invoke gives it: `function_error` is None on success,
    else "Unhandled"/"Handled" with the error document in `payload`."""

    status: int
    payload: bytes
    function_error: str | None
    executed_version: str


class FunctionCaller(Protocol):
    """Synchronous (RequestResponse) invocations on behalf of another service (the functions
    service offers it): Firehose transformations, IoT SQL's aws_lambda(). Raises DeliveryError
    with Lambda's error code (ResourceNotFoundException, TooManyRequestsException,
    RequestEntityTooLargeException...) when the invocation is refused before the function runs."""

    async def invoke(
        self, function_arn: str, payload: bytes, *, principal: str, source_arn: str | None = None
    ) -> InvokeOutcome: ...


@dataclass(frozen=True, slots=True)
class UrlRequest:
    """An HTTP request that arrived at a function URL, as the listener read it."""

    method: str
    raw_path: str  # percent-encoded, as sent
    raw_query: str
    headers: Sequence[tuple[str, str]]  # lower-case names, in arrival order
    body: bytes
    source_ip: str
    protocol: str  # "HTTP/1.1"
    domain: str  # the Host it was addressed to (without a port)
    account: str | None = None  # who signed it (AWS_IAM); None: anonymous
    access_key: str | None = None


@dataclass(frozen=True, slots=True)
class UrlResponse:
    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


class FunctionUrls(Protocol):
    """Function URLs (the functions service offers them, through the composition root, to the
    HTTP listener that serves them)."""

    def auth_type(self, url_id: str) -> str | None:
        """ "NONE" or "AWS_IAM" for a URL that exists, else None."""
        ...

    async def serve(self, url_id: str, request: UrlRequest) -> UrlResponse:
        """Authorizes the request by the function's resource policy, invokes the function with the
        payload format 2.0 event and maps its answer to the HTTP response."""
        ...
