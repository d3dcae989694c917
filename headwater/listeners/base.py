"""What the composition root needs of anything that owns ports: the HTTP gateway today, the MQTT
broker and the Lambda Runtime API next.

A listener binds in `start` (raising `ListenerError` with one clear line when it cannot: a busy
port, a bad certificate), serves on the running loop until `stop`, and says where it listens for
the start-up banner. Each owns its own TLS and shutdown; the app starts them after the services and
stops them after the services closed their long-lived work (subscriptions end first, so
connections drain promptly).
"""

from __future__ import annotations

from typing import Protocol


class ListenerError(Exception):
    """A listener could not start; the message is one line for the user."""


class Listener(Protocol):
    name: str

    def preflight(self) -> None:
        """Fails (ListenerError) when the listener could not start, before any storage is opened."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def endpoints(self) -> list[str]: ...
