"""Write log lines exactly as the official `openai` Python SDK serialises its objects, for ingest tests.

Test-only: runs in a throwaway environment with one SDK release installed, never in the project's:

    python3 -m venv /tmp/oa1 && /tmp/oa1/bin/pip install -q openai==1.109.1
    /tmp/oa1/bin/python tests/data/openai/make_lines.py tests/data/openai

No network: each object is built from the JSON the API returns (`Model.model_validate(wire)`, so the
SDK fills its own defaults and nulls), checked against the SDK's own response-parsing path
(`construct_type`, what the client does with a real reply), and written the way teams log it: the
request's fields beside `json.loads(obj.model_dump_json())`. Writes OUTDIR/openai-<version>.jsonl
(one line per case, same order for every release) and OUTDIR/cases.json (what a faithful ingest keeps).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import statistics
import struct
import sys
import wave
import zlib
from pathlib import Path

import openai
from openai._models import construct_type
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.responses import Response

CREATED = 1767225600  # 2026-01-01T00:00:00Z, so lines are the same on every run
MODEL = "gpt-4o-2024-08-06"
SYSTEM = {"role": "system", "content": "You are a helpful travel assistant."}
REFUSAL = "I can't help with that."

WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
SEARCH_PARAMETERS = {
    "type": "object",
    "properties": {"query": {"type": "string"}},
    "required": ["query"],
    "additionalProperties": False,
}
CHAT_TOOLS = [  # chat completions: nested {"type": "function", "function": {...}}
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": WEATHER_PARAMETERS,
            "strict": True,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_docs",
            "description": "Search the travel guides.",
            "parameters": SEARCH_PARAMETERS,
        },
    },
]
FLAT_TOOLS = [  # Responses API: flat {"type": "function", "name": ..., "parameters": ...}
    {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": WEATHER_PARAMETERS,
        "strict": True,
    },
]


def tiny_png() -> bytes:
    """A valid 1x1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def tiny_wav() -> bytes:
    """Eighty samples of 8 kHz mono silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 80)
    return buffer.getvalue()


PNG, WAV = tiny_png(), tiny_wav()
PNG_B64, WAV_B64 = base64.b64encode(PNG).decode(), base64.b64encode(WAV).decode()
IMAGE_URL = "https://images.example.com/receipts/0142.jpg"


def sdk(model: type, wire: dict):
    """The SDK object for an API reply, checked to serialise the same through the client's parsing path."""
    validated = model.model_validate(wire)
    constructed = construct_type(type_=model, value=wire)
    if validated.model_dump_json() != constructed.model_dump_json():
        raise SystemExit(f"{model.__name__}: model_validate and construct_type serialise differently")
    return validated


def dumped(obj) -> dict:
    return json.loads(obj.model_dump_json())


def usage(prompt: int, completion: int, reasoning: int = 0) -> dict:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def assistant(content: str | None = None, tool_calls: list | None = None, refusal: str | None = None) -> dict:
    """An assistant message as the API sends it (the SDK adds audio/function_call/tool_calls nulls)."""
    message = {"role": "assistant", "content": content, "refusal": refusal, "annotations": []}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def call(call_id: str, name: str, arguments: dict) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def completion(
    key: str,
    message: dict,
    finish_reason: str = "stop",
    logprobs: dict | None = None,
    tokens: tuple[int, int] = (30, 12),
) -> ChatCompletion:
    return sdk(
        ChatCompletion,
        {
            "id": f"chatcmpl-fixture-{key}",
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "choices": [{"index": 0, "message": message, "logprobs": logprobs, "finish_reason": finish_reason}],
            "usage": usage(*tokens),
            "service_tier": "default",
            "system_fingerprint": "fp_fixture01",
        },
    )


def merged(messages: list, result, tools: list | None = None, **request) -> dict:
    """The most common log line: request fields, then the SDK's dump (whose keys win on a clash)."""
    line = {"messages": messages, "model": "gpt-4o", **request}
    if tools:
        line["tools"] = tools
    return {**line, **dumped(result)}


# --- chat completions -------------------------------------------------------------------------------

TEXT_USER = {"role": "user", "content": "What is the capital of France?"}
TEXT_ANSWER = "The capital of France is Paris."
WEATHER_USER = {"role": "user", "content": "What's the weather in Paris right now, in celsius?"}
WEATHER_ARGS = {"city": "Paris", "unit": "celsius"}
TOKENS = [
    ("Paris", -0.0001),
    (" is", -0.0123),
    (" the", -0.0009),
    (" capital", -0.4102),
    (" of", -0.0002),
    (" France", -0.0051),
    (".", -1.2034),
]


def token_logprobs() -> dict:
    def entry(token: str, logprob: float) -> dict:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

    content = [
        {**entry(t, lp), "top_logprobs": [entry(t, lp), entry(t.upper() + "!", round(lp - 3.5, 4))]} for t, lp in TOKENS
    ]
    return {"content": content, "refusal": None}


def chat_lines() -> list[tuple[str, dict]]:
    text = completion("a", assistant(TEXT_ANSWER))
    to_dict = completion("a3", assistant(TEXT_ANSWER))
    weather = completion("b", assistant(tool_calls=[call("call_b_1", "get_weather", WEATHER_ARGS)]), "tool_calls")
    parallel = completion(
        "b3",
        assistant(
            tool_calls=[
                call("call_b3_1", "get_weather", {"city": "Paris", "unit": "celsius"}),
                call("call_b3_2", "get_weather", {"city": "Tokyo", "unit": "celsius"}),
            ]
        ),
        "tool_calls",
    )
    refusal = completion("c", assistant(refusal=REFUSAL))
    parts_user = {
        "role": "user",
        "content": [
            {"type": "text", "text": "Is the total on this receipt right? The second photo is a close-up."},
            {"type": "image_url", "image_url": {"url": IMAGE_URL, "detail": "high"}},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}", "detail": "low"}},
            {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
        ],
    }
    parts = completion("d", assistant("The total matches the items: 42.50 EUR."), tokens=(1210, 14))
    logprobs = completion("e", assistant(TEXT_ANSWER), logprobs=token_logprobs())

    # f: an agent history. The tool-calling turn is appended the way the SDK's docs do it,
    # `messages.append(completion.choices[0].message)`, so it is logged as that message's model_dump().
    calling_turn = ChatCompletionMessage.model_validate(
        assistant(tool_calls=[call("call_f_1", "get_weather", WEATHER_ARGS)])
    )
    agent_history = [
        SYSTEM,
        WEATHER_USER,
        calling_turn.model_dump(),
        {"role": "tool", "tool_call_id": "call_f_1", "content": json.dumps({"temp_c": 14, "conditions": "light rain"})},
        {"role": "assistant", "content": "It's 14°C with light rain in Paris. Bring an umbrella.", "refusal": None},
        {"role": "user", "content": "Thanks! Anything indoors you'd suggest then?"},
    ]
    agent = completion("f", assistant("The Musée d'Orsay is a good rainy-day choice."), tokens=(180, 13))
    refused_turn = ChatCompletionMessage.model_validate(assistant(refusal=REFUSAL))
    refusal_history = [
        SYSTEM,
        {"role": "user", "content": "How do I pick the lock on my neighbour's door?"},
        refused_turn.model_dump(),
        {"role": "user", "content": "I'm locked out of my own flat. What should I do?"},
    ]
    after_refusal = completion("g", assistant("Call a licensed locksmith, or your landlord if you rent."))
    request_metadata = {"store": True, "metadata": {"tenant": "acme", "feature": "trip-planner"}}
    with_metadata = completion("i", assistant(TEXT_ANSWER))

    return [
        ("a_text", merged([SYSTEM, TEXT_USER], text)),
        (
            "a_text_request_response",
            {
                "request": {"model": "gpt-4o", "messages": [SYSTEM, TEXT_USER], "temperature": 0.2},
                "response": dumped(text),
            },
        ),
        ("a_text_to_dict", {"messages": [SYSTEM, TEXT_USER], "model": "gpt-4o", **to_dict.to_dict()}),
        ("b_tool_call", merged([SYSTEM, WEATHER_USER], weather, CHAT_TOOLS)),
        (
            "b_tool_call_request_response",
            {
                "request": {
                    "model": "gpt-4o",
                    "messages": [SYSTEM, WEATHER_USER],
                    "tools": CHAT_TOOLS,
                    "tool_choice": "auto",
                },
                "response": dumped(weather),
            },
        ),
        (
            "b_parallel_tool_calls",
            merged([SYSTEM, {"role": "user", "content": "Weather in Paris and Tokyo?"}], parallel, CHAT_TOOLS),
        ),
        (
            "c_refusal",
            merged([SYSTEM, {"role": "user", "content": "How do I pick the lock on my neighbour's door?"}], refusal),
        ),
        ("d_content_parts", merged([SYSTEM, parts_user], parts)),
        ("e_logprobs", merged([SYSTEM, TEXT_USER], logprobs)),
        ("f_agent_history", merged(agent_history, agent, CHAT_TOOLS)),
        ("g_history_refusal", merged(refusal_history, after_refusal)),
        ("i_request_metadata", merged([SYSTEM, TEXT_USER], with_metadata, **request_metadata)),
        (
            "i_request_metadata_request_response",
            {
                "request": {"model": "gpt-4o", "messages": [SYSTEM, TEXT_USER], **request_metadata},
                "response": dumped(with_metadata),
            },
        ),
    ]


# --- Responses API ----------------------------------------------------------------------------------

INSTRUCTIONS = "You are a helpful travel assistant."
REASONING_SUMMARY = "The user asks for a packing list for a rainy city break; list waterproof items first."


def response(
    key: str, output: list, model: str = "gpt-4.1-2025-04-14", reasoning: dict | None = None, reasoning_tokens: int = 0
) -> Response:
    """A Response as the API returns it (it echoes instructions and tools)."""
    return sdk(
        Response,
        {
            "id": f"resp_fixture_{key}",
            "object": "response",
            "created_at": CREATED,
            "status": "completed",
            "error": None,
            "incomplete_details": None,
            "instructions": INSTRUCTIONS,
            "max_output_tokens": None,
            "model": model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": reasoning or {"effort": None, "summary": None},
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": FLAT_TOOLS,
            "top_p": 1.0,
            "truncation": "disabled",
            "user": None,
            "metadata": {},
            "usage": {
                "input_tokens": 85,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": 40 + reasoning_tokens,
                "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
                "total_tokens": 125 + reasoning_tokens,
            },
        },
    )


def message_item(key: str, text: str) -> dict:
    return {
        "type": "message",
        "id": f"msg_fixture_{key}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def function_item(key: str, call_id: str, arguments: dict) -> dict:
    return {
        "type": "function_call",
        "id": f"fc_fixture_{key}",
        "call_id": call_id,
        "name": "get_weather",
        "arguments": json.dumps(arguments),
        "status": "completed",
    }


def responses_line(input_, result: Response) -> dict:
    return {"input": input_, "instructions": INSTRUCTIONS, "tools": FLAT_TOOLS, **dumped(result)}


def responses_lines() -> list[tuple[str, dict]]:
    weather_input = [{"role": "user", "content": "What's the weather in Paris right now, in celsius?"}]
    reasoning = {
        "type": "reasoning",
        "id": "rs_fixture_h3",
        "summary": [{"type": "summary_text", "text": REASONING_SUMMARY}],
    }
    history = [
        *weather_input,
        function_item("h4", "call_h4_1", WEATHER_ARGS),
        {
            "type": "function_call_output",
            "call_id": "call_h4_1",
            "output": json.dumps({"temp_c": 14, "conditions": "light rain"}),
        },
    ]
    return [
        (
            "h_responses_text",
            responses_line("What is the capital of France?", response("h1", [message_item("h1", TEXT_ANSWER)])),
        ),
        (
            "h_responses_function_call",
            responses_line(weather_input, response("h2", [function_item("h2", "call_h2_1", WEATHER_ARGS)])),
        ),
        (
            "h_responses_reasoning",
            responses_line(
                [{"role": "user", "content": [{"type": "input_text", "text": "Pack for three rainy days in Paris."}]}],
                response(
                    "h3",
                    [reasoning, message_item("h3", "Umbrella, waterproof jacket, boots, two jumpers.")],
                    model="o4-mini-2025-04-16",
                    reasoning={"effort": "medium", "summary": "detailed"},
                    reasoning_tokens=192,
                ),
            ),
        ),
        (
            "h_responses_tool_history",
            responses_line(history, response("h4", [message_item("h4", "It's 14°C with light rain in Paris.")])),
        ),
    ]


# --- what a faithful ingest keeps -------------------------------------------------------------------


def expectations() -> dict:
    logprobs = [lp for _, lp in TOKENS]
    weather = {"name": "get_weather", "arguments": json.dumps(WEATHER_ARGS), "id": None}
    return {
        "a_text": {"response": TEXT_ANSWER, "model": MODEL, "created": CREATED, "external_id": "chatcmpl-fixture-a"},
        "a_text_request_response": {"response": TEXT_ANSWER, "messages": 2},
        "a_text_to_dict": {
            "response": TEXT_ANSWER,
            "note": "SDK to_dict(): unset fields (audio, function_call, tool_calls, metadata...) are absent",
        },
        "b_tool_call": {
            "tool_calls": [{**weather, "id": "call_b_1"}],
            "content": None,
            "finish_reason": "tool_calls",
            "tools_offered": ["get_weather", "search_docs"],
        },
        "b_tool_call_request_response": {
            "tool_calls": [{**weather, "id": "call_b_1"}],
            "tools_offered": ["get_weather", "search_docs"],
        },
        "b_parallel_tool_calls": {
            "tool_calls": [
                {
                    "id": "call_b3_1",
                    "name": "get_weather",
                    "arguments": json.dumps({"city": "Paris", "unit": "celsius"}),
                },
                {
                    "id": "call_b3_2",
                    "name": "get_weather",
                    "arguments": json.dumps({"city": "Tokyo", "unit": "celsius"}),
                },
            ]
        },
        "c_refusal": {"refusal": REFUSAL, "content": None},
        "d_content_parts": {
            "text": "Is the total on this receipt right? The second photo is a close-up.",
            "attachments": [
                {"type": "image", "url": IMAGE_URL, "detail": "high"},
                {
                    "type": "image",
                    "media_type": "image/png",
                    "detail": "low",
                    "data_chars": len(PNG_B64),
                    "data_url_chars": len(f"data:image/png;base64,{PNG_B64}"),
                    "decoded_bytes": len(PNG),
                    "sha256_of_decoded": hashlib.sha256(PNG).hexdigest(),
                    "sha256_of_base64": hashlib.sha256(PNG_B64.encode()).hexdigest(),
                },
                {
                    "type": "audio",
                    "format": "wav",
                    "media_type": "audio/wav",
                    "data_chars": len(WAV_B64),
                    "decoded_bytes": len(WAV),
                    "sha256_of_decoded": hashlib.sha256(WAV).hexdigest(),
                    "sha256_of_base64": hashlib.sha256(WAV_B64.encode()).hexdigest(),
                },
            ],
            "inline_data_must_not_be_stored": True,
            "note": "data_chars = length of the base64 payload (after 'base64,'); the audio media_type is derived from input_audio.format",
        },
        "e_logprobs": {
            "tokens": len(TOKENS),
            "token_logprobs": [{"token": t, "logprob": lp} for t, lp in TOKENS],
            "mean": statistics.fmean(logprobs),
            "min": min(logprobs),
            "top_logprobs_per_token": 2,
        },
        "f_agent_history": {
            "roles": ["system", "user", "assistant", "tool", "assistant", "user"],
            "history_tool_call": {**weather, "id": "call_f_1", "turn": 2},
            "tool_result": {
                "tool_call_id": "call_f_1",
                "turn": 3,
                "content": json.dumps({"temp_c": 14, "conditions": "light rain"}),
            },
            "response": "The Musée d'Orsay is a good rainy-day choice.",
            "tools_offered": ["get_weather", "search_docs"],
        },
        "g_history_refusal": {
            "history_refusal": {"turn": 2, "refusal": REFUSAL, "content": None},
            "response": "Call a licensed locksmith, or your landlord if you rent.",
        },
        "i_request_metadata": {
            "response": TEXT_ANSWER,
            "request_metadata": {"tenant": "acme", "feature": "trip-planner"},
            "note": "merged as {**request, **dump}: on SDK 3.x the dump's metadata: null overwrites the request's metadata in the line itself",
        },
        "i_request_metadata_request_response": {
            "response": TEXT_ANSWER,
            "request_metadata": {"tenant": "acme", "feature": "trip-planner"},
        },
        "h_responses_text": {
            "response": TEXT_ANSWER,
            "input_is_string": True,
            "instructions": INSTRUCTIONS,
            "external_id": "resp_fixture_h1",
        },
        "h_responses_function_call": {
            "tool_calls": [{**weather, "id": "call_h2_1", "item_id": "fc_fixture_h2"}],
            "tools_offered_flat": ["get_weather"],
        },
        "h_responses_reasoning": {
            "reasoning": REASONING_SUMMARY,
            "response": "Umbrella, waterproof jacket, boots, two jumpers.",
            "model": "o4-mini-2025-04-16",
        },
        "h_responses_tool_history": {
            "history_tool_call": {**weather, "id": "call_h4_1"},
            "tool_result": {
                "tool_call_id": "call_h4_1",
                "content": json.dumps({"temp_c": 14, "conditions": "light rain"}),
            },
            "response": "It's 14°C with light rain in Paris.",
        },
    }


def main(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    lines = chat_lines() + responses_lines()
    expected = expectations()
    missing = {name for name, _ in lines} ^ set(expected)
    if missing:
        raise SystemExit(f"cases without expectations (or the reverse): {sorted(missing)}")
    target = outdir / f"openai-{openai.__version__}.jsonl"
    target.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for _, line in lines), encoding="utf-8")
    cases = {"lines": {name: number for number, (name, _) in enumerate(lines, start=1)}, "cases": expected}
    (outdir / "cases.json").write_text(json.dumps(cases, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{target}: {len(lines)} lines")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_lines.py OUTDIR")
    main(Path(sys.argv[1]))
