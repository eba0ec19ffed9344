"""``matcalc serve`` started as a user starts it (a subprocess), for the web and browser
tests; and a small HTTP client for them."""
import contextlib
import json
import os
import re
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.request

STARTUP_SECONDS = 90   # the fork server imports and warms matcalc first (a few seconds)


@contextlib.contextmanager
def running_server(tmp_path, *options):
    """The base address of a ``matcalc serve --port 0`` started in ``tmp_path`` (not the
    checkout); stopped afterwards."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "matcalc", "serve", "--port", "0",
                                *options], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        line = _first_line(process)
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, f"matcalc serve printed {line!r}; stderr: {process.stderr.read()}"
        yield Served(match.group(0).rstrip("/"), process.pid)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        process.stdout.close()
        process.stderr.close()


class Served(str):
    """The server's base address; ``pid`` its process id."""

    def __new__(cls, base, pid):
        served = super().__new__(cls, base)
        served.pid = pid
        return served

    def workers(self):
        """The process ids of the running workers (the fork server's children)."""
        return [pid for child in _children(self.pid) for pid in _children(child)]


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(p) for p in children.read().split()]
    except OSError:
        return []


def _first_line(process):
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            return process.stdout.readline()
        if process.poll() is not None:
            raise AssertionError(f"matcalc serve exited with {process.returncode}: "
                                 f"{process.stderr.read()}")
    raise AssertionError(f"matcalc serve did not start within {STARTUP_SECONDS} s")


def call(base, path, body=None, *, raw=None, content_type="application/json", method=None,
         headers=None, timeout=60):
    """``(status, headers, decoded JSON or text)`` of one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, head, text = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, head, text = error.code, dict(error.headers), error.read()
    text = text.decode("utf-8", "replace")
    try:
        return status, head, json.loads(text)
    except ValueError:
        return status, head, text
