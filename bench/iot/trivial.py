"""The ceiling's server: answers MQTT without being a broker, so the clients' own limits show.

PUBLISH is dropped (QoS 1: acknowledged, one write of PUBACKs per chunk read); a SUBSCRIBE to
`flood/...` starts an endless stream of PUBLISH packets to that client at the granted QoS, written a
block at a time: 1,024 messages from 1,024 "publishers", whose sequence number (the block's number) is
put in by one `bytes.replace` of the payload's placeholder, so the server spends almost nothing per
message. `--tls-port` adds a listener that requires a client certificate from `--ca`.

    python -m bench.iot.trivial --port P [--tls-port Q --ca CA --cert CERT --key KEY]
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import struct

from bench.iot import codec

BLOCK = 1024


def flood_block(qos: int, size: int = 256) -> bytes:
    parts = []
    for k in range(BLOCK):
        t = codec.PublishTemplate("flood/x", qos, k, size)
        packet = bytearray(t.packet)
        packet[t.stamp_at + 4 : t.stamp_at + 12] = codec.SENTINEL
        if qos:
            struct.pack_into(">H", packet, t.id_at, k + 1)
        parts.append(bytes(packet))
    return b"".join(parts)


async def _flood(writer: asyncio.StreamWriter, qos: int) -> None:
    block, n = flood_block(qos), 0
    while not writer.is_closing():
        writer.write(block.replace(codec.SENTINEL, struct.pack(">Q", n)))
        n += 1
        await writer.drain()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    buf = bytearray()
    flood: asyncio.Task[None] | None = None
    try:
        while chunk := await reader.read(1 << 18):
            buf += chunk
            packets, used = codec.split(buf)
            acks = bytearray()
            for first, start, _end in packets:
                kind = first >> 4
                if kind == 1:
                    acks += b"\x20\x02\x00\x00"
                elif kind == codec.PUBLISH and first & 0x06:
                    at = start + 2 + ((buf[start] << 8) | buf[start + 1])
                    acks += b"\x40\x02" + buf[at : at + 2]
                elif kind == 8:  # SUBSCRIBE: packet id, then (filter, qos) once
                    flen = (buf[start + 2] << 8) | buf[start + 3]
                    topic = bytes(buf[start + 4 : start + 4 + flen])
                    qos = buf[start + 4 + flen]
                    acks += b"\x90\x03" + buf[start : start + 2] + bytes([qos])
                    if topic.startswith(b"flood/") and flood is None:
                        writer.write(acks)
                        acks = bytearray()
                        flood = asyncio.create_task(_flood(writer, qos))
                elif kind == 12:
                    acks += b"\xd0\x00"
                elif kind == 14:
                    return
            del buf[:used]
            if acks:
                writer.write(acks)
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        if flood:
            flood.cancel()
        writer.close()


async def serve(args: argparse.Namespace) -> None:
    servers = [await asyncio.start_server(handle, "127.0.0.1", args.port, limit=1 << 20)]
    if args.tls_port:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=args.ca)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.verify_mode = ssl.CERT_REQUIRED
        servers.append(await asyncio.start_server(handle, "127.0.0.1", args.tls_port, ssl=ctx))
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls-port", type=int)
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
