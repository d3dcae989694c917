"""A large multipart upload and its download with boto3's transfer manager, sampling the server's RSS.

The file is made once per invocation: 1 MiB blocks of shared random bytes, each starting with its own block
number, so a part stored at the wrong offset, or a range served from the wrong place, makes the downloaded
file differ. `upload_file` / `download_file` run with a TransferConfig (part size, threads) on the classic
transfer manager, as a user would call them; the download is compared with the source afterwards, off the
clock. Meanwhile the server's resident memory (sum of VmRSS over its process tree, /proc) is sampled every
100 ms: the baseline just before the upload, the peak during each transfer, and growth = peak - baseline.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from bench.common.memory import RssSampler
from bench.s3 import control
from bench.s3.objects import MIB


def make_source(path: Path, size: int) -> None:
    """`size` bytes (a multiple of 1 MiB): 1 MiB blocks, each its 8-byte number then shared random bytes."""
    tail = os.urandom(MIB - 8)
    with path.open("wb") as f:
        for block in range(size // MIB):
            f.write(block.to_bytes(8, "big"))
            f.write(tail)


def same_files(a: Path, b: Path, chunk: int = 16 * MIB) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(chunk), fb.read(chunk)
            if x != y:
                return False
            if not x:
                return True


@dataclass
class MultipartResult:
    upload_mibs: float | None = None
    download_mibs: float | None = None
    baseline_mb: float = 0.0
    upload_peak_mb: float = 0.0
    download_peak_mb: float = 0.0
    upload_cpu_pct: float = 0.0
    download_cpu_pct: float = 0.0
    verified: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def growth_mb(self) -> float:
        return max(self.upload_peak_mb, self.download_peak_mb) - self.baseline_mb


def _timed(action: Callable[[], object], sampler: RssSampler) -> tuple[float, float, float]:
    """Run `action()` while sampling; (seconds, client CPU seconds, peak RSS MB)."""
    sampler.start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        action()
    finally:
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        peak = sampler.stop()
    return seconds, cpu, peak


def multipart_phase(
    port: int, server_pid: int, bucket: str, source: Path, part: int, threads: int, scratch: Path
) -> MultipartResult:
    out = MultipartResult()
    size, key = source.stat().st_size, "multipart/object"
    config = TransferConfig(
        multipart_threshold=part,
        multipart_chunksize=part,
        max_concurrency=threads,
        use_threads=True,
        preferred_transfer_client="classic",
    )
    s3 = control.client(port, read_timeout=300, pool=threads + 2)
    sampler = RssSampler(server_pid)
    target = scratch / "multipart-download.bin"
    mib = size / MIB
    try:
        baseline = []
        for _ in range(3):
            baseline.append(sampler.now())
            time.sleep(0.1)
        out.baseline_mb = statistics.median(baseline)
        try:
            seconds, cpu, out.upload_peak_mb = _timed(
                lambda: s3.upload_file(str(source), bucket, key, Config=config), sampler
            )
        except Exception as exc:  # noqa: BLE001 - the reason is the result
            out.problems.append(f"upload_file failed: {type(exc).__name__}: {str(exc)[:200]}")
            return out
        out.upload_mibs, out.upload_cpu_pct = mib / seconds, 100 * cpu / seconds
        head = s3.head_object(Bucket=bucket, Key=key)
        parts = -(-size // part)
        if head["ContentLength"] != size or not head["ETag"].strip('"').endswith(f"-{parts}"):
            out.problems.append(
                f"HeadObject: {head['ContentLength']:,} bytes, ETag {head['ETag']}; "
                f"expected {size:,} bytes and an ETag ending in -{parts}"
            )
        try:
            seconds, cpu, out.download_peak_mb = _timed(
                lambda: s3.download_file(bucket, key, str(target), Config=config), sampler
            )
        except Exception as exc:  # noqa: BLE001
            out.problems.append(f"download_file failed: {type(exc).__name__}: {str(exc)[:200]}")
            return out
        out.download_mibs, out.download_cpu_pct = mib / seconds, 100 * cpu / seconds
        if not same_files(source, target):
            out.problems.append("the downloaded file differs from the uploaded one")
        out.verified = not out.problems
        s3.delete_object(Bucket=bucket, Key=key)
        return out
    finally:
        s3.close()
        target.unlink(missing_ok=True)
