"""Tool-calling conversations for tests: an order-status agent with two tools, each record a
history of a call and its result before the answer under review."""

from __future__ import annotations

import json

TOOLS = [
    {"type": "function", "function": {
        "name": "get_order", "description": "Look up an order by its number.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}, "include_items": {"type": "boolean"}},
                       "required": ["order_id"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "refund", "description": "Refund an order, in full or in part.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
                       "required": ["order_id", "amount"], "additionalProperties": False}}},
]  # fmt: skip
CITIES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Dakar", "Perth", "Cusco", "Tartu", "Leeds", "Kyoto", "Malmo", "Turin"]
ASKS = [  # distinct questions, so an export's split has groups to hold out
    "My parcel {order} to {city} arrived broken, can I get my money back?",
    "Order {order} never showed up in {city}. Please refund me.",
    "I was charged twice for {order}; I want one of the payments returned.",
    "The blender in {order} stopped working after a week. Refund please.",
    "Cancel {order} and give me my money back, I ordered the wrong size.",
    "Wrong colour delivered for {order} (shipped to {city}). I'd like a refund rather than an exchange.",
    "Hello, {order} is missing two items. Could you refund what did not arrive?",
    "The courier left {order} in the rain in {city}; everything is ruined. What now?",
]


def call(call_id: str, name: str, **arguments) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def tool_record(number: int, *, answer_calls: list[dict] | None = None, answer: str = "") -> dict:
    """Record `number`: the user asks about order N; the agent looked it up (a call and its result);
    the response under review is `answer` and/or `answer_calls` (default: a refund call)."""
    order = f"A{1000 + number}"
    city = CITIES[number % len(CITIES)]
    history = [
        {"role": "system", "content": "You are the order desk of a shop. Use the tools; never guess an order's state."},
        {"role": "user", "content": ASKS[number % len(ASKS)].format(order=order, city=city)},
        {"role": "assistant", "content": None, "tool_calls": [call(f"call_{number}_1", "get_order", order_id=order)]},
        {"role": "tool", "tool_call_id": f"call_{number}_1", "content": json.dumps({"order_id": order, "total": 20 + number, "state": "delivered"})},
    ]  # fmt: skip
    if answer_calls is None and not answer:
        answer_calls = [call(f"call_{number}_2", "refund", order_id=order, amount=20 + number)]
    return {"id": f"agent-{number}", "messages": history, "response": {"role": "assistant", "content": answer or None,
            "tool_calls": answer_calls}, "tools": TOOLS, "model": "agent@v1"}  # fmt: skip


def write_records(path, records: list[dict]):
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path
