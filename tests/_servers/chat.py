"""A local server speaking the OpenAI Chat Completions protocol, for tests of real clients.

It answers POST /v1/chat/completions from a script of replies (a 500 once the script runs out)
and records every request body, so a test can assert what the model was, or was not, sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ChatServer", "chat_server"]


class ChatServer(ThreadingHTTPServer):
    """Replies from `script` in order (a 500 once it runs out); records every request body."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def reply(self, content: str | None = None, *calls: tuple[str, str, str]) -> None:
        """Script one completion: `content` and tool calls given as (id, name, arguments)."""
        tool_calls = [
            {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}
            for id_, name, arguments in calls
        ]
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        if tool_calls:
            message["tool_calls"] = tool_calls
        self.script.append({
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": "scripted",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        })


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        with self.server.lock:
            self.server.requests.append({"path": self.path, "body": body})
            reply = self.server.script.pop(0) if self.server.script else None
        if self.path != "/v1/chat/completions" or reply is None:
            status, data = 500, {"error": {"message": "nothing scripted", "type": "test"}}
        else:
            status, data = 200, reply
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    """A running `ChatServer` on 127.0.0.1, shut down on exit."""
    httpd = ChatServer()
    # A short poll interval: shutdown() waits for the loop's next poll.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
