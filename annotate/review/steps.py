"""A conversation and a response as the steps an expert reads: text, tool calls, tool results,
refusals and attachments, each apart, in order.

The review app and Label Studio tasks show the same steps (`conversation_turns`, `response_steps`,
`tools_offered`; `dialogue` for Label Studio), so a call reads the same in both: "Calls get_weather" with its arguments as
formatted JSON, then "Result of get_weather (call_1)" with the result (formatted when it is JSON).
Attachments are references ("[image] https://...", "[image] inline data, 1,204 characters"):
nothing is fetched or displayed as an image. Everything here is plain text; the page escapes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from annotate.text.tool_calls import Call, call_from_openai, split_response, tool_schemas

StepKind = Literal["text", "call", "result", "refusal", "attachment", "unreadable"]


@dataclass(frozen=True)
class Step:
    """One thing a turn holds. `body` is the text, or a call's arguments / a result, formatted as
    JSON when `is_json`; `problem` says what is wrong with a call's arguments."""

    kind: StepKind
    body: str
    name: str = ""  # the tool, for a call or a result
    call_id: str = ""  # the call's id, for a call or a result
    is_json: bool = False
    problem: str | None = None

    @property
    def heading(self) -> str:
        """What the step is, in words ("" for plain text)."""
        if self.kind == "call":
            return f"Calls {self.name}" + (f" ({self.call_id})" if self.call_id else "")
        if self.kind == "result":
            of = f"Result of {self.name}" if self.name else "Tool result"
            return of + (f" ({self.call_id})" if self.call_id else "")
        if self.kind == "refusal":
            return "Refusal"
        if self.kind == "unreadable":
            return "Not a readable tool call"
        return ""


@dataclass(frozen=True)
class Turn:
    role: str
    steps: tuple[Step, ...]


def pretty_json(text: str) -> tuple[str, bool]:
    """(`text` as indented JSON, True) when it is a JSON object or array, else (`text`, False)."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return text, False
    try:
        return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False), True
    except (json.JSONDecodeError, RecursionError):
        return text, False


def call_step(call: Call) -> Step:
    if call.arguments_error is not None:
        return Step("call", str(call.arguments), call.name, call.id or "", False, call.arguments_error)
    return Step("call", json.dumps(call.arguments, indent=2, ensure_ascii=False), call.name, call.id or "", True)


def attachment_text(attachment: dict[str, Any]) -> str:
    """An attachment as a reference: "[image] URL", "[image] inline data, N characters", "[file] name"."""
    kind = str(attachment.get("type") or "attachment")
    if attachment.get("url") and not str(attachment["url"]).startswith("data:"):
        return f"[{kind}] {attachment['url']}"
    if attachment.get("data_chars") is not None:
        media = f" ({attachment['media_type']})" if attachment.get("media_type") else ""
        return f"[{kind}] inline data{media}, {int(attachment['data_chars']):,} characters"
    if attachment.get("url"):  # a data: URL: never shown, only its length
        return f"[{kind}] inline data, {len(str(attachment['url'])):,} characters"
    return f"[{kind}] {attachment.get('name') or 'no reference'}"


def conversation_turns(messages: list[dict]) -> list[Turn]:
    """The history as turns of steps; a tool result is named after the call it answers."""
    names: dict[str, str] = {}
    turns = []
    for message in messages:
        steps: list[Step] = []
        content = message.get("content") if isinstance(message.get("content"), str) else ""
        if message.get("role") == "tool":
            call_id = str(message.get("tool_call_id") or "")
            body, is_json = pretty_json(content)
            steps.append(Step("result", body, str(message.get("name") or names.get(call_id, "")), call_id, is_json))
        elif content.strip():
            steps.append(Step("text", content))
        if message.get("refusal"):
            steps.append(Step("refusal", str(message["refusal"])))
        for raw in message.get("tool_calls") or []:
            if isinstance(raw, dict):
                call = call_from_openai(raw)
                names[call.id or ""] = call.name
                steps.append(call_step(call))
        steps += [Step("attachment", attachment_text(a)) for a in message.get("attachments") or [] if isinstance(a, dict)]
        turns.append(Turn(str(message.get("role") or ""), tuple(steps)))
    return turns


def response_steps(text: str) -> tuple[Step, ...]:
    """A response text (content, then `<tool_call>` blocks) as steps. A text whose blocks do not all
    read as calls is shown whole, with what is wrong, so nothing the model wrote is hidden."""
    split = split_response(text)
    if split.problems:
        return (Step("text", text), *(Step("unreadable", problem) for problem in split.problems))
    return (*([Step("text", split.content)] if split.content else []), *(call_step(call) for call in split.calls))


def tools_offered(tools: list[dict] | None) -> list[tuple[str, str, str]]:
    """Each offered tool as (name, description, parameters as formatted JSON)."""
    found = []
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        name = function.get("name")
        if name in tool_schemas([tool]):
            parameters = json.dumps(function.get("parameters") or {}, indent=2, ensure_ascii=False)
            found.append((str(name), str(function.get("description") or ""), parameters))
    return found


def dialogue(messages: list[dict], tools: list[dict] | None = None) -> list[dict[str, str]]:
    """The conversation as plain (speaker, text) paragraphs, one a step, the offered tools first:
    what Label Studio's dialogue view shows ("assistant: calls get_weather", "tool: result of
    get_weather (call_1)")."""
    paragraphs = [{"role": f"tool offered: {name}", "content": "\n".join(filter(None, [description, parameters]))}
                  for name, description, parameters in tools_offered(tools)]  # fmt: skip
    for turn in conversation_turns(messages):
        for step in turn.steps:
            heading = step.heading[:1].lower() + step.heading[1:]
            speaker = f"{turn.role}: {heading}" if heading else turn.role
            paragraphs.append({"role": speaker, "content": step.body + (f"\n({step.problem})" if step.problem else "")})
    return paragraphs
