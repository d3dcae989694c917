"""Fan-in and fan-out: publishers and subscribers in their own processes, one measured window.

The side with many clients is spread over `procs` processes and the single client has one of its own,
so the generator's work is spread over both CPUs the way the kernel shares them with the broker, and no
single Python process has to keep up with the whole rate. Subscribers connect and subscribe first; then
the publishers connect; then everyone gets the same clock (`time.monotonic` is system-wide): publish
from now until `end`, count deliveries between `warm` and `end`. Afterwards each subscriber is told how
many messages were sent and drains until it has them (or goes idle).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.iot.clients import Publisher, Subscriber, cpu_seconds
from bench.iot.cpu import process_cpu

_CTX = multiprocessing.get_context("spawn")  # no inherited threads or sockets from the orchestrator


def _receive(conn: Connection, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any]) -> None:
    msg = conn.recv()

    def settle() -> None:
        if not fut.done():
            fut.set_result(msg)

    loop.call_soon_threadsafe(settle)


async def _role(role: str, specs: list[dict[str, Any]], conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    clients: list[Any] = [Publisher(**s) if role == "pub" else Subscriber(**s) for s in specs]
    try:
        await asyncio.gather(*(c.connect() for c in clients))
    except Exception as exc:  # noqa: BLE001 - the reason goes back to the orchestrator
        conn.send({"error": f"connect: {exc!r}"})
        return
    go: asyncio.Future[Any] = loop.create_future()
    threading.Thread(target=_receive, args=(conn, loop, go), daemon=True).start()
    conn.send({"ready": True})
    plan = await go
    cpu0 = cpu_seconds()
    if role == "pub":
        await asyncio.gather(*(c.run(plan["end"]) for c in clients))
        rows = [
            {"publisher": c.publisher, "sent": c.sent, "acked": c.acked, "error": c.error} for c in clients
        ]
    else:
        told: asyncio.Future[Any] = loop.create_future()
        threading.Thread(target=_receive, args=(conn, loop, told), daemon=True).start()
        expected: asyncio.Future[int] = loop.create_future()
        told.add_done_callback(lambda f: expected.set_result(f.result()["expect"]))
        await asyncio.gather(
            *(c.run(plan["warm"], plan["end"], expected, plan["drain"], plan["idle"]) for c in clients)
        )
        rows = [
            {
                "received": c.received,
                "in_window": c.in_window,
                "gaps": c.gaps,
                "behind": c.behind,
                "error": c.error,
            }
            for c in clients
        ]
    conn.send({"cpu_s": cpu_seconds() - cpu0, "clients": rows})


def _worker(role: str, specs: list[dict[str, Any]], conn: Connection) -> None:
    asyncio.run(_role(role, specs, conn))


class Group:
    """Worker processes of one role, each with its share of the clients."""

    def __init__(self, role: str, specs: list[dict[str, Any]], procs: int) -> None:
        self.pipes: list[Connection] = []
        self.procs: list[Any] = []
        for share in (specs[i::procs] for i in range(min(procs, len(specs)))):
            mine, theirs = _CTX.Pipe()
            proc = _CTX.Process(target=_worker, args=(role, share, theirs), daemon=True)
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)

    def gather(self, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        out = []
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"a worker gave no answer in {timeout:.0f} s")
            msg = pipe.recv()
            if "error" in msg:
                raise RuntimeError(msg["error"])
            out.append(msg)
        return out

    def send(self, msg: dict[str, Any]) -> None:
        for pipe in self.pipes:
            pipe.send(msg)

    def close(self) -> None:
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


def throughput(
    host: str,
    port: int,
    shape: str,
    qos: int,
    *,
    clients: int = 8,
    procs: int = 2,
    duration: float = 10.0,
    warmup: float = 1.0,
    drain: float = 30.0,
    idle: float = 3.0,
    size: int = 256,
    inflight: int = 100,
    broker_pid: int | None = None,
    tag: str = "",
) -> dict[str, Any]:
    """One fan-in (clients publishers -> 1 subscriber) or fan-out (1 -> clients) measurement; for the
    ceiling against bench.iot.trivial, "sink" (clients publishers, no subscriber) and "flood" (clients
    subscribers fed by the server itself)."""
    n_pub, n_sub = {
        "fan-in": (clients, 1),
        "fan-out": (1, clients),
        "sink": (clients, 0),
        "flood": (0, clients),
    }[shape]
    prefix = f"bench{tag}/{shape}/q{qos}"
    many_pubs = n_pub > 1
    pubs = [
        {
            "host": host,
            "port": port,
            "client_id": f"{prefix}-pub{p}".replace("/", "-"),
            "publisher": p,
            "topic": f"{prefix}/{p}" if many_pubs else f"{prefix}/all",
            "qos": qos,
            "size": size,
            "inflight": inflight,
        }
        for p in range(n_pub)
    ]
    sub_topic = "flood/x" if shape == "flood" else (f"{prefix}/+" if many_pubs else f"{prefix}/all")
    subs = [
        {
            "host": host,
            "port": port,
            "client_id": f"{prefix}-sub{s}".replace("/", "-"),
            "topic": sub_topic,
            "qos": qos,
        }
        for s in range(n_sub)
    ]
    sub_group = Group("sub", subs, procs if n_sub > 1 else 1)
    pub_group: Group | None = None
    try:
        sub_group.gather(60)
        pub_group = Group("pub", pubs, procs if many_pubs else 1)
        pub_group.gather(60)
        load = os.getloadavg()[0]
        broker0 = process_cpu(broker_pid) if broker_pid else 0.0
        start = time.monotonic()
        plan = {"warm": start + warmup, "end": start + warmup + duration, "drain": drain, "idle": idle}
        sub_group.send(plan)
        pub_group.send(plan)
        published = pub_group.gather(duration + warmup + 60)
        sent = sum(c["sent"] for w in published for c in w["clients"])
        acked = sum(c["acked"] for w in published for c in w["clients"])
        time.sleep(max(0.0, plan["end"] - time.monotonic()))  # a flood has no publisher to wait for
        sub_group.send({"expect": 0 if shape == "flood" else sent})
        received = sub_group.gather(drain + 60)
        broker_cpu = (process_cpu(broker_pid) - broker0) if broker_pid else None
    finally:
        sub_group.close()
        if pub_group is not None:
            pub_group.close()
    rows = [c for w in received for c in w["clients"]]
    delivered = sum(c["received"] for c in rows)
    in_window = sum(c["in_window"] for c in rows)
    errors = [c["error"] for w in published for c in w["clients"] if c["error"]]
    errors += [c["error"] for c in rows if c["error"]]
    return {
        "delivered_per_s": in_window / duration,
        "published_per_s": sent / (warmup + duration),
        "subscribers": n_sub,
        "expected": 0
        if shape == "flood"
        else sent * n_sub,  # deliveries: every subscriber gets every message
        "sent": sent,
        "acked": acked if qos else None,
        "delivered": delivered,
        "lost": 0 if shape == "flood" else sum(max(0, sent - c["received"]) for c in rows),
        "gaps": sum(c["gaps"] for c in rows),
        "out_of_order": sum(c["behind"] for c in rows),
        "client_cpu_s": sum(w["cpu_s"] for w in published + received),
        "broker_cpu_us_per_msg": round(broker_cpu / delivered * 1e6, 2)
        if broker_cpu is not None and delivered
        else None,
        "load": round(load, 2),
        "errors": errors[:5],
    }
