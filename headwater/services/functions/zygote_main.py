"""The zygote process: a Python that has imported awslambdaric's dependencies, forking workers.

Run by the server as ``python zygote_main.py <control fd>`` under the interpreter a Python runtime
uses, so it imports nothing of Headwater (that interpreter may not have it): the standard library
only. It reads requests from the control socket (one JSON line each, with the new worker's stdout
and stderr pipe ends attached as file descriptors), forks, and answers ``{"pid": N}``; when a child
exits it sends ``{"exit": N, "status": S}`` (S as asyncio reports a return code: negative for a
signal). It exits when the socket closes (the server went away).

The child then becomes exactly what ``python -m awslambdaric <handler>`` would have been, with the
import work already done: a session of its own, the pipes as fds 1 and 2 (unbuffered, as
PYTHONUNBUFFERED makes them), /dev/null as stdin, the function's environment (TZ applied), its cwd,
``sys.path`` as the interpreter builds it from that PYTHONPATH, ``sys.argv`` as ``-m`` sets it, and
awslambdaric's ``__main__`` run fresh, so its bootstrap module (which reads the log format and level
from the environment when imported) is imported in the child, never here.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import json
import os
import runpy
import select
import signal
import socket
import sys
import time

# what every worker imports anyway (so a forked worker's memory is what a freshly started one's
# would be), less what reads the environment when imported: awslambdaric.bootstrap (log format and
# level) and awslambdaric.lambda_runtime_client (its native client takes AWS_LAMBDA_RUNTIME_API when
# initialised; the native module itself loads here)
PRELOAD = (
    "awslambdaric.lambda_config",
    "awslambdaric.lambda_context",
    "awslambdaric.lambda_runtime_exception",
    "awslambdaric.lambda_runtime_log_utils",
    "awslambdaric.lambda_runtime_marshaller",
    "importlib",
    "json",
    "logging",
    "traceback",
)


def _base_path() -> list[str]:
    """sys.path without the script's directory and the zygote's own PYTHONPATH entries."""
    own = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return [p for p in sys.path[1:] if p not in own]


def _child(request: dict[str, object], fds: list[int], base: list[str]) -> None:
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    for fd in (devnull, *fds):
        os.close(fd)
    env = dict(request["env"])  # type: ignore[call-overload]
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    cwd = str(request["cwd"])
    os.chdir(cwd)
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [cwd, *extra, *base]
    # the streams -u would make (the zygote runs with PYTHONUNBUFFERED): raw files under text
    # layers that write through, with the encodings and error handlers the interpreter chose
    sys.stdout, sys.stderr, sys.stdin = (
        io.TextIOWrapper(io.FileIO(fd, mode, closefd=False), old.encoding, old.errors, write_through=True)
        for fd, mode, old in ((1, "w", sys.stdout), (2, "w", sys.stderr), (0, "r", sys.stdin))
    )
    sys.__stdout__, sys.__stderr__, sys.__stdin__ = sys.stdout, sys.stderr, sys.stdin  # type: ignore[misc]
    sys.argv = ["-m", *request["args"]]  # type: ignore[misc]
    try:
        runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()  # what the interpreter's own exit would run (logging's flush, the function's)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _status(raw: int) -> int:
    return -os.WTERMSIG(raw) if os.WIFSIGNALED(raw) else os.WEXITSTATUS(raw)


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    base = _base_path()
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)
    gc.freeze()  # the children's collections then leave these objects (and their pages) alone
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    buffer = b""
    fds: list[int] = []
    control.sendall(b'{"ready": true}\n')
    while True:
        readable, _, _ = select.select([control.fileno(), wake_r], [], [])
        if wake_r in readable:
            os.read(wake_r, 4096)
            while True:
                try:
                    pid, raw = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                control.sendall(json.dumps({"exit": pid, "status": _status(raw)}).encode() + b"\n")
        if control.fileno() in readable:
            data, new_fds, _, _ = socket.recv_fds(control, 1 << 20, 16)
            if not data:
                return
            buffer += data
            fds += new_fds
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                mine, fds = fds[:2], fds[2:]
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    for fd in (wake_r, wake_w, control.detach()):  # detached: never closed twice
                        os.close(fd)
                    _child(request, mine, base)
                for fd in mine:
                    os.close(fd)
                control.sendall(json.dumps({"pid": pid}).encode() + b"\n")


if __name__ == "__main__":
    main()
