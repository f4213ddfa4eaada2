"""A local server speaking the OpenAI Chat Completions protocol, for tests of real clients.

It answers POST /v1/chat/completions from a script of replies (a 500 once the script runs out)
and records every request body, so a test can assert what the model was, or was not, sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests._servers.http import LocalServer, Reply, Request, serve

__all__ = ["ChatServer", "chat_server"]


class ChatServer:
    """Replies from `script` in order (a 500 once it runs out); records every request body."""

    def __init__(self) -> None:
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.http: LocalServer | None = None

    @property
    def url(self) -> str:
        assert self.http is not None, "use chat_server() to start the server"
        return self.http.url("/v1")

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

    def respond(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append({"path": request.path, "body": request.json()})
            reply = self.script.pop(0) if self.script else None
        if request.path != "/v1/chat/completions" or reply is None:
            return Reply(500, {"error": {"message": "nothing scripted", "type": "test"}})
        return Reply(200, reply)


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    """A running `ChatServer` on 127.0.0.1, shut down on exit."""
    chat = ChatServer()
    with serve(chat.respond) as http:
        chat.http = http
        yield chat
