"""Each request in a worker process of its own, bounded in time and memory.

A derivation can be expensive (a Hessian of a deep expression, a hostile ``X^9^9``), and
SymPy cannot be interrupted from another thread. So every request runs in a fresh process
forked from a fork server that has matcalc imported and warmed (``warm.py``; a fork costs
milliseconds). The worker lowers its own address-space limit (``RLIMIT_AS``: what it
started with plus ``Limits.memory``) before it reads the request, and the server kills it
when the time limit passes or the client goes away (the page's Cancel button). At most
``Limits.workers`` run at once; up to ``Limits.queue`` more wait their turn, and beyond that
a request is turned away as busy.

Messages from a worker, over a pipe: ``("progress", stage)``, then ``("result", payload)``
or ``("error", error_payload)``.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass

__all__ = ["Limits", "Runner", "JOBS"]

#: the jobs a worker runs: name -> (module, function of (request JSON, progress))
JOBS = {"symbols": ("compute", "symbols_payload"), "derive": ("compute", "derivation_payload"),
        "check": ("checks", "claim_payload"), "verify": ("checks", "verify_payload"),
        "gallery": ("checks", "gallery_payload")}
#: the jobs whose request is a ``DerivationRequest``
_DERIVATION_JOBS = ("symbols", "derive")
_KILL_WAIT = 2.0   # seconds to wait for a killed worker to be gone


@dataclass(frozen=True)
class Limits:
    """Bounds of one request: wall-clock ``seconds``, ``memory`` bytes of address space a
    worker may add to what it starts with; ``workers`` running at once, ``queue`` waiting."""
    seconds: float = 30.0
    memory: int = 2 << 30
    workers: int = max(1, min(4, os.cpu_count() or 1))
    queue: int = 64


def _address_space():
    """This process's address space in bytes (``VmSize``), or None where unknown."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _limit_memory(extra):
    import resource
    current = _address_space()
    if current is None:
        return
    limit = current + extra
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run_job(job, request_json, progress):
    import importlib
    from .requests import DerivationRequest
    module, name = JOBS[job]
    function = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    if job == "gallery":
        return function(progress)
    if job in _DERIVATION_JOBS:
        return function(DerivationRequest.from_json(request_json), progress)
    return function(request_json, progress)


def _worker(conn, job, request_json, memory):
    """The worker process: bound itself, run ``job``, send the outcome, exit."""
    from . import compute
    try:
        _limit_memory(memory)
        # the parser accepts 200 nesting levels; SymPy recurses several frames per level
        sys.setrecursionlimit(20_000)

        def progress(stage):
            conn.send(("progress", stage))

        conn.send(("result", _run_job(job, request_json, progress)))
    except BaseException as exc:  # every outcome goes back as a message
        try:
            conn.send(("error", compute.error_payload(exc)))
        except BaseException:
            os._exit(3)
    finally:
        conn.close()


class Busy(Exception):
    """More requests are waiting than ``Limits.queue`` allows."""


class Runner:
    """Runs jobs in bounded worker processes; one per server (or assistant session)."""

    def __init__(self, limits=Limits()):
        self.limits = limits
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["matcalc.service.warm"])
        self._slots = None
        self._waiting = 0

    def start(self):
        """Start the fork server and wait until it has imported and warmed matcalc (a few
        seconds), so that the first request is as fast as the others."""
        process = self._context.Process(target=os.getpid, daemon=True)
        process.start()
        process.join()
        process.close()

    async def messages(self, job, request_json=None, seconds=None):
        """The worker's messages, as ``(kind, value, seconds since the job started)``;
        the last is a ``result`` or an ``error``. Leaving the iteration early (a
        cancelled client) kills the worker. ``seconds``: this job's time limit (default
        ``Limits.seconds``)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.workers)
        if self._waiting >= self.limits.queue:
            raise Busy(f"the server is busy: {self._waiting} requests are waiting; "
                       f"try again in a moment")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            async for message in self._run(job, request_json, seconds or self.limits.seconds):
                yield message
        finally:
            self._slots.release()

    async def _run(self, job, request_json, seconds):
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_worker, daemon=True,
                                        args=(writer, job, request_json, self.limits.memory))
        start = time.monotonic()
        process.start()
        writer.close()
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(reader.fileno(), readable.set)
        try:
            while True:
                remaining = seconds - (time.monotonic() - start)
                if remaining <= 0:
                    yield ("error", _time_limit(seconds), time.monotonic() - start)
                    return
                try:
                    await asyncio.wait_for(readable.wait(), remaining)
                except asyncio.TimeoutError:
                    continue
                readable.clear()
                while reader.poll():
                    try:
                        kind, value = reader.recv()
                    except (EOFError, OSError):
                        yield ("error", await _died(process), time.monotonic() - start)
                        return
                    yield (kind, value, time.monotonic() - start)
                    if kind != "progress":
                        return
        finally:
            loop.remove_reader(reader.fileno())
            reader.close()
            await _stop(process)


def _time_limit(seconds):
    return {"status": 422, "type": "TimeLimit",
            "message": f"the derivation took longer than {seconds:g} s, the server's limit "
                       f"per request, and was stopped"}


async def _died(process):
    """The error of a worker that exited without an answer."""
    for _ in range(50):
        if process.exitcode is not None:
            break
        await asyncio.sleep(0.02)
    code = process.exitcode
    if code is not None and code < 0:
        import signal
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ \
            else str(-code)
        return {"status": 500, "type": "WorkerDied",
                "message": f"the worker process was ended by {name} before it answered"}
    return {"status": 500, "type": "WorkerDied",
            "message": f"the worker process exited with code {code} before it answered"}


async def _stop(process):
    """Kill ``process`` if it still runs, and release it."""
    if process.exitcode is None:
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass
    deadline = time.monotonic() + _KILL_WAIT
    while process.exitcode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if process.exitcode is not None:
        process.close()
