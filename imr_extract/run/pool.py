"""Worker processes with a per-letter clock: a letter over ``--timeout`` has its worker killed.

Each worker takes a chunk of tasks, says which letter it starts (one small
message per letter) and, at the end of the chunk, writes its part and sends
back the outcomes. The pool kills a worker whose current letter has run too
long, or notices one that died (a crash, the memory cap), turns that letter
into an error row and hands the rest of the chunk to a fresh worker. Both
engines use it: the local engine with forked workers, the Dask engine with
one worker process started inside each Dask worker.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from .worker import ChunkResult, Task, WorkerSettings, run_chunk

log = logging.getLogger("imr_extract.run")

#: Seconds workers get to write what they have done after an interrupt, before they are killed.
STOP_GRACE = 10.0


class NoSpaceError(OSError):
    """The disk (or quota) is full: the run cannot write its parts."""


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the process that started it dies (no orphaned workers)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def serve(conn: Connection, settings: WorkerSettings, close_fds: tuple[int, ...] = ()) -> None:
    """A worker's life: take chunks from ``conn`` until told to exit (or the driver is gone)."""
    for fd in close_fds:  # the run lock and other workers' pipes, inherited when forked
        with contextlib.suppress(OSError):
            os.close(fd)
    _die_with_parent()
    import faulthandler

    faulthandler.disable()  # a letter that aborts the process (the memory cap) is a row, not a stack dump
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    from .worker import import_writers, limit_memory, warm_up

    if settings.warm_up:
        warm_up()
    import_writers()  # before the memory cap: imports are start-up, not a letter's work
    import gc

    gc.freeze()  # rules and modules are there for good: the collector need not scan them again
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())  # no allocator reserving address space under the cap


    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    limit_memory(settings.max_memory)
    stopping = False

    def stop() -> bool:
        nonlocal stopping
        while not stopping and conn.poll():
            if conn.recv()[0] in ("stop", "exit"):
                stopping = True
        return stopping

    while not stopping:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] != "chunk":
            return
        _, chunk_id, tasks = msg
        try:
            result = run_chunk(chunk_id, tasks, settings, started=lambda o: conn.send(("started", o)), stop=stop)
        except OSError as exc:
            from ..io.write import NO_SPACE_ERRNOS

            kind = "no_space" if exc.errno in NO_SPACE_ERRNOS else "os_error"
            conn.send(("failed", chunk_id, kind, f"{exc.strerror or exc} ({exc.filename or 'a part file'})"))
            return
        except Exception as exc:  # noqa: BLE001 - reported to the driver, which turns it into rows
            conn.send(("failed", chunk_id, "internal_error", f"unexpected {type(exc).__name__}: {exc}"))
            continue
        conn.send(("done", result))


class Proc:
    """One worker process and the driver's end of its pipe."""

    def __init__(self, conn: Connection, handle, pid: int):
        self.conn, self.handle, self.pid = conn, handle, pid
        self.chunk: tuple[int, list[Task], int] | None = None  # (chunk id, tasks, attempt)
        self.current = -1
        self.started_at = 0.0
        self.reported = 0

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def exitcode(self) -> int | None:
        """The exit status (negative: killed by that signal), waiting briefly for the process to end."""
        if hasattr(self.handle, "join"):
            self.handle.join(5)
            return self.handle.exitcode
        try:
            return self.handle.wait(5)
        except Exception:  # noqa: BLE001 - still running: report unknown
            return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()


def fork_worker(settings: WorkerSettings, close_fds: tuple[int, ...] = ()) -> Proc:
    """A worker forked from this process (it inherits the compiled patterns)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(child, settings, close_fds), daemon=True)
    proc.start()
    child.close()
    assert proc.pid is not None  # set by start()
    return Proc(parent, proc, proc.pid)


def exec_worker(settings: WorkerSettings) -> Proc:
    """A worker started as a new interpreter (safe from any process, threads or not: the Dask engine's)."""
    import pickle
    import socket
    import subprocess

    ours, theirs = socket.socketpair()
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from imr_extract.run.pool import _exec_main; "
                                                   "_exec_main(int(sys.argv[1]))", str(theirs.fileno())],
                            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
    theirs.close()
    conn = Connection(ours.detach())
    conn.send_bytes(pickle.dumps(settings))
    return Proc(conn, proc, proc.pid)


def _exec_main(fd: int) -> None:
    import pickle

    conn = Connection(fd)
    serve(conn, pickle.loads(conn.recv_bytes()))


@dataclass
class Failure:
    """An input the pool gave up on: its task and the error row's kind and message."""

    task: Task
    kind: str
    message: str


@dataclass
class Pool:
    """Run chunks on up to ``workers`` processes made by ``start``; see the module docstring."""

    workers: int
    timeout: float | None
    start: Callable[[tuple[int, ...]], Proc]
    memory_capped: bool = False
    keep_alive: bool = False  # keep the workers for the next run() (a Dask worker's pool)
    procs: list[Proc] = field(default_factory=list)

    def run(self, chunks: list[tuple[int, list[Task]]], on_done: Callable[[ChunkResult], None],
            on_failed: Callable[[Failure], None], on_progress: Callable[[int], None] = lambda n: None,
            meanwhile: Callable[[], None] | None = None) -> None:
        """Run every chunk; ``meanwhile`` runs once in this process as soon as the workers have work."""
        queue = deque((cid, tasks, 0) for cid, tasks in chunks)
        wanted = min(self.workers, len(queue))
        try:
            while queue or any(p.chunk for p in self.procs):
                while len(self.procs) < wanted and queue:
                    self.procs.append(self.start(tuple(p.conn.fileno() for p in self.procs)))
                for proc in self.procs:
                    if proc.chunk is None and queue:
                        proc.chunk = queue.popleft()
                        proc.current, proc.reported = -1, 0
                        proc.conn.send(("chunk", proc.chunk[0], proc.chunk[1]))
                if meanwhile is not None:
                    meanwhile()
                    meanwhile = None
                busy = [p for p in self.procs if p.chunk]
                for conn in wait([p.conn for p in busy], timeout=self._wait_for(busy)):
                    proc = next(p for p in busy if p.conn is conn)
                    self._receive(proc, queue, on_done, on_failed, on_progress)
                self._check_clocks(queue, on_failed, on_progress)
        except KeyboardInterrupt:
            self._stop(on_done, on_progress)
            self.shutdown()
            raise
        except BaseException:
            self.shutdown()
            raise
        if not self.keep_alive:
            self.shutdown()

    def _wait_for(self, busy: list[Proc]) -> float:
        if not self.timeout:
            return 1.0
        now = time.monotonic()
        left = [self.timeout - (now - p.started_at) for p in busy if p.current >= 0]
        return max(0.01, min([1.0, *left]))

    def _receive(self, proc: Proc, queue, on_done, on_failed, on_progress) -> None:
        try:
            msg = proc.conn.recv()
        except (EOFError, OSError):
            self._lost(proc, queue, on_failed, on_progress, killed_for_time=False)
            return
        if msg[0] == "started":
            if proc.current >= 0:
                proc.reported += 1
                on_progress(1)
            proc.current, proc.started_at = msg[1], time.monotonic()
        elif msg[0] == "done":
            result: ChunkResult = msg[1]
            on_progress(len(result.outcomes) - proc.reported)
            proc.chunk, proc.current = None, -1
            on_done(result)
        elif msg[0] == "failed":
            _, _chunk_id, kind, message = msg
            assert proc.chunk is not None  # only a busy worker is listened to
            tasks = proc.chunk[1]
            proc.chunk = None
            if kind in ("no_space", "os_error"):
                raise NoSpaceError(28 if kind == "no_space" else 5, f"cannot write a part file: {message}")
            on_progress(len(tasks) - proc.reported)
            for task in tasks:
                on_failed(Failure(task, "internal_error", message))

    def _check_clocks(self, queue, on_failed, on_progress) -> None:
        if not self.timeout:
            return
        now = time.monotonic()
        for proc in list(self.procs):
            if proc.chunk and proc.current >= 0 and now - proc.started_at > self.timeout:
                proc.kill()
                self._lost(proc, queue, on_failed, on_progress, killed_for_time=True)

    def _lost(self, proc: Proc, queue, on_failed, on_progress, killed_for_time: bool) -> None:
        """A worker died or was killed: its current letter becomes a row, the rest of its chunk goes on."""
        assert proc.chunk is not None  # only a busy worker is listened to or timed
        chunk_id, tasks, attempt = proc.chunk
        culprit = next((t for t in tasks if t.ordinal == proc.current), None)
        code = None if killed_for_time else proc.exitcode()
        if killed_for_time:
            proc.exitcode()
        proc.close()
        self.procs.remove(proc)
        on_progress(-proc.reported)
        rest = [t for t in tasks if t is not culprit]
        if culprit is not None:
            on_progress(1)
            on_failed(Failure(culprit, *self._why(code, killed_for_time)))
        elif attempt >= 2:  # died twice between letters: give up on the chunk rather than loop
            on_progress(len(rest))
            for task in rest:
                on_failed(Failure(task, "worker_crashed", f"the worker process died ({_describe(code)}) twice "
                                                          "while writing this letter's part"))
            rest = []
        if rest:
            queue.appendleft((chunk_id, rest, attempt + 1))
        log.debug("worker %s %s; %d letters of its chunk go to another worker", proc.pid,
                  "killed (time limit)" if killed_for_time else f"died ({_describe(code)})", len(rest))

    def _why(self, code: int | None, killed_for_time: bool) -> tuple[str, str]:
        if killed_for_time:
            return "timeout", (f"gave up after {self.timeout:g} s (--timeout); the PDF may make the parser loop")
        if self.memory_capped and code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS):
            return "memory_limit", (f"the worker stopped ({_describe(code)}) on this letter, most likely on "
                                    "reaching its memory limit (--max-memory): a decompression bomb?")
        if code == -signal.SIGKILL:
            return "worker_crashed", ("the worker process was killed (SIGKILL) on this letter; the system may "
                                      "have run out of memory")
        return "worker_crashed", f"the worker process died ({_describe(code)}) on this letter"

    def _stop(self, on_done, on_progress) -> None:
        """After Ctrl-C: workers finish their letter and write what they have, then exit."""
        busy = [p for p in self.procs if p.chunk]
        for proc in busy:
            with contextlib.suppress(OSError):
                proc.conn.send(("stop",))
        deadline = time.monotonic() + STOP_GRACE
        try:
            while busy and time.monotonic() < deadline:
                for conn in wait([p.conn for p in busy], timeout=0.2):
                    proc = next(p for p in busy if p.conn is conn)
                    try:
                        msg = proc.conn.recv()
                    except (EOFError, OSError):
                        busy.remove(proc)
                        continue
                    if msg[0] == "done":
                        on_progress(len(msg[1].outcomes) - proc.reported)
                        on_done(msg[1])
                        busy.remove(proc)
                    elif msg[0] == "failed":
                        busy.remove(proc)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            pass

    def shutdown(self) -> None:
        """Tell every worker to exit (killing any still busy) and wait for them."""
        for proc in self.procs:
            with contextlib.suppress(OSError):
                proc.conn.send(("exit",))
        for proc in self.procs:
            if proc.chunk:
                proc.kill()
            proc.exitcode()
            proc.close()
        self.procs.clear()


def _describe(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"
