"""From decisions to examples, and from examples to the rows TRL's trainers take.

| kind | made from | TRL row |
| --- | --- | --- |
| `sft` | corrections (the corrected response), accepted responses, better answers written in a comparison | `{"messages": [...]}` (system prompt kept), or `{"prompt": [...], "completion": [...]}` |
| `dpo` | preference judgments (ties dropped; "both bad" with a better answer gives better-vs-each), corrections that changed more than `dpo.min_edit` of the text (correction over original) | `{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}` |
| `kto` | verdicts (accepted: desirable; corrected: original undesirable, correction desirable), judgments, production thumbs on records no expert judged | `{"prompt": [...], "completion": [assistant], "label": bool}` |

Every row also carries `id` (the example id); lineage stays in the manifest, not the training
files (TRL ignores unknown columns, but a column of nested ids is of no use to a trainer).

Tool calls keep the shape TRL's conversational rows and transformers' chat templates take: an
assistant turn's `tool_calls` as `{"type": "function", "function": {"name", "arguments": {...}}}`
(arguments as a JSON object; kept as the raw text only where it is not JSON, which the format
gate allows on a rejected side alone), a tool turn's `tool_call_id` and `name`, and the offered
tools as a `tools` column (a list of OpenAI function definitions: TRL passes it to
`apply_chat_template(tools=...)`).
"""

from __future__ import annotations

import json

from rapidfuzz import fuzz

from annotate.export.decisions import Decision
from annotate.export.examples import Example
from annotate.export.spec import ExportSpec
from annotate.text.tool_calls import Call, call_from_openai, response_text, split_response


def examples_from(decisions: list[Decision], records: dict[str, dict], kind: str, spec: ExportSpec) -> list[Example]:
    """The examples of one kind (`sft`, `dpo`, `kto`) the decisions give."""
    made = []
    for decision in decisions:
        task = decision.task
        first = records[task.record_id]
        second = records.get(task.record_b_id) if task.record_b_id else None
        base = _base(decision, first, second)
        if task.kind == "correction":
            made += _from_correction(decision, first, kind, spec, base)
        else:
            made += _from_preference(decision, first, second, kind, base)
    return [example for example in made if example.kind == kind]


def feedback_examples(records: list[dict], judged: set[str]) -> list[Example]:
    """KTO examples from production thumbs on records no expert judged."""
    made = []
    for record in records:
        if record["id"] in judged or record["feedback_thumbs"] is None:
            continue
        made.append(Example(
            id=f"fb:{record['id']}", kind="kto", prompt=record["messages"], completion=record["response"],
            label=record["feedback_thumbs"] == "up", origin="feedback", source=record["source"],
            group=record["group_id"], round_id=record["round_id"], lineage={"record_ids": [record["id"]]},
            tools=record.get("tools"),
        ))  # fmt: skip
    return made


def _base(decision: Decision, first: dict, second: dict | None) -> dict:
    lineage = {
        "record_ids": [first["id"]] + ([second["id"]] if second else []), "task_id": decision.task.id,
        "annotation_ids": decision.annotation_ids, "adjudication_id": decision.adjudication_id,
        "annotators": decision.annotators, "method": decision.method, "cluster": decision.task.cluster,
    }  # fmt: skip
    if decision.posterior is not None:  # a weighted decision's confidence ([resolution] method = "weighted")
        lineage["posterior"] = decision.posterior
    return {
        "prompt": first["messages"], "source": first["source"],
        "categories": tuple(decision.answer.get("failure_categories") or ()), "group": first["group_id"],
        "agreement": decision.agreement, "round_id": decision.task.round_id, "lineage": lineage,
        "tools": first.get("tools"),
    }  # fmt: skip


def _from_correction(decision: Decision, record: dict, kind: str, spec: ExportSpec, base: dict) -> list[Example]:
    answer, task_id, original = decision.answer, decision.task.id, record["response"]
    if answer["verdict"] == "acceptable":
        return [
            *([Example(id=f"t{task_id}", kind="sft", completion=original, origin="accepted", **base)]
              if spec.selection.include_accepted else []),
            Example(id=f"t{task_id}", kind="kto", completion=original, label=True, origin="accepted", **base),
        ]  # fmt: skip
    corrected = answer["corrected_response"]
    made = [
        Example(id=f"t{task_id}", kind="sft", completion=corrected, origin="correction", **base),
        Example(id=f"t{task_id}-original", kind="kto", completion=original, label=False, origin="correction", **base),
        Example(id=f"t{task_id}", kind="kto", completion=corrected, label=True, origin="correction", **base),
    ]
    if kind == "dpo" and 1 - fuzz.ratio(corrected, original) / 100 >= spec.dpo.min_edit:  # other kinds drop it anyway
        made.append(Example(id=f"t{task_id}-edit", kind="dpo", chosen=corrected, rejected=original, origin="correction", **base))
    return made


def _from_preference(decision: Decision, first: dict, second: dict, kind: str, base: dict) -> list[Example]:
    answer, task_id = decision.answer, decision.task.id
    a, b = first["response"], second["response"]
    better = answer.get("better_response")
    if answer["choice"] in ("a", "b"):
        chosen, rejected = (a, b) if answer["choice"] == "a" else (b, a)
        made = [
            Example(id=f"t{task_id}", kind="dpo", chosen=chosen, rejected=rejected, origin="preference", **base),
            Example(id=f"t{task_id}-chosen", kind="kto", completion=chosen, label=True, origin="preference", **base),
            Example(id=f"t{task_id}-rejected", kind="kto", completion=rejected, label=False, origin="preference", **base),
        ]
        if better:
            made.append(Example(id=f"t{task_id}-better", kind="sft", completion=better, origin="preference", **base))
        return made
    if answer["choice"] == "both_bad" and better:
        return [
            Example(id=f"t{task_id}-over-a", kind="dpo", chosen=better, rejected=a, origin="preference", **base),
            Example(id=f"t{task_id}-over-b", kind="dpo", chosen=better, rejected=b, origin="preference", **base),
            Example(id=f"t{task_id}-better", kind="sft", completion=better, origin="preference", **base),
        ]
    return []  # a tie, or both bad with nothing better written: nothing to learn from


def trl_row(example: Example, sft_format: str = "messages") -> dict:
    """The example as TRL's trainer for its kind takes it (conversational), with its id and, when
    the model was offered tools, the `tools` column."""
    prompt = [message_row(message) for message in example.prompt]
    if example.kind == "sft":
        turn = [assistant_turn(example.completion or "")]
        row = ({"id": example.id, "prompt": prompt, "completion": turn} if sft_format == "prompt_completion"
               else {"id": example.id, "messages": prompt + turn})  # fmt: skip
    elif example.kind == "dpo":
        row = {"id": example.id, "prompt": prompt, "chosen": [assistant_turn(example.chosen or "")],
               "rejected": [assistant_turn(example.rejected or "")]}  # fmt: skip
    else:
        row = {"id": example.id, "prompt": prompt, "completion": [assistant_turn(example.completion or "")],
               "label": bool(example.label)}  # fmt: skip
    if example.tools:
        row["tools"] = example.tools
    return row


def message_row(message: dict) -> dict:
    """One turn of the conversation as a TRL row holds it: role and content, an assistant turn's
    tool calls, a tool result's call id and tool name."""
    row = {"role": message.get("role"), "content": message.get("content") or ""}
    if message.get("tool_calls"):
        row["tool_calls"] = [_trl_call(call_from_openai(call)) for call in message["tool_calls"]]
    for key in ("tool_call_id", "name"):
        if message.get(key):
            row[key] = message[key]
    return row


def assistant_turn(text: str) -> dict:
    """A response text as an assistant turn: its `<tool_call>` blocks become structured calls."""
    split = split_response(text)
    if not split.calls:
        return {"role": "assistant", "content": text}
    return {"role": "assistant", "content": split.content, "tool_calls": [_trl_call(call) for call in split.calls]}


def _trl_call(call: Call) -> dict:
    arguments = call.arguments if call.arguments_error is None else call.arguments_text
    row = {"type": "function", "function": {"name": call.name, "arguments": arguments}}
    return {"id": call.id, **row} if call.id else row


def rehearsal_examples(path, kind: str, name: str) -> list[Example]:
    """Examples from a rehearsal file (JSONL of `{"messages": [..., assistant], "id"?}`), for SFT
    and KTO (desirable); DPO takes none."""
    made = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            messages = row["messages"]
            if not messages or messages[-1].get("role") != "assistant":
                raise ValueError(f"{path}:{number}: messages: the last message must be the assistant's answer")
            made.append(Example(
                id=f"rh:{name}:{row.get('id', number)}", kind=kind, prompt=messages[:-1],
                completion=response_text(messages[-1].get("content"), messages[-1].get("tool_calls")), tools=row.get("tools") or None,
                label=True if kind == "kto" else None, origin="rehearsal", source=f"rehearsal:{name}",
                lineage={"rehearsal_file": str(path), "line": number},
            ))  # fmt: skip
    return made
