"""OpenAI's log shapes onto the record format, as the official SDK writes them (1.x to current).

- **Chat completions**: a `ChatCompletion` (`choices[0].message`, nulls where the SDK writes nulls)
  beside its request's `messages` and `tools`, either merged into one object or as
  `{"request": {...}, "response": {...}}`. The answer may be text, tool calls (`content: null`),
  or a refusal (`refusal`); per-token `logprobs.content` give the mean and minimum (and the list
  itself with `[ingest] keep_token_logprobs`).
- **Responses API**: a `Response` (`output` items: `message` with `output_text`/`refusal` parts,
  `function_call`, `reasoning` with its summary) beside the request's `input` (a string or items,
  including earlier `function_call`/`function_call_output` items) and `instructions`.
- **Messages**: content parts keep their text; images, audio and files become attachments (a URL,
  or inline data's media type, length and hash: the data itself is not kept, nothing is fetched)
  shown in the text as "[image: URL]"; `developer` turns are system turns; the legacy
  `function_call` / `function` role become a tool call and a tool turn; an assistant turn's
  `refusal` and `reasoning_content` are kept.

Everything else of the request and the response goes to `metadata` (the reader's rule), so
nothing is lost: usage, finish reason, service tier, the Responses settings.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from annotate.text.tool_calls import response_text

TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_DATA_URL = re.compile(r"data:([^;,]*)(?:;[^,]*)?,", re.ASCII)


def unwrap_request(data: dict[str, Any]) -> dict[str, Any]:
    """`{"request": {...}, "response": {<a completion or Response>}}` as one merged object; the
    request's other settings (temperature...) stay together under `request`."""
    request, response = data.get("request"), data.get("response")
    if not (isinstance(request, dict) and isinstance(response, dict) and _is_api_response(response)):
        return data
    merged = {key: value for key, value in data.items() if key not in ("request", "response")}
    merged.update(response)
    settings = {}
    for key, value in request.items():
        if key in ("messages", "input", "instructions", "tools") or (key == "model" and "model" not in merged):
            merged[key] = value
        elif key == "metadata" and isinstance(value, dict):  # the team's tags, which the SDK's dump writes as null
            merged[key] = {**value, **(merged.get(key) or {})}
        else:
            settings[key] = value
    if settings:
        merged["request"] = settings
    return merged


def _is_api_response(value: dict[str, Any]) -> bool:
    return "choices" in value or isinstance(value.get("output"), list) or value.get("object") in ("chat.completion", "response")


def is_responses_api(data: dict[str, Any]) -> bool:
    return isinstance(data.get("output"), list) and (data.get("object") == "response" or "input" in data)


def from_responses_api(data: dict[str, Any], keep_token_logprobs: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Responses API object (with its request's `input`) as record fields, and what goes to metadata."""
    record: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    messages: list[dict[str, Any]] = []
    if isinstance(data.get("instructions"), str) and data["instructions"].strip():
        messages.append({"role": "system", "content": data["instructions"]})
    elif data.get("instructions") is not None:
        extras["instructions"] = data["instructions"]
    given = data.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    elif isinstance(given, list):
        messages.extend(_input_items(given, extras))
    record["messages"] = messages
    content, refusals, calls, reasoning, tokens, other = [], [], [], [], [], []
    for item in data["output"]:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    content.append(str(part.get("text") or ""))
                    tokens.extend(part.get("logprobs") or [])
                elif isinstance(part, dict) and part.get("type") == "refusal":
                    refusals.append(str(part.get("refusal") or ""))
                else:
                    other.append(part)
        elif kind == "function_call":
            calls.append(_call(item.get("call_id") or item.get("id"), item.get("name"), item.get("arguments")))
        elif kind == "reasoning":
            reasoning.extend(str(s.get("text") or "") for s in item.get("summary") or [] if isinstance(s, dict))
        else:
            other.append(item)
    if other:
        extras["other_output"] = other
    _set_response(record, "\n".join(content), calls or None, "\n".join(refusals) or None)
    if reasoning:
        record["reasoning"] = "\n\n".join(part for part in reasoning if part)
    _take_token_logprobs(record, tokens, keep_token_logprobs)
    for key in ("id", "model", "tools", "metadata"):
        if key in data:
            record[key] = data[key]
    if isinstance(data.get("created_at"), (int, float)):
        record["created"] = data["created_at"]
    for key, value in data.items():
        if key == "reasoning" and value is not None:
            extras["reasoning_settings"] = value
        elif key not in record and key not in ("instructions", "input", "output", "created_at") and value is not None:
            extras[key] = value
    return record, extras


def _input_items(items: list[Any], extras: dict[str, Any]) -> list[dict[str, Any]]:
    """Responses API input items as chat messages; consecutive function calls make one assistant turn."""
    messages: list[dict[str, Any]] = []
    skipped = []
    for item in items:
        if not isinstance(item, dict):
            messages.append(item)  # validation names it
            continue
        kind = item.get("type", "message")
        if kind == "function_call":
            call = _call(item.get("call_id") or item.get("id"), item.get("name"), item.get("arguments"))
            if messages and messages[-1].get("role") == "assistant" and messages[-1].get("tool_calls") and not messages[-1].get("content"):
                messages[-1]["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append({"role": "tool", "tool_call_id": item.get("call_id"),
                             "content": output if isinstance(output, str) else _json_text(output)})  # fmt: skip
        elif kind == "message" and "role" in item:
            messages.append({key: value for key, value in item.items() if key not in ("type", "status")})
        else:
            skipped.append(item)
    if skipped:
        extras["other_input"] = skipped
    return messages


def _json_text(value: Any) -> str:
    from pydantic_core import to_json

    return to_json(value).decode("utf-8")


def _call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def from_choice(record: dict[str, Any], choice: dict[str, Any], extras: dict[str, Any], keep_token_logprobs: bool) -> None:
    """Take the response (its text, calls, refusal and log-probability statistics) from `choices[0]`."""
    message = choice.get("message")
    if isinstance(message, dict):
        take_assistant_message(record, message, extras)
    else:
        record["response"] = choice.get("text")
    if choice.get("finish_reason") is not None:
        extras["finish_reason"] = choice["finish_reason"]
    logprobs = choice.get("logprobs")
    tokens = logprobs.get("content") if isinstance(logprobs, dict) else None
    if isinstance(logprobs, dict) and isinstance(logprobs.get("refusal"), list) and not tokens:
        tokens = logprobs["refusal"]
    if "logprobs" not in record:
        _take_token_logprobs(record, tokens or [], keep_token_logprobs)


def take_assistant_message(record: dict[str, Any], message: dict[str, Any], extras: dict[str, Any]) -> None:
    """An assistant message (a completion's choice, a final turn, a `response` object) as the
    record's response fields; its other non-null fields (audio, annotations...) to metadata."""
    message = flatten_message(message)
    _set_response(record, message.get("content"), message.get("tool_calls"), message.get("refusal"))
    if message.get("reasoning_content"):
        record["reasoning"] = message["reasoning_content"]
    for key, value in message.items():
        if key not in ("role", "content", "tool_calls", "refusal", "reasoning_content") and value not in (None, [], {}):
            extras[f"response_{key}"] = value


def _set_response(record: dict[str, Any], content: Any, calls: list[dict] | None, refusal: str | None) -> None:
    if content is not None and not isinstance(content, str):
        record["response"] = content  # validation says it is not text
        return
    if calls and not all(isinstance(call, dict) for call in calls):
        record["tool_calls"] = calls  # validation names the bad call
        record["response"] = content or ""
        return
    record["response"] = response_text(content, calls, refusal)
    if calls:
        record["tool_calls"] = calls
    if refusal:
        record["refusal"] = refusal


def _take_token_logprobs(record: dict[str, Any], tokens: list[Any], keep: bool) -> None:
    entries = [t for t in tokens if isinstance(t, dict) and isinstance(t.get("logprob"), (int, float))]
    if not entries:
        return
    values = [float(t["logprob"]) for t in entries]
    record["logprobs"] = {"mean": round(sum(values) / len(values), 4), "min": round(min(values), 4)}
    if keep:
        record["token_logprobs"] = [{"token": str(t.get("token", "")), "logprob": float(t["logprob"])} for t in entries]


def flatten_message(message: Any) -> Any:
    """One message in the record's shape: content parts joined (attachments noted where they were),
    a null content as "", `developer` as a system turn, the legacy function call as a tool call."""
    if not isinstance(message, dict):
        return message
    message = dict(message)
    if message.get("role") == "developer":
        message["role"], message["original_role"] = "system", "developer"
    elif message.get("role") == "function":
        message["role"] = "tool"
    if isinstance(message.get("function_call"), dict) and not message.get("tool_calls"):
        legacy = message.pop("function_call")
        message["tool_calls"] = [_call(None, legacy.get("name"), legacy.get("arguments"))]
    elif "function_call" in message and message["function_call"] is None:
        del message["function_call"]
    content = message.get("content")
    if content is None:
        message["content"] = ""
    elif isinstance(content, list) and all(isinstance(part, dict) for part in content):
        texts, attachments, refusals = [], [], []
        for part in content:
            _read_part(part, texts, attachments, refusals)
        message["content"] = "\n".join(texts)
        if attachments:
            message["attachments"] = [*(message.get("attachments") or []), *attachments]
        if refusals and not message.get("refusal"):
            message["refusal"] = "\n".join(refusals)
    return message


def _read_part(part: dict[str, Any], texts: list[str], attachments: list[dict], refusals: list[str]) -> None:
    kind = part.get("type")
    if kind in TEXT_PARTS:
        texts.append(str(part.get("text") or ""))
    elif kind == "refusal":
        refusals.append(str(part.get("refusal") or ""))
    elif kind in ("image_url", "input_image"):
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        detail = image.get("detail") if isinstance(image, dict) else part.get("detail")
        attachment = _reference("image", url, detail=detail, file_id=part.get("file_id"))
        attachments.append(attachment)
        texts.append(_placeholder(attachment))
    elif kind in ("input_audio", "audio"):
        audio = part.get("input_audio") or part.get("audio") or {}
        data = audio.get("data") if isinstance(audio, dict) else None
        attachment = {"type": "audio", "media_type": f"audio/{audio.get('format')}" if isinstance(audio, dict) and audio.get("format") else None,
                      **_inline(data)}  # fmt: skip
        attachments.append(attachment)
        texts.append(_placeholder(attachment))
    elif kind in ("file", "input_file"):
        file = part.get("file") if isinstance(part.get("file"), dict) else part
        data = file.get("file_data")
        attachment = {"type": "file", "name": file.get("filename") or file.get("file_id"),
                      "url": file.get("file_url"), **(_inline(data) if isinstance(data, str) else {})}  # fmt: skip
        attachments.append(_without_none(attachment))
        texts.append(_placeholder(attachment))
    else:
        texts.append(f"[{kind or 'part'}]")
        attachments.append({"type": "file", "name": f"unknown part {kind!r}"})


def _reference(kind: str, url: Any, *, detail: Any = None, file_id: Any = None) -> dict[str, Any]:
    if isinstance(url, str) and url.startswith("data:"):
        match = _DATA_URL.match(url)
        data = url[match.end():] if match else url
        media = match.group(1) if match else None
        return _without_none({"type": kind, "media_type": media or None, **_inline(data), "detail": detail})
    return _without_none({"type": kind, "url": url if isinstance(url, str) else None,
                          "name": file_id if isinstance(file_id, str) else None, "detail": detail})  # fmt: skip


def _inline(data: Any) -> dict[str, Any]:
    if not isinstance(data, str):
        return {}
    return {"data_chars": len(data), "sha256": hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()}


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _placeholder(attachment: dict[str, Any]) -> str:
    kind = attachment["type"]
    if attachment.get("url"):
        return f"[{kind}: {attachment['url']}]"
    if attachment.get("data_chars") is not None:
        media = f"{attachment['media_type']}, " if attachment.get("media_type") else ""
        return f"[{kind}: inline {media}{attachment['data_chars']:,} characters]"
    return f"[{kind}: {attachment.get('name') or 'no reference'}]"
