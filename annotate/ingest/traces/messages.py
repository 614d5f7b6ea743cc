"""The message shapes trace exports carry, onto OpenAI's chat shape (which the record reader takes apart).

- **OpenAI dicts** (`role`, `content` as text or parts, `tool_calls`, `tool_call_id`): kept; a tool
  call written LangChain's way (`name`, `args`, `id`) becomes OpenAI's.
- **LangChain messages** as LangSmith and Langfuse store them: serialised constructors
  (`{"lc": 1, "type": "constructor", "id": [..., "AIMessage"], "kwargs": {...}}`), `{"type": "ai",
  "data": {...}}` (`messages_to_dict`) and dumped models (`{"type": "ai", "content": ...}`). Types
  human / ai / system / tool / function / chat become roles; an AI message's calls come from
  `additional_kwargs.tool_calls` (the arguments as the model wrote them) or else `tool_calls`
  (`args` objects), with `invalid_tool_calls` kept (their raw arguments) for the flaggers.
- **An output** (`assistant_output`): a text, a message, a chat completion (`choices[0].message`),
  LangChain's `LLMResult` (`generations[0][0].message` or `.text`), or a wrapper holding one
  (`message`, `output`); the wrapper's other fields are returned for metadata.
"""

from __future__ import annotations

import json
from typing import Any

_LANGCHAIN_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool",
                    "developer": "system", "remove": None}  # fmt: skip
_LANGCHAIN_CLASSES = {"HumanMessage": "human", "AIMessage": "ai", "SystemMessage": "system", "ToolMessage": "tool",
                      "FunctionMessage": "function", "ChatMessage": "chat"}  # fmt: skip
_ROLE_ALIASES = {"human": "user", "ai": "assistant", "model": "assistant", "bot": "assistant"}


def parsed(value: Any) -> Any:
    """A text that holds a JSON object or list, parsed (exports often keep inputs and outputs as text)."""
    if isinstance(value, str) and value[:1] in ("{", "[") and value[-1:] in ("}", "]"):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def chat_message(value: Any, *, details: bool = False) -> Any:
    """One message in OpenAI's shape (anything else is returned as it is, for validation to name).
    With `details`, a LangChain message's `usage_metadata`, `response_metadata` and `id` are kept
    under `details` (an output's, for metadata; earlier turns' belong to their own records)."""
    if not isinstance(value, dict):
        return value
    if value.get("lc") and isinstance(value.get("kwargs"), dict) and isinstance(value.get("id"), list) and value["id"]:
        name = str(value["id"][-1]).removesuffix("Chunk")
        return _from_langchain(_LANGCHAIN_CLASSES.get(name, name), value["kwargs"], details)
    if "role" not in value and isinstance(value.get("type"), str) and isinstance(value.get("data"), dict):
        return _from_langchain(value["type"], value["data"], details)
    if "role" not in value and value.get("type") in (*_LANGCHAIN_ROLES, "chat"):
        return _from_langchain(value["type"], value, details)
    message = dict(value)
    if isinstance(message.get("role"), str) and message["role"] in _ROLE_ALIASES:
        message["original_role"], message["role"] = message["role"], _ROLE_ALIASES[message["role"]]
    if message.get("tool_calls") is not None:
        message["tool_calls"] = _calls(message["tool_calls"]) or None
    return message


def _from_langchain(kind: str, fields: dict[str, Any], details: bool) -> dict[str, Any]:
    role = _LANGCHAIN_ROLES.get(kind) or fields.get("role") or kind
    extra = fields.get("additional_kwargs") if isinstance(fields.get("additional_kwargs"), dict) else {}
    calls = [*_calls(extra.get("tool_calls") or fields.get("tool_calls")), *_calls(fields.get("invalid_tool_calls"))]
    content = fields.get("content")
    if calls and isinstance(content, list):  # Anthropic's tool_use blocks repeat the calls
        content = [part for part in content if not (isinstance(part, dict) and part.get("type") in ("tool_use", "tool_call"))]
    message: dict[str, Any] = {"role": role, "content": content}
    for key in ("name", "tool_call_id"):
        if fields.get(key):
            message[key] = fields[key]
    if role == "tool" and fields.get("status") == "error":
        message["status"] = "error"
    if calls:
        message["tool_calls"] = calls
    elif isinstance(extra.get("function_call"), dict):
        message["function_call"] = extra["function_call"]
    for key in ("refusal", "reasoning_content"):
        if extra.get(key):
            message[key] = extra[key]
    kept = {key: fields[key] for key in ("usage_metadata", "response_metadata", "id") if fields.get(key)}
    if details and kept:
        message["details"] = kept
    return message


def _calls(value: Any) -> list[Any]:
    """A list of calls in OpenAI's shape; anything else kept as one (bad) call for validation to name."""
    if value in (None, [], "", {}):
        return []
    return [openai_call(call) for call in value] if isinstance(value, list) else [value]


def openai_call(call: Any) -> Any:
    """A tool call in OpenAI's shape (`{"id", "type": "function", "function": {"name", "arguments"}}`)."""
    if not isinstance(call, dict) or isinstance(call.get("function"), dict):
        return call
    if "name" in call:
        arguments = call.get("args", call.get("arguments"))
        return {"id": call.get("id"), "type": "function", "function": {"name": call.get("name"), "arguments": arguments}}
    return call


def chat_messages(value: Any) -> list[Any] | None:
    """A list of messages (a batch of lists: its first), or None when `value` is not one."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        value = value[0]
    if not isinstance(value, list):
        return None
    return [chat_message(message) for message in value]


def opening(value: Any) -> list[dict[str, Any]] | None:
    """An agent's or chain's input as the turns that open a conversation: a text as the user's turn,
    or a message list (also under `messages`); None for anything else (a query object, a number)."""
    value = parsed(value)
    if isinstance(value, str):
        return [{"role": "user", "content": value}] if value.strip() else None
    if isinstance(value, dict):
        value = value.get("messages")
    messages = chat_messages(value)
    if messages and all(isinstance(message, dict) and isinstance(message.get("role"), str) for message in messages):
        return messages
    return None


def assistant_output(value: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """An output as an assistant message (None when it holds none) and its wrapper's other fields."""
    value = parsed(value)
    if isinstance(value, str):
        return {"content": value}, {}
    if isinstance(value, list):
        if len(value) == 1:
            return assistant_output(value[0])
        answers = [(index, chat_message(item)) for index, item in enumerate(value) if isinstance(item, dict)]
        answers = [(index, message) for index, message in answers if message.get("role") == "assistant"]
        if not answers:
            return None, {}
        chosen, message = answers[-1]
        others = [item for index, item in enumerate(value) if index != chosen]
        return _output_of(message), ({"other_output": others} if others else {})
    if not isinstance(value, dict):
        return None, {}
    for key in ("choices", "generations"):
        items = value.get(key)
        if isinstance(items, list) and items:
            first = items[0][0] if isinstance(items[0], list) and items[0] else items[0]
            if isinstance(first, dict):
                message, inner = assistant_output(first.get("message") if isinstance(first.get("message"), dict) else first.get("text"))
                rest = {**{k: v for k, v in value.items() if k != key}, **inner}
                details = {k: v for k, v in first.items() if k not in ("message", "text") and v not in (None, {}, [])}
                if details:
                    rest[f"{key}_detail"] = details
                return message, rest
    for key in ("message", "output"):
        if isinstance(value.get(key), (dict, str, list)) and not _is_message(value):
            message, rest = assistant_output(value[key])
            return message, {**{k: v for k, v in value.items() if k != key}, **rest}
    if _is_message(value):
        message = chat_message(value, details=True)
        details = message.pop("details", {})
        return _output_of(message), details
    if isinstance(value.get("text"), str):
        return {"content": value["text"]}, {k: v for k, v in value.items() if k != "text"}
    return None, {}


def _is_message(value: dict[str, Any]) -> bool:
    return any(key in value for key in ("role", "content", "tool_calls", "function_call", "lc")) or value.get("type") == "ai"


def _output_of(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key != "role"}
