"""What every benchmark shares: interleaved timing, medians with their spread, the machine.

``interleaved({name: fn}, rounds)`` times several functions A B C A B C ...: one batch of
each per round, in a fresh random order per round, so that load on a shared machine hits
every competitor alike.  A batch repeats a fast function until it lasts ``batch`` seconds
(the per-call time is the batch's mean); the result per name is the list of per-round
times, reported as median with min - max (``ms_spread``).
"""
import datetime
import os
import platform
import random
import statistics
import subprocess
import time

__all__ = ["interleaved", "ms_spread", "spread", "machine", "pin_threads", "median"]


def pin_threads(threads):
    """One BLAS / OpenMP / XLA thread count for every library (set before importing them)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if int(threads) == 1:
        os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")


def median(ts):
    return statistics.median(ts)


def interleaved(fns, rounds=7, batch=0.02, seed=0, after_call=None):
    """{name: [seconds per call, one per round]} for the functions ``fns`` ({name: fn}).

    Each function is called once first (warm-up: compilation, caches) and its batch size
    chosen from that call; then ``rounds`` rounds, each running every function's batch once,
    in a random order.  ``after_call(name, out)`` may block on asynchronous results.
    """
    inner = {}
    for name, fn in fns.items():
        start = time.perf_counter()
        out = fn()
        if after_call:
            after_call(name, out)
        start2 = time.perf_counter()
        out = fn()
        if after_call:
            after_call(name, out)
        dt = max(time.perf_counter() - start2, 1e-7)
        inner[name] = max(1, min(10000, int(batch / dt)))
    times = {name: [] for name in fns}
    rng = random.Random(seed)
    for _ in range(rounds):
        order = list(fns)
        rng.shuffle(order)
        for name in order:
            fn = fns[name]
            start = time.perf_counter()
            for _ in range(inner[name]):
                out = fn()
                if after_call:
                    after_call(name, out)
            times[name].append((time.perf_counter() - start) / inner[name])
    return times


def spread(ts, scale=1.0, fmt="{:.2f}"):
    """'median (min – max)' of the times ``ts`` multiplied by ``scale``."""
    med = statistics.median(ts) * scale
    return f"{fmt.format(med)} ({fmt.format(min(ts) * scale)} – {fmt.format(max(ts) * scale)})"


def ms_spread(ts):
    """'median | min – max' in milliseconds, two table cells."""
    return (f"{statistics.median(ts) * 1e3:.2f} | {min(ts) * 1e3:.2f} – {max(ts) * 1e3:.2f}")


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _commit(root):
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def _version(module):
    try:
        mod = __import__(module)
        return mod.__version__
    except Exception:   # not installed, or broken: say so
        return None


def machine(root):
    """A dict describing the run: date, machine, load, versions, commit."""
    import numpy
    blas = "unknown BLAS"
    try:
        config = numpy.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:   # older NumPy: no dict mode
        pass
    versions = {"Python": platform.python_version(), "SymPy": _version("sympy"),
                "NumPy": f"{numpy.__version__} ({blas})", "torch": _version("torch"),
                "jax": _version("jax")}
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(), "cores": os.cpu_count(), "memory": f"{_memory_gib():.0f} GiB",
        "system": f"{platform.system()} {platform.release()}",
        "load": " ".join(open("/proc/loadavg").read().split()[:3])
        if os.path.exists("/proc/loadavg") else "?",
        "versions": ", ".join(f"{k} {v}" if v else f"{k} not installed"
                              for k, v in versions.items()),
        "commit": _commit(root),
    }
