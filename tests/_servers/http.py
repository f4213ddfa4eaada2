"""One local HTTP server for every test that needs a peer: a responder function in, requests out.

The OpenAI-protocol chat server, the LLM classifier's scripted server, the handoff webhook
receiver and the OTLP collector are all this server with a different `respond`. It binds
127.0.0.1 on a free port, records every request, and shuts down when the `serve` block ends.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LocalServer", "Reply", "Request", "serve"]


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What to answer: a status, a body (bytes, or any JSON value) and headers; `delay` seconds
    are slept first (a stalled peer)."""

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        return json.dumps(self.body).encode(), "application/json"


Responder = Callable[[Request], Reply]


class LocalServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 answering through `respond`; keeps every request."""

    daemon_threads = True

    def __init__(self, respond: Responder) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.respond = respond
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    def url(self, path: str = "") -> str:
        """The server's address, with `path` appended."""
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        request = Request(
            method=self.command, path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(int(self.headers.get("content-length", 0))),
        )
        with self.server.lock:
            self.server.requests.append(request)
        reply = self.server.respond(request)
        if reply.delay:
            time.sleep(reply.delay)
        raw, content_type = reply.encoded()
        self.send_response(reply.status)
        headers = {"content-type": content_type, **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@contextlib.contextmanager
def serve(respond: Responder) -> Iterator[LocalServer]:
    """A running `LocalServer` answering through `respond`, shut down when the block ends."""
    server = LocalServer(respond)
    # A short poll interval: shutdown() waits for the loop's next poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
