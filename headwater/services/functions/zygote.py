"""Python workers forked from a zygote: a cold start without the interpreter's start-up and imports.

Theory of operation. Starting ``python -m awslambdaric`` costs an interpreter start (site, the
editable installs' finders) and awslambdaric's imports, tens of milliseconds of CPU before the
function's own code runs, and far more when the machine is busy. A `Zygote` is one process per
interpreter (`zygote_main.py`) that has done that once; a Python worker is then a fork of it, told
its environment, cwd and arguments over a Unix socket together with its stdout and stderr pipes.
The child is a session leader, as a directly started worker is, so a timeout kills its tree the
same way; the zygote reaps it and reports its exit status, which `Forked.wait` returns. What the
function sees (environment, LAMBDA_TASK_ROOT, sys.path, argv, unbuffered output) is what the
direct launch gives it. The zygote starts in the background on the first Python worker (which
starts directly), so no start waits for it; a launch the zygote cannot reproduce (an environment
that changes how the interpreter itself starts, such as PYTHON* or LD_* variables other than the
zygote's) starts directly too, as does every launch after the zygote fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
from pathlib import Path

from headwater.services.functions.launch import Launch, runtime_dirs

log = logging.getLogger("headwater.services.functions")
MAIN = Path(__file__).with_name("zygote_main.py")
READY_TIMEOUT_S = 30.0
# HEADWATER_PYTHON_ZYGOTE=off starts every Python worker directly (os.fork and SCM_RIGHTS: Linux)
ENABLED = sys.platform.startswith("linux") and os.environ.get("HEADWATER_PYTHON_ZYGOTE", "on") != "off"
# variables read while the interpreter starts: a launch may fork only if they equal the zygote's
_STARTUP_PREFIXES = ("PYTHON", "LD_", "LC_", "MALLOC_", "GLIBC_")
_STARTUP_NAMES = frozenset({"LANG", "LANGUAGE"})
_HANDLED = frozenset({"PYTHONPATH", "PYTHONUNBUFFERED"})


def _startup_env(env: dict[str, str]) -> dict[str, str]:
    return {
        k: v
        for k, v in env.items()
        if (k.startswith(_STARTUP_PREFIXES) or k in _STARTUP_NAMES) and k not in _HANDLED
    }


class Forked:
    """A forked worker process: what the worker needs of an asyncio subprocess."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.stdout = self.stderr = asyncio.StreamReader()  # replaced by the pipes' readers
        self.returncode: int | None = None
        self._exited = asyncio.get_running_loop().create_future()

    def exited(self, status: int) -> None:
        if not self._exited.done():
            self.returncode = status
            self._exited.set_result(status)

    async def wait(self) -> int:
        return int(await asyncio.shield(self._exited))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, 9)


class Zygote:
    def __init__(self, python: str, env: dict[str, str]) -> None:
        self.python = python
        self.env = env
        self._startup = _startup_env(env)
        self._sock: socket.socket | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._children: dict[int, Forked] = {}
        self._pending: asyncio.Queue[Forked | None] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self.ready = False
        self.failed = False
        self._task: asyncio.Task[None] | None = None

    def fits(self, launch: Launch) -> bool:
        if not self.ready or self.failed or _startup_env(launch.env) != self._startup:
            return False
        # a package of its own that the zygote imported already from the runtime's copy
        return not any((launch.cwd / name).exists() for name in ("awslambdaric", "simplejson"))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._process = await asyncio.create_subprocess_exec(
                self.python,
                str(MAIN),
                str(theirs.fileno()),
                env=self.env,
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
            theirs.close()
            ours.setblocking(False)
            self._sock = ours
            self._reader, _ = await asyncio.open_connection(sock=ours)
            line = await asyncio.wait_for(self._reader.readline(), READY_TIMEOUT_S)
            if not line:
                raise ConnectionError("the zygote exited while starting")
            self.ready = True
            log.info("Python workers fork from a zygote (%s, pid %d)", self.python, self._process.pid)
            while line := await self._reader.readline():
                message = json.loads(line)
                if "pid" in message:  # registered here, before its exit can be reported
                    child = self._children[int(message["pid"])] = Forked(int(message["pid"]))
                    self._pending.put_nowait(child)
                elif (gone := self._children.pop(int(message["exit"]), None)) is not None:
                    gone.exited(int(message["status"]))
        except (TimeoutError, OSError, ValueError) as exc:
            log.warning("the Python zygote failed (%s): workers start directly", exc)
        finally:
            self.failed = True
            theirs.close()
            self._pending.put_nowait(None)
            for child in self._children.values():  # nobody reaps or reports them now
                child.kill()
                child.exited(-9)
            self._children.clear()

    async def spawn(self, launch: Launch) -> Forked:
        """A forked worker running `launch` (whose command is ``python -m awslambdaric H``)."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            request = {"env": launch.env, "cwd": str(launch.cwd), "args": launch.command[3:]}
            async with self._lock:  # one request, one pid answer, in order
                if self._sock is None or self.failed:
                    raise OSError("the zygote is gone")
                data = json.dumps(request).encode() + b"\n"
                # a few hundred bytes into an empty socket buffer: this does not block
                socket.send_fds(self._sock, [data], [out_w, err_w])
                child = await asyncio.wait_for(self._pending.get(), READY_TIMEOUT_S)
            if child is None:
                raise OSError("the zygote is gone")
        except BaseException:
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            os.close(out_w)
            os.close(err_w)
        child.stdout = await _reader(out_r)
        child.stderr = await _reader(err_r)
        return child

    async def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


async def _reader(fd: int) -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0))
    return reader


class Zygotes:
    """One zygote per interpreter, started when its first Python worker starts."""

    def __init__(self) -> None:
        self._zygotes: dict[str, Zygote] = {}

    def for_launch(self, launch: Launch) -> Zygote | None:
        """The zygote to fork `launch` from, None to start it directly (starting the zygote for
        next time when there is none yet)."""
        if launch.command[1:3] != ["-m", "awslambdaric"] or not ENABLED:
            return None
        python = launch.command[0]
        zygote = self._zygotes.get(python)
        if zygote is None:
            # the server's own variables a worker gets (never the first function's own ones)
            base = {k: v for k, v in launch.env.items() if k in ("PATH", "LANG", "LD_LIBRARY_PATH", "TZ")}
            base["PYTHONPATH"] = os.pathsep.join(_runtime_part(launch.env.get("PYTHONPATH", "")))
            base["PYTHONUNBUFFERED"] = "1"
            zygote = self._zygotes[python] = Zygote(python, base)
            zygote.start()
            return None
        return zygote if zygote.fits(launch) else None

    async def close(self) -> None:
        zygotes, self._zygotes = list(self._zygotes.values()), {}
        for zygote in zygotes:
            await zygote.close()


def _runtime_part(pythonpath: str) -> list[str]:
    """The runtime's own directories of a launch's PYTHONPATH (after the task and layer paths)."""
    dirs = set(runtime_dirs())
    return [p for p in pythonpath.split(os.pathsep) if p in dirs]
