"""A paused TLS stream holds what arrives (uvloop's TLS transport would drop it at a FIN) and tells
its handler about the loss only after handing it over; a plain one pauses its transport."""

from __future__ import annotations

from typing import Any

from headwater.listeners.mqtt import stream as stream_module
from headwater.listeners.mqtt.stream import Stream


class Transport:
    def __init__(self, tls: bool) -> None:
        self.tls = tls
        self.paused = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return object() if name == "ssl_object" and self.tls else default

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


class Handler:
    def __init__(self, stream: Stream, pause_on: bytes | None = None) -> None:
        self.stream = stream
        self.pause_on = pause_on
        self.events: list[Any] = []

    def feed(self, data: bytes) -> None:
        self.events.append(data)
        if data == self.pause_on:
            self.stream.pause_reading()

    def lost(self) -> None:
        self.events.append("lost")


def _stream(tls: bool) -> tuple[Stream, Transport]:
    stream = Stream(set(), lambda made: None)
    transport = Transport(tls)
    stream.connection_made(transport)  # type: ignore[arg-type]
    return stream, transport


def test_a_paused_tls_stream_hands_over_what_came_before_the_loss() -> None:
    stream, transport = _stream(tls=True)
    handler = Handler(stream)
    stream.attach(handler)
    stream.pause_reading()
    assert transport.paused is False  # held by the stream, the transport keeps reading
    stream.data_received(b"DISCONNECT")
    stream.connection_lost(None)
    assert handler.events == []
    stream.resume_reading()
    assert handler.events == [b"DISCONNECT", "lost"]


def test_a_handler_pausing_again_mid_backlog_stops_the_handover() -> None:
    stream, _ = _stream(tls=True)
    handler = Handler(stream, pause_on=b"b")
    stream.attach(handler)
    stream.pause_reading()
    for chunk in (b"a", b"b", b"c"):
        stream.data_received(chunk)
    stream.connection_lost(None)
    stream.resume_reading()
    assert handler.events == [b"a", b"b"]
    stream.resume_reading()
    assert handler.events == [b"a", b"b", b"c", "lost"]


def test_a_large_tls_backlog_pauses_the_transport(monkeypatch: Any) -> None:
    monkeypatch.setattr(stream_module, "TLS_HOLD_BYTES", 10)
    stream, transport = _stream(tls=True)
    handler = Handler(stream)
    stream.attach(handler)
    stream.pause_reading()
    stream.data_received(b"x" * 8)
    assert transport.paused is False
    stream.data_received(b"y" * 8)
    assert transport.paused is True
    stream.resume_reading()
    assert transport.paused is False and handler.events == [b"x" * 8, b"y" * 8]


def test_a_plain_stream_pauses_its_transport() -> None:
    stream, transport = _stream(tls=False)
    handler = Handler(stream)
    stream.attach(handler)
    stream.pause_reading()
    assert transport.paused is True
    stream.connection_lost(None)
    assert handler.events == ["lost"]
