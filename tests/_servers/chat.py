"""A local server speaking the OpenAI protocol (Chat Completions, Responses), for real clients.

It answers POST /v1/chat/completions and POST /v1/responses from one script of replies (a 500
once the script runs out, or when the next reply is for the other endpoint) and records every
request body, so a test can assert what the model was, or was not, sent. A chat request with
``"stream": true`` gets the scripted completion as server-sent events, the way the API streams
it: the text in several deltas, each tool call's arguments split across deltas, the finish
reason in a chunk of its own, and the usage after it when ``stream_options`` asks for it. A
streamed Responses request gets the events of each output item (text and arguments in several
deltas) between ``response.created`` and ``response.completed``. `ChatServer.stream_raw` scripts a
stream sent exactly as given, to play a model that breaks the protocol.
"""

from __future__ import annotations

import json
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

    def respond_with(self, content: str | None = None, *calls: tuple[str, str, str]) -> None:
        """Script one Responses API response: a message with `content` (when given), then a
        ``function_call`` item per (call_id, name, arguments)."""
        output: list[dict[str, Any]] = []
        if content is not None:
            output.append({
                "type": "message", "id": "msg_test", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": content, "annotations": []}],
            })
        output.extend(
            {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": name,
             "arguments": arguments, "status": "completed"}
            for call_id, name, arguments in calls
        )
        self.script.append({
            "id": "resp_test", "object": "response", "created_at": time.time(),
            "model": "scripted", "output": output, "parallel_tool_calls": True,
            "tool_choice": "auto", "tools": [], "status": "completed",
        })

    def stream_raw(self, wanted: str, events: list[dict[str, Any]]) -> None:
        """Script a stream sent as it is: `events` (chunks or Responses events) for the next
        request to the endpoint answering `wanted` (``chat.completion`` or ``response``), so a
        test can play a model that breaks the protocol."""
        self.script.append({"object": wanted, "_events": events})

    def respond(self, request: Request) -> Reply:
        body = request.json()
        with self.lock:
            self.requests.append({"path": request.path, "body": body})
            reply = self.script.pop(0) if self.script else None
        wanted = _ENDPOINTS.get(request.path)
        if reply is None or wanted is None or reply.get("object") != wanted:
            return Reply(500, {"error": {"message": "nothing scripted", "type": "test"}})
        if "_events" in reply:
            return Reply(200, _events(reply["_events"]),
                         headers={"content-type": "text/event-stream"})
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = _chunks(reply, usage) if wanted == "chat.completion" else _steps(reply)
            return Reply(200, _events(events), headers={"content-type": "text/event-stream"})
        return Reply(200, reply)


_ENDPOINTS = {"/v1/chat/completions": "chat.completion", "/v1/responses": "response"}


def _chunks(completion: dict[str, Any], usage: bool) -> list[dict[str, Any]]:
    """A scripted completion as the chunks the API would stream for it."""
    head = {"id": completion["id"], "object": "chat.completion.chunk",
            "created": completion["created"], "model": completion["model"]}
    choice = completion["choices"][0]
    message = choice["message"]
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    text = message.get("content") or ""
    deltas += [{"content": piece} for piece in _pieces(text)]
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call["function"]
        deltas.append({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                       "function": {"name": function["name"], "arguments": ""}}]})
        deltas += [{"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
                   for piece in _pieces(function["arguments"])]
    chunks = [{**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
              for delta in deltas]
    chunks.append({**head, "choices": [{"index": 0, "delta": {},
                                        "finish_reason": choice["finish_reason"]}]})
    if usage:
        chunks.append({**head, "choices": [], "usage": completion["usage"]})
    return chunks


def _steps(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A scripted Responses API response as the events the API would stream for it."""
    events: list[dict[str, Any]] = [
        {"type": "response.created",
         "response": {**response, "status": "in_progress", "output": []}},
    ]
    for index, item in enumerate(response["output"]):
        at = {"output_index": index, "item_id": item["id"]}
        if item["type"] == "message":
            part = item["content"][0]
            events += [
                {"type": "response.output_item.added", "output_index": index,
                 "item": {**item, "status": "in_progress", "content": []}},
                {"type": "response.content_part.added", **at, "content_index": 0,
                 "part": {**part, "text": ""}},
                *({"type": "response.output_text.delta", **at, "content_index": 0,
                   "delta": piece, "logprobs": []} for piece in _pieces(part["text"])),
                {"type": "response.output_text.done", **at, "content_index": 0,
                 "text": part["text"], "logprobs": []},
                {"type": "response.content_part.done", **at, "content_index": 0, "part": part},
            ]
        else:
            events += [
                {"type": "response.output_item.added", "output_index": index,
                 "item": {**item, "status": "in_progress", "arguments": ""}},
                *({"type": "response.function_call_arguments.delta", **at, "delta": piece}
                  for piece in _pieces(item["arguments"])),
                {"type": "response.function_call_arguments.done", **at,
                 "arguments": item["arguments"]},
            ]
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": response})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def _pieces(text: str) -> list[str]:
    """`text` cut in three (fewer when short), so a client has to join deltas."""
    step = max(1, -(-len(text) // 3))
    return [text[start:start + step] for start in range(0, len(text), step)]


def _events(chunks: list[dict[str, Any]]) -> bytes:
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks]
    return "".join([*lines, "data: [DONE]\n\n"]).encode()


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    """A running `ChatServer` on 127.0.0.1, shut down on exit."""
    chat = ChatServer()
    with serve(chat.respond) as http:
        chat.http = http
        yield chat
