"""Does a deep queue slow receives down? Receive + delete rate near-empty against with a large backlog.

Both measurements take the same `window` messages' worth of ReceiveMessage(10) + DeleteMessageBatch with
the drains' consumers, on one standard queue of small messages (`backlog_body` bytes):

1. near-empty: fill 1.1 x window, measure until `window` distinct messages came back (the queue goes
   from 1.1 x window down to 0.1 x window: the extra 10% keeps the end of the measurement off the
   queue's last messages, where consumers would wait on each other);
2. backlog: fill the queue up to `backlog` messages, measure `window` again.

ratio = backlog rate / near-empty rate (1.0: the backlog costs nothing; the target is >= 0.9). Filling is
time-capped: a server that cannot take `backlog` messages in `backlog_fill_timeout` s is measured at the
depth it reached (noted); one whose measured send rate could not reach a tenth of it is skipped (noted).
"""

from __future__ import annotations

from bench.common.load import StopWhen
from bench.common.servers import HOST
from bench.sqs.ledger import QueueLedger
from bench.sqs.load import ConsumeResult, consume, send
from bench.sqs.run import Run
from bench.sqs.wire import SendBatchTemplate, receive_body


def _fill(r: Run, ledger: QueueLedger, count: int, first_producer: int) -> tuple[int, float]:
    """Send `count` small messages (time-capped); returns (acknowledged, seconds)."""
    s = r.s
    templates = [SendBatchTemplate(r.urls["backlog"], s.batch, s.backlog_body) for _ in range(s.clients)]
    until = StopWhen(0, count, s.backlog_fill_timeout)
    result = send(HOST, r.port, templates, ledger, until, first_producer=first_producer)
    if result.rejected or result.uncertain:
        r.notes["backlog_fill"] = (
            f"{result.rejected:,} rejected, {result.uncertain:,} uncertain: " + "; ".join(result.errors[:2])
        )
    return result.acked, result.stopped - result.started


def _measure(r: Run, ledger: QueueLedger, window: int) -> ConsumeResult:
    ledger.expected = ledger.distinct_acked + window
    url = r.urls["backlog"]
    return consume(
        HOST,
        r.port,
        url,
        ledger,
        r.s.clients,
        receive_body(url, 10, r.s.wait_seconds),
        timeout=r.s.drain_timeout,
    )


def backlog_phase(r: Run) -> None:
    s = r.s
    window = s.backlog_window
    send_rate = r.m.get("send_rps", 0.0)
    if not send_rate:
        r.notes["backlog"] = "skipped: the send phase had no message acknowledged"
        return
    if send_rate * s.backlog_fill_timeout < s.backlog / 10:
        r.notes["backlog"] = (
            f"skipped: at its send rate ({send_rate:,.0f} msg/s) {s.backlog:,} messages would take "
            f"~{s.backlog / max(send_rate, 1):,.0f} s to send (cap {s.backlog_fill_timeout:.0f} s, "
            "--backlog-fill-timeout)"
        )
        return
    ledger = QueueLedger(2 * s.clients)  # near-empty fill: producers 0..n-1; backlog fill: n..2n-1
    acked, _ = _fill(r, ledger, window + window // 10, 0)
    if acked < window:
        r.notes["backlog"] = f"n/a: only {acked:,} of {window + window // 10:,} messages sent in the cap"
        return
    near = _measure(r, ledger, window)
    if not near.complete:
        r.notes["backlog"] = f"n/a: near-empty receive got {near.distinct:,} of {window:,}: {near.errors[:2]}"
        return
    r.m["backlog_empty_rps"] = near.rate
    left = acked - near.distinct
    added, seconds = _fill(r, ledger, s.backlog - left, s.clients)
    held = left + added
    r.m["backlog_held"] = float(held)
    r.m["backlog_fill_rps"] = added / seconds if seconds else 0.0
    if held < 2 * window:
        r.notes["backlog"] = f"n/a: the queue reached only {held:,} messages in {seconds:.0f} s"
        return
    deep = _measure(r, ledger, window)
    if not deep.complete:
        r.notes["backlog"] = f"n/a: backlog receive got {deep.distinct:,} of {window:,}"
        return
    r.m["backlog_full_rps"] = deep.rate
    r.m["backlog_ratio"] = deep.rate / near.rate
    reduced = f"; backlog reduced to {held:,} (fill capped at {s.backlog_fill_timeout:.0f} s)"
    r.notes["backlog"] = (
        f"{window:,} messages of {s.backlog_body} B each time; near-empty {near.rate:,.0f} msg/s, with "
        f"{held:,} queued {deep.rate:,.0f} msg/s; filled at {r.m['backlog_fill_rps']:,.0f} msg/s"
        + (reduced if held < s.backlog * 0.99 else "")
    )
