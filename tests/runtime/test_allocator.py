"""The allocator tuning takes on glibc: large buffers served from already-faulted arena memory."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from headwater.runtime.allocator import tune_allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_tuning_is_accepted_on_glibc() -> None:
    # in a fresh process: the settings are process-wide
    code = "from headwater.runtime.allocator import tune_allocator; print(tune_allocator())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_large_buffers_stop_faulting_once_tuned() -> None:
    # in a thread started after the tuning, as the server's are (its arena is made with the pad)
    code = (
        "import resource, threading\n"
        "from headwater.runtime.allocator import tune_allocator\n"
        "tune_allocator()\n"
        "def work():\n"
        "    for _ in range(8): bytearray(512 * 1024)\n"
        "    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt\n"
        "    for _ in range(256): bytearray(512 * 1024)\n"
        "    print(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)\n"
        "t = threading.Thread(target=work); t.start(); t.join()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # untuned (a fresh mapping each): ~128 faults per buffer, 32,768 in all
    assert int(out.stdout.strip()) < 2_000


def test_elsewhere_it_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert tune_allocator() is False
