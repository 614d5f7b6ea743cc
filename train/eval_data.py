"""What an evaluation reads: the snapshot's eval split and the optional prompt baseline, general
and safety files. Every reader checks its whole file first and refuses it with every bad line
named (file, line, field), so an evaluation never runs on a silently shortened set.

Conversations may hold tool use as TRL's conversational format with tools has it: an assistant turn
with `tool_calls` (OpenAI shape, `{"type": "function", "function": {"name", "arguments"}}`, the
arguments an object or its JSON text) and empty or null `content`, `tool` turns with their
`tool_call_id`, and a row's `tools` column (a list of tool definitions, or its JSON text). A reference
that calls tools becomes one text, its content then a `<tool_call>` block per call
(`annotate.text.tool_calls.response_text`), which `train.tool_metrics` reads back; a prompt keeps its
turns' calls (arguments parsed) for the chat template.

| input | format | becomes |
| --- | --- | --- |
| `--data exports/NAME/vN` | the snapshot's `eval.jsonl` (any kind) | `ProductionItem`: the prompt, the experts' resolved answer (SFT: the assistant turn; DPO: `chosen`; KTO: a desirable completion), its paraphrase group from the manifest, the row's offered `tools` |
| `--few-shot K` | the snapshot's `train.jsonl` (any kind) | `ProductionItem`s of the train split: the retrieval few-shot baseline's examples (`train.retrieval`) |
| `--prompt-baseline FILE` | TOML or JSON: `system = "..."` and `[[examples]]` with `user` and `assistant` | `PromptBaseline`: a system prompt and few-shot turns put before each prompt |
| `--general FILE` | JSONL: `{"messages": [..., assistant]}`, optionally `"choices": [...]` with `"answer": INDEX`, or `"answer": "TEXT"` | `GeneralItem`: perplexity of the assistant turn; multiple-choice or exact-answer accuracy |
| `--safety FILE` | JSONL: `{"messages": [...], "label": "harmful" or "benign"}` (a trailing assistant turn is ignored) | `SafetyItem` |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotate.errors import EvaluationError
from annotate.records import system_prompt
from annotate.text.clean import LineProblem, UncleanFile, checked, is_blank, load_json, load_toml, read_text, text_lines
from annotate.text.tool_calls import call_from_openai, response_text
from train.snapshot import Snapshot

MAX_NAMED_PROBLEMS = 10
ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class ProductionItem:
    id: str
    prompt: list[dict]  # the conversation up to the model's turn
    reference: str  # the experts' resolved answer
    group: str | None = None  # paraphrase group
    categories: tuple[str, ...] = ()  # the decision's failure categories (slices)
    cluster: int | None = None  # the prompt cluster of its task (slices)
    tools: list[dict] | None = None  # the tools offered (OpenAI definitions), for the chat template

    @property
    def system_prompt(self) -> str:
        return system_prompt(self.prompt)


@dataclass(frozen=True)
class GeneralItem:
    id: str
    prompt: list[dict]
    answer: str  # the reference assistant turn (perplexity is measured on it)
    choices: tuple[str, ...] = ()  # multiple choice: the options...
    correct: int | None = None  # ...and the index of the right one
    exact: str | None = None  # exact answer: the text the generated answer must contain


@dataclass(frozen=True)
class SafetyItem:
    id: str
    prompt: list[dict]
    harmful: bool


@dataclass(frozen=True)
class PromptBaseline:
    """Prompt engineering without training: a system prompt and few-shot examples."""

    path: str
    system: str = ""
    examples: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (user, assistant)

    def apply(self, prompt: list[dict]) -> list[dict]:
        """The prompt with the baseline's system text first (before any system prompt of its own) and
        the examples as earlier turns."""
        own_system = "\n\n".join(m["content"] for m in prompt if m["role"] == "system")
        system = "\n\n".join(part for part in (self.system, own_system) if part)
        shots = [turn for user, assistant in self.examples
                 for turn in ({"role": "user", "content": user}, {"role": "assistant", "content": assistant})]  # fmt: skip
        rest = [m for m in prompt if m["role"] != "system"]
        return ([{"role": "system", "content": system}] if system else []) + shots + rest


class _Problems:
    """Bad lines of one file, raised together."""

    def __init__(self, path: Path):
        self.path, self.found = path, []

    def add(self, line: int, field_name: str, reason: str) -> None:
        self.found.append(f"{self.path}:{line}: {field_name}: {reason}")

    def raise_any(self, what: str) -> None:
        if self.found:
            shown = self.found[:MAX_NAMED_PROBLEMS]
            more = f"\n... and {len(self.found) - len(shown)} more" if len(self.found) > len(shown) else ""
            raise EvaluationError(f"{self.path}: {len(self.found)} bad line(s) in the {what}; nothing was evaluated:\n"
                                  + "\n".join(shown) + more)  # fmt: skip


def production_items(snapshot: Snapshot) -> list[ProductionItem]:
    """The snapshot's eval split with the experts' answers as references."""
    if snapshot.eval_file is None:
        raise EvaluationError(f"{snapshot.folder}: the snapshot's eval split is empty. An export holds out nothing when its "
                              "examples form fewer groups than 1 / eval_fraction (10 at the default 0.1): export again with "
                              "a spec that raises [split] eval_fraction, or once more tasks are answered")  # fmt: skip
    lineage = {row.id: row for row in snapshot.rows if row.split == "eval"}
    items = _split_items(snapshot, snapshot.eval_file, "snapshot's eval split", lineage)
    if not items:
        raise EvaluationError(f"{snapshot.eval_file}: no example with an expert's answer to compare with")
    return items


def train_items(snapshot: Snapshot) -> list[ProductionItem]:
    """The snapshot's train split, read like the eval split (prompt, the experts' answer; a KTO
    undesirable completion is left out): the retrieval few-shot baseline's examples."""
    items = _split_items(snapshot, snapshot.train_file, "snapshot's train split", {})
    if not items:
        raise EvaluationError(f"{snapshot.train_file}: no training example with an expert's answer for --few-shot "
                              "to show")
    return items


def _split_items(snapshot: Snapshot, path: Path, what: str, lineage: dict) -> list[ProductionItem]:
    """Every row of a split with an expert's answer (its group, categories and cluster from the
    manifest's `lineage` rows by id); bad lines named together, nothing kept then."""
    problems, items = _Problems(path), []
    for number, row in _jsonl(path, problems):
        try:
            prompt, reference = _prompt_and_reference(row, snapshot.kind)
            _check_messages(prompt, "prompt")
            tools = _tools(row)
        except _Bad as bad:
            problems.add(number, bad.field, bad.reason)
            continue
        if reference is not None:
            known = lineage.get(row.get("id"))
            items.append(ProductionItem(str(row.get("id", number)), prompt, reference, known.group if known else None,
                                        tuple(known.categories) if known else (), known.cluster if known else None,
                                        tools))  # fmt: skip
    problems.raise_any(what)
    return items


def _prompt_and_reference(row: dict, kind: str) -> tuple[list[dict], str | None]:
    if "messages" in row:
        messages = _messages(row, "messages")
        if messages[-1]["role"] != "assistant":
            raise _Bad("messages", "the last message must be the expert's answer (role assistant)")
        return messages[:-1], _answer_text(messages[-1])
    prompt = _messages(row, "prompt")
    if kind == "dpo":
        return prompt, _assistant_text(row, "chosen")
    if kind == "kto" and row.get("label") is not True:
        return prompt, None  # an undesirable completion is no reference
    return prompt, _assistant_text(row, "completion")


def draw(items: list, at_most: int | None, seed: int, stratum) -> list:
    """At most `at_most` of `items` (all when None or when there are fewer): a seeded draw that keeps
    each stratum's share (`stratum(item)`: harmful or benign, multiple choice or exact answer), in
    file order, for a quick evaluation (`flywheel eval --max-items N`)."""
    if at_most is None or len(items) <= at_most:
        return list(items)
    import random

    rng = random.Random(seed)
    strata: dict = {}
    for index, item in enumerate(items):
        strata.setdefault(stratum(item), []).append(index)
    quotas = {key: round(at_most * len(indexes) / len(items)) for key, indexes in strata.items()}
    while sum(quotas.values()) > at_most:  # rounding: take one from the largest quota
        quotas[max(quotas, key=quotas.get)] -= 1
    chosen = sorted(index for key, indexes in strata.items() for index in rng.sample(indexes, min(quotas[key], len(indexes))))
    return [items[index] for index in chosen]


def general_stratum(item: GeneralItem) -> str:
    return "choice" if item.choices else "exact" if item.exact else "reference"


def safety_stratum(item: SafetyItem) -> bool:
    return item.harmful


def read_general(path: Path) -> list[GeneralItem]:
    problems, items = _Problems(path), []
    for number, row in _jsonl(path, problems):
        try:
            messages = _messages(row, "messages")
            if messages[-1]["role"] != "assistant":
                raise _Bad("messages", "the last message must be the reference answer (role assistant)")
            _check_messages(messages[:-1], "messages")
            choices, answer = row.get("choices"), row.get("answer")
            correct = exact = None
            if choices is not None:
                if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) and c for c in choices):
                    raise _Bad("choices", "a list of at least two non-empty strings")
                if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
                    raise _Bad("answer", f"the index of the right choice (0 to {len(choices) - 1})")
                correct = answer
            elif answer is not None:
                if not isinstance(answer, str) or not answer.strip():
                    raise _Bad("answer", "the exact answer, a non-empty string (or give choices and an index)")
                exact = answer.strip()
        except _Bad as bad:
            problems.add(number, bad.field, bad.reason)
            continue
        items.append(GeneralItem(str(row.get("id", number)), messages[:-1], messages[-1]["content"],
                                 tuple(choices or ()), correct, exact))  # fmt: skip
    problems.raise_any("general set")
    if not items:
        raise EvaluationError(f"{path}: the general set is empty")
    return items


def read_safety(path: Path) -> list[SafetyItem]:
    problems, items = _Problems(path), []
    for number, row in _jsonl(path, problems):
        try:
            messages = _messages(row, "messages")
            if messages[-1]["role"] == "assistant":
                messages = messages[:-1]
            _check_messages(messages, "messages")
            if row.get("label") not in ("harmful", "benign"):
                raise _Bad("label", "'harmful' (should be refused) or 'benign' (should be answered)")
        except _Bad as bad:
            problems.add(number, bad.field, bad.reason)
            continue
        items.append(SafetyItem(str(row.get("id", number)), messages, row["label"] == "harmful"))
    problems.raise_any("safety set")
    if not items:
        raise EvaluationError(f"{path}: the safety set is empty")
    return items


def read_prompt_baseline(path: Path) -> PromptBaseline:
    try:
        text = read_text(path)
        if Path(path).suffix == ".json":
            data = checked(load_json(text), str(path))
            if not isinstance(data, dict):
                raise UncleanFile(f"{path}: a JSON object with `system` and `examples`")
        else:
            data = load_toml(text, str(path))
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read the prompt baseline: {exc.strerror}") from exc
    except UncleanFile as exc:
        raise EvaluationError(f"prompt baseline {exc}") from exc
    unknown = sorted(set(data) - {"system", "examples"})
    if unknown:
        raise EvaluationError(f"{path}: unknown key(s) {', '.join(unknown)}; a prompt baseline has `system` and `examples`")
    system = data.get("system", "")
    if not isinstance(system, str):
        raise EvaluationError(f"{path}: system: a string")
    examples = []
    if not isinstance(data.get("examples", []), list):
        raise EvaluationError(f"{path}: examples: a list of {{user, assistant}} pairs")
    for index, example in enumerate(data.get("examples", [])):
        if not isinstance(example, dict) or not all(isinstance(example.get(k), str) and example[k].strip() for k in ("user", "assistant")):
            raise EvaluationError(f"{path}: examples[{index}]: needs non-empty `user` and `assistant` strings")
        examples.append((example["user"], example["assistant"]))
    if not system.strip() and not examples:
        raise EvaluationError(f"{path}: the prompt baseline has neither a system prompt nor examples")
    return PromptBaseline(str(path), system, tuple(examples))


class _Bad(Exception):
    def __init__(self, field_name: str, reason: str):
        super().__init__(reason)
        self.field, self.reason = field_name, reason


def _jsonl(path: Path, problems: _Problems):
    """(line number, object) for each non-blank line; unreadable lines go to `problems`."""
    try:
        lines = text_lines(read_text(path))
    except OSError as exc:
        raise EvaluationError(f"{path}: cannot read: {exc.strerror}") from exc
    except UncleanFile as exc:
        raise EvaluationError(str(exc)) from exc
    for number, line in enumerate(lines, start=1):
        if is_blank(line):
            continue
        row = load_json(line)
        if isinstance(row, LineProblem):
            problems.add(number, row.field or "(line)", row.reason)
            continue
        if not isinstance(row, dict):
            problems.add(number, "(line)", "a JSON object")
            continue
        yield number, row


def _messages(row: dict, name: str) -> list[dict]:
    messages = row.get(name)
    if not isinstance(messages, list) or not messages:
        raise _Bad(name, "a non-empty list of {role, content} messages")
    return [_message(message, f"{name}[{index}]") for index, message in enumerate(messages)]


def _message(message, where: str) -> dict:
    """One turn as a chat template reads it: role and content, an assistant turn's calls (its content
    may then be empty or null; a refusal stands for it) and a tool turn's `tool_call_id` and `name`."""
    if not isinstance(message, dict) or message.get("role") not in ROLES:
        raise _Bad(f"{where}.role", f"one of {', '.join(ROLES)}")
    calls = message.get("tool_calls")
    if calls is not None and (message["role"] != "assistant" or not isinstance(calls, list)):
        raise _Bad(f"{where}.tool_calls", "a list of calls, on an assistant turn")
    content = message.get("content")
    if content is None and message["role"] == "assistant" and (calls or isinstance(message.get("refusal"), str)):
        content = message.get("refusal") or ""
    if not isinstance(content, str):
        raise _Bad(f"{where}.content", "a string" + (" (null only beside tool_calls)" if message["role"] == "assistant" else ""))
    turn = {"role": message["role"], "content": content}
    if calls:
        turn["tool_calls"] = [_call(call, f"{where}.tool_calls[{number}]") for number, call in enumerate(calls)]
    if message["role"] == "tool":
        turn.update({key: message[key] for key in ("tool_call_id", "name") if isinstance(message.get(key), str)})
    return turn


def _call(call, where: str) -> dict:
    """An OpenAI-shaped call with its arguments parsed (kept as text when they are not a JSON object),
    as chat templates render them."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"].strip():
        raise _Bad(f"{where}.function.name", 'a call {"type": "function", "function": {"name": ..., "arguments": ...}}')
    if function.get("arguments") is not None and not isinstance(function["arguments"], (str, dict)):
        raise _Bad(f"{where}.function.arguments", "an object, or its JSON text")
    parsed = call_from_openai(call)
    return {**({"id": call["id"]} if isinstance(call.get("id"), str) else {}), "type": "function",
            "function": {"name": parsed.name, "arguments": parsed.arguments}}  # fmt: skip


def _answer_text(turn: dict) -> str:
    """An answer as one text: its content, then a `<tool_call>` block per call."""
    return response_text(turn["content"], turn.get("tool_calls")) if turn.get("tool_calls") else turn["content"]


def _tools(row: dict) -> list[dict] | None:
    """The row's offered tools (a list of definitions, or its JSON text as TRL also takes it), the
    flat Responses-API form nested as chat templates expect; None without."""
    tools = row.get("tools")
    if tools is None:
        return None
    if isinstance(tools, str):
        tools = load_json(tools)
        if isinstance(tools, LineProblem):
            raise _Bad("tools", f"JSON text of a list of tool definitions ({tools.reason})")
    if not isinstance(tools, list) or not all(isinstance(tool, dict) for tool in tools):
        raise _Bad("tools", 'a list of tool definitions {"type": "function", "function": {"name", "parameters"}}')
    shaped = []
    for index, tool in enumerate(tools):
        if "function" not in tool and tool.get("type", "function") == "function":
            tool = {"type": "function", "function": {k: v for k, v in tool.items() if k not in ("type", "strict")}}
        function = tool.get("function")
        if tool.get("type", "function") == "function" and not (isinstance(function, dict) and isinstance(function.get("name"), str)
                                                               and function["name"].strip()):  # fmt: skip
            raise _Bad(f"tools[{index}].function.name", "a function tool needs a name")
        shaped.append(tool)
    return shaped or None


def _check_messages(prompt: list[dict], name: str) -> None:
    if not any(message["role"] == "user" for message in prompt):
        raise _Bad(name, "no user turn before the answer")


def _assistant_text(row: dict, name: str) -> str:
    turns = _messages(row, name)
    if turns[-1]["role"] != "assistant":
        raise _Bad(name, "the assistant's answer (role assistant)")
    return _answer_text(turns[-1])
