"""What crosses the wire to Label Studio: task payloads out, annotation results back as answers.

A payload carries what an expert sees (PII policy applied): the conversation as a dialogue of
steps (`annotate.review.steps.dialogue`: the tools the model was offered, text, each tool call
with its arguments, each tool result), the response (its `<tool_call>` blocks included), and for
a correction that response as a prediction that pre-fills the editable TextArea; and
`flywheel_task_id` (so a push cut off halfway can be matched up). A result comes back as a
`CorrectionAnswer` or `PreferenceAnswer`, or as the list of reasons it does not fit (its tool
calls checked as every answer's are, `annotate.review.tool_answers`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from annotate.config import PiiPolicy, Taxonomy
from annotate.errors import ReviewError
from annotate.labelstudio.configs import CONTROLS, choice_aliases
from annotate.records import CorrectionAnswer, PreferenceAnswer
from annotate.review.claims import validate_answer
from annotate.review.steps import dialogue
from annotate.review.tool_answers import check_answer_calls, merged_tools, same_response
from annotate.text.pii import Placeholders, redact_personal_data

PREDICTION_VERSION = "flywheel-production"
DEFAULT_BATCH_SIZE = 1000  # tasks per import request


@dataclass
class Payload:
    task_id: int
    data: dict | None  # None: held back by the PII policy
    redacted: list[str] = field(default_factory=list)  # entity types replaced

    def as_import(self, kind: str) -> dict:
        task: dict = {"data": self.data}
        if kind == "correction":
            task["predictions"] = [{
                "model_version": PREDICTION_VERSION,
                "result": [{"from_name": "correction", "to_name": "response", "type": "textarea",
                            "value": {"text": [self.data["response"]]}}],
            }]  # fmt: skip
        return task


def task_payload(task: dict, policy: PiiPolicy, min_score: float) -> Payload:
    """The Label Studio task for a row of `Store.tasks_to_push`, with `policy.on_push` applied."""
    messages = dialogue(task["messages"], merged_tools([task.get("tools_a"), task.get("tools_b")]))
    texts = {"response_a": task["response_a"], "response_b": task["response_b"]}
    redacted: list[str] = []
    if policy.on_push != "allow":
        placeholders = Placeholders()  # one task's texts: the same value, the same <ENTITY_n>
        for message in messages:
            message["content"], found = redact_personal_data(message["content"], policy.entities, min_score,
                                                             policy.min_scores, placeholders)  # fmt: skip
            redacted += found
        for key, text in texts.items():
            if text is not None:
                texts[key], found = redact_personal_data(text, policy.entities, min_score, policy.min_scores, placeholders)
                redacted += found
        if redacted and policy.on_push == "block":
            return Payload(task["id"], None, redacted)
    data = {"flywheel_task_id": task["id"], "messages": messages}
    if task["kind"] == "correction":
        data["response"] = texts["response_a"]
    else:
        data.update(response_a=texts["response_a"], response_b=texts["response_b"])
    return Payload(task["id"], data, redacted)


def result_hash(annotation: dict) -> str:
    """What identifies one version of a Label Studio annotation: its result and whether it was skipped."""
    payload = json.dumps([annotation.get("result") or [], bool(annotation.get("was_cancelled"))], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def answer_from_result(
    kind: str, annotation: dict, task_data: dict, taxonomy: Taxonomy, tools: list[dict] | None = None
) -> tuple[CorrectionAnswer | PreferenceAnswer | None, list[str]]:
    """(the answer, []) or (None, the reasons the result does not fit Flywheel's answer model).

    Structural checks against the labeling config come first (`labelstudio.result_problems`);
    this adds what the config cannot say: required controls, one value for single choices,
    aliases in the taxonomy, the verdict agreeing with the edited text, and the written
    response's tool calls fitting `tools`, the tools the task's record offered."""
    values: dict[str, list[str]] = {}
    problems = []
    expected = {control.name: control for control in CONTROLS[kind]}
    for region in annotation.get("result") or []:
        name = region.get("from_name")
        control = expected.get(name)
        if control is None:
            continue  # an extra control added on the server: its value has nowhere to go, and is left out
        value = region.get("value") or {}
        values[name] = list(value.get("choices") or []) if control.type == "choices" else list(value.get("text") or [])
    for control in CONTROLS[kind]:
        chosen = values.get(control.name, [])
        if control.required and not chosen:
            problems.append(f"{control.name}: nothing chosen")
        if control.type == "choices":
            if len(chosen) > 1 and not control.multiple:
                problems.append(f"{control.name}: {len(chosen)} values chosen where one is expected")
            unknown = sorted(set(chosen) - choice_aliases(kind, control.name, taxonomy))
            if unknown:
                problems.append(f"{control.name}: not in the project taxonomy: {', '.join(unknown)}")
    if problems:
        return None, problems
    text = {name: "\n".join(values.get(name, [])).strip() for name in ("correction", "better_response", "rationale")}
    common = {
        "failure_categories": values.get("failure_categories", []),
        "severity": (values.get("severity") or [None])[0],
        "rationale": text["rationale"],
        "seconds_spent": annotation.get("lead_time"),
    }
    if kind == "correction":
        verdict = values["verdict"][0]
        shown = (task_data.get("response") or "").strip()
        if verdict == "corrected" and same_response(text["correction"], shown):
            return None, ["verdict is 'corrected' but the response was not edited"]
        if verdict != "corrected" and text["correction"] and not same_response(text["correction"], shown):
            return None, [f"the response was edited but the verdict is {verdict!r}: choose 'corrected' to keep the edit"]
        raw = {"kind": kind, "verdict": verdict, **common,
               "corrected_response": text["correction"] if verdict == "corrected" else None}  # fmt: skip
    else:
        raw = {"kind": kind, "choice": values["choice"][0], "better_response": text["better_response"] or None, **common}
    try:
        answer = validate_answer(raw, kind, taxonomy)
        check_answer_calls(answer, tools)
        return answer, []
    except ReviewError as exc:
        return None, [str(exc)]
