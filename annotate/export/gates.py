"""Quality gates the export runs on its examples before splitting: pure functions, no database.

Each gate returns the examples it lets through (in their input order) and a `GateReport` for the
manifest. Near duplicates are found by `annotate.export.near_duplicates` (MinHash, LSH, rapidfuzz);
clusters are the connected components of verified pairs.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import chain, combinations
from pathlib import Path
from types import SimpleNamespace

from rapidfuzz import fuzz

from annotate.export.examples import Example
from annotate.export.near_duplicates import cluster_members, cluster_texts, collapse
from annotate.config import RefusalValidator
from annotate.export.spec import Balance, Conflicts, ExactDuplicates, NearDuplicates
from annotate.records import last_user_turn, system_prompt
from annotate.text.contradiction import contradiction
from annotate.text.formats import FormatCheck
from annotate.text.pii import Placeholders, redact_personal_data
from annotate.text.refusal import is_refusal
from annotate.text.tool_calls import has_calls, tool_call_problems

ANSWER_ORIGINS = ("correction", "accepted", "preference")
TOOL_CALLS = SimpleNamespace(name="tool_calls")  # the format gate's name for tool-call problems, beside the validators  # answers written or approved by experts: format-checked
CONFLICT_ORIGINS = ("correction", "accepted")
NO_CATEGORY = "none"

_ENDS = re.compile(r"^[\W_]+|[\W_]+$")
_CONFLICT_NUM_PERM = 128


@dataclass
class GateReport:
    """What one gate did. `dropped` rows are {"id", "reason", "detail"}: detail is the kept id for
    duplicates, the other ids (", "-joined) for conflicts, "validator: problem" for formats, the
    full category for the balance cap."""

    name: str
    enabled: bool
    dropped: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


# --- exact and near duplicates -------------------------------------------------------------------


def exact_duplicates(examples: list[Example], spec: ExactDuplicates) -> tuple[list[Example], GateReport]:
    """Keep one example per normalised (prompt, answer[, rejected]) of the same kind (and KTO label):
    the best agreed, ties by id."""
    if not spec.enabled:
        return list(examples), GateReport("exact_duplicates", False)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        groups[(_kind_key(example), _exact_key(example))].append(index)
    kept, dropped = _keep_best(examples, list(groups.values()), "exact_duplicate")
    clusters = sum(1 for members in groups.values() if len(members) > 1)
    return kept, GateReport("exact_duplicates", True, dropped, {"dropped": len(dropped), "clusters": clusters,
                                                                     "checked": len(examples)})


def near_duplicates(examples: list[Example], spec: NearDuplicates) -> tuple[list[Example], GateReport, dict[str, int]]:
    """Keep the best-agreed example of each cluster of near-duplicate prompt + answer texts (same kind
    and KTO label only); also return `prompt_clusters` of every input example, whether or not the
    gate is enabled, for the group-aware split."""
    clusters = prompt_clusters(examples, spec)
    if not spec.enabled:
        return list(examples), GateReport("near_duplicates", False), clusters
    texts = [f"{example.prompt_text}\n{example.answer}" + (f"\n{example.rejected}" if example.kind == "dpo" else "")
             for example in examples]  # a pair is a duplicate only when its rejected side is too
    labels = cluster_texts(
        texts, spec.threshold, spec.verify_above, spec.num_perm, partition=[_kind_key(example) for example in examples]
    )
    groups = cluster_members(labels)
    # Near-identical answers that say opposite things (a negation, another number, menu path or
    # name) are not duplicates: they are never merged, and the conflict gate judges them.
    apart, merged = [], []
    for members in groups:
        contradicting = len(members) > 1 and _contradicting(examples[i].answer for i in members)
        (apart if contradicting else merged).append(members)
    kept, dropped = _keep_best(examples, merged, "near_duplicate")
    counts = {"dropped": len(dropped), "clusters": sum(1 for members in merged if len(members) > 1),
              "kept_apart_as_contradicting": sum(len(members) for members in apart), "checked": len(examples)}  # fmt: skip
    return kept, GateReport("near_duplicates", True, dropped, counts), clusters


def prompt_clusters(examples: list[Example], spec: NearDuplicates) -> dict[str, int]:
    """Every example's id -> a cluster number (0, 1, ... by first appearance); examples whose
    prompt texts are verified near duplicates (LSH at spec.threshold, rapidfuzz at spec.verify_above)
    share one, transitively."""
    labels = cluster_texts(
        [example.prompt_text for example in examples], spec.threshold, spec.verify_above, spec.num_perm
    )
    return {example.id: label for example, label in zip(examples, labels)}


# --- conflicts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictGroup:
    """Expert-given examples of one kind whose near-identical prompts got contradicting answers."""

    kind: str  # sft, dpo, kto:desirable
    example_ids: tuple[str, ...]  # sorted
    task_ids: tuple[int, ...]  # the tasks they come from (KTO feedback rows have none)
    detail: str  # why they contradict


def conflicts(examples: list[Example], spec: Conflicts,
              settled: frozenset[tuple[str, tuple[str, ...]]] = frozenset()) -> tuple[list[Example], GateReport, list[ConflictGroup]]:  # fmt: skip
    """Leave out every expert-given example (an SFT correction or accepted answer, a DPO pair's chosen
    side, a desirable KTO row) of a group of near-identical prompts (rapidfuzz >= spec.prompt_similarity,
    same kind, not differing by a number, name, menu path or negation: one question) in which two answers are less similar than spec.answers_below or contradict each other
    however similar (`annotate.text.contradiction`: negation, yes/no, number, menu path, name).
    Groups a lead has settled ((kind, example ids) in `settled`) pass. Returns the groups found,
    settled or not, for the lead's queue."""
    if not spec.enabled:
        return list(examples), GateReport("conflicts", False), []
    eligible = [i for i, example in enumerate(examples) if _conflict_eligible(example)]
    labels = cluster_texts(
        [examples[i].prompt_text for i in eligible],
        None,  # candidates at the default for this similarity: rapidfuzz at spec.prompt_similarity decides
        spec.prompt_similarity,
        _CONFLICT_NUM_PERM,
    )
    excluded: dict[int, list[str]] = {}
    found: list[ConflictGroup] = []
    passed = 0
    for members in cluster_members(labels):
        group = [eligible[m] for m in members]
        for same in _same_questions(examples, group):
            why = _answers_contradict([examples[i].answer for i in same], spec.answers_below) if len(same) > 1 else None
            if not why:
                continue
            conflict = ConflictGroup(_kind_name(examples[same[0]]), tuple(sorted(examples[i].id for i in same)),
                                     tuple(sorted({t for i in same if (t := examples[i].lineage.get("task_id")) is not None})), why)  # fmt: skip
            found.append(conflict)
            if (conflict.kind, conflict.example_ids) in settled:
                passed += len(same)
                continue
            for i in same:
                excluded[i] = [examples[j].id for j in same if j != i]
    kept = [example for i, example in enumerate(examples) if i not in excluded]
    dropped = [_drop(examples[i], "conflict", ", ".join(others)) for i, others in sorted(excluded.items())]
    counts = {"dropped": len(dropped), "groups": len(found), "checked": len(eligible), "settled_by_lead": passed}
    return kept, GateReport("conflicts", True, dropped, counts), found


def _same_questions(examples: list[Example], group: list[int]) -> list[list[int]]:
    """The group split into examples of one kind (an answer conflicts with answers of its own kind)
    asking one question: near-identical prompts that differ by a number, a name, a menu path or a
    negation ("refund order 12" / "order 13", "on Starter" / "on Pro") ask different questions,
    whose answers may differ. Connected components of prompts that do not contradict."""
    parts = []
    for kind in dict.fromkeys(_kind_key(examples[i]) for i in group):
        members = [i for i in group if _kind_key(examples[i]) == kind]
        parent = {i: i for i in members}

        def find(i: int) -> int:
            while parent[i] != i:
                i = parent[i]
            return i

        for a, b in combinations(members, 2):
            if find(a) != find(b) and not contradiction(examples[a].prompt_text, examples[b].prompt_text):
                parent[find(b)] = find(a)
        components: dict[int, list[int]] = defaultdict(list)
        for i in members:
            components[find(i)].append(i)
        parts += [component for component in components.values() if len(component) > 1]
    return parts


def _kind_name(example: Example) -> str:
    return example.kind if example.kind != "kto" else f"kto:{'desirable' if example.label else 'undesirable'}"


def _conflict_eligible(example: Example) -> bool:
    """Answers experts gave or approved: SFT corrections and accepted answers, DPO chosen sides, desirable KTO rows."""
    if not example.is_production:
        return False
    if example.kind == "sft":
        return example.origin in CONFLICT_ORIGINS
    if example.kind == "dpo":
        return example.origin in ANSWER_ORIGINS
    return example.kind == "kto" and bool(example.label)


def _answers_contradict(answers: list[str], below: float) -> str | None:
    """Why two of the answers contradict (dissimilar, or `annotate.text.contradiction`'s reason), or None."""
    texts = [collapse(answer) for answer in answers]
    for (a, b), (raw_a, raw_b) in zip(combinations(texts, 2), combinations(answers, 2)):
        similarity = fuzz.ratio(a, b) / 100
        if similarity < below:
            return f"dissimilar answers ({similarity:.2f})"
        reason = contradiction(raw_a, raw_b)
        if reason:
            return f"contradicting answers ({reason})"
    return None


def _contradicting(answers) -> bool:
    """Whether any two of the answers contradict however similar they are (`annotate.text.contradiction`)."""
    return any(contradiction(a, b) for a, b in combinations(list(answers), 2))


# --- personal data, formats, balance ---------------------------------------------------------------


def scrub_pii(
    examples: list[Example], enabled: bool, entities: list[str], min_score: float, min_scores: dict[str, float] | None = None
) -> tuple[list[Example], GateReport]:
    """Copies of the examples with personal data in every message replaced by a numbered placeholder
    (`<EMAIL_ADDRESS_1>`, the same one for the same value throughout an example); counts per entity
    type. Drops nothing."""
    if not enabled:
        return list(examples), GateReport("pii", False)
    found: Counter[str] = Counter()
    scrubbed = []
    for example in examples:
        placeholders = Placeholders()  # one example, one numbering

        def redact(text: str | None) -> str | None:
            if not text:
                return text
            text, entities_found = redact_personal_data(text, entities, min_score, min_scores, placeholders)  # noqa: B023
            found.update(entities_found)
            return text

        prompt = [_redact_message(message, redact) for message in example.prompt]
        scrubbed.append(
            replace(
                example,
                prompt=prompt,
                completion=redact(example.completion),
                chosen=redact(example.chosen),
                rejected=redact(example.rejected),
            )
        )
    counts = {entity: found.get(entity, 0) for entity in entities} | dict(found) | {"checked": len(examples)}
    return scrubbed, GateReport("pii", True, [], counts)


def _redact_message(message: dict, redact) -> dict:
    copy = dict(message)
    if isinstance(copy.get("content"), str):
        copy["content"] = redact(copy["content"])
    if copy.get("tool_calls"):  # arguments carry personal data as often as text does
        copy["tool_calls"] = [_redact_call(call, redact) for call in copy["tool_calls"]]
    return copy


def _redact_call(call: dict, redact) -> dict:
    function = call.get("function")
    if not isinstance(function, dict):
        return call
    arguments = function.get("arguments")
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return {**call, "function": {**function, "arguments": redact(text)}}


def format_failures(
    examples: list[Example], enabled: bool, validators, project_root: Path
) -> tuple[list[Example], GateReport]:
    """Leave out expert answers (origin correction/accepted/preference: the completion or chosen
    text) that fail a format validator applying to their system prompt, or whose tool calls are
    not calls of the offered tools with arguments that match their parameter schema."""
    if not enabled:
        return list(examples), GateReport("formats", False)
    check = FormatCheck(validators, project_root)
    checked = {index: (example.answer, system_prompt(example.prompt), last_user_turn(example.prompt))
               for index, example in enumerate(examples) if example.origin in ANSWER_ORIGINS}  # fmt: skip
    refusing = {index for index, (answer, _system, _request) in checked.items() if is_refusal(answer)}
    check.prepare(checked[index] for index in refusing)  # their requests judged in one batch, not one model call each
    # An answer that does not refuse passes every refusal validator: skip them rather than look again.
    others = [validator.name for validator in validators if not isinstance(validator, RefusalValidator)]
    kept, dropped, failures = [], [], Counter()
    for index, example in enumerate(examples):
        problems = check.problems(*checked[index], only=None if index in refusing else others) if index in checked else []
        if example.label is not False:  # an undesirable answer may well call a tool wrongly
            problems += [(TOOL_CALLS, problem) for problem in tool_call_problems(example.answer, example.tools)]
        if problems:
            failures.update(validator.name for validator, _ in problems)
            dropped.append(_drop(example, "format", "; ".join(f"{v.name}: {problem}" for v, problem in problems)))
        else:
            kept.append(example)
    counts = {
        "dropped": len(dropped),
        "checked": sum(e.origin in ANSWER_ORIGINS for e in examples),
        "tool_calls_checked": sum(e.label is not False and has_calls(e.answer) for e in examples),
        "by_validator": dict(failures),
    }
    return kept, GateReport("formats", True, dropped, counts)


def balance(examples: list[Example], spec: Balance, seed: int) -> tuple[list[Example], GateReport]:
    """Cap and/or oversample production train examples per failure category ("none" for none); an
    example counts under each of its categories. The cap keeps an example only while every one of its
    categories has room (best agreement first, then a seeded order); oversampling repeats examples of
    rarer categories (ids "<id>#2", "#3", ...) until each has `oversample_to`. Other examples pass."""
    enabled = spec.cap_per_category is not None or spec.oversample_to is not None
    pool = [example for example in examples if _balanced(example)]
    before = _category_counts(pool)
    if not enabled:
        return list(examples), GateReport("balance", False, [], {"before": before, "after": before})
    order = _priority(pool, seed)
    kept_ids, dropped = _cap(order, spec.cap_per_category) if spec.cap_per_category else ({id(e) for e in pool}, [])
    kept = [example for example in examples if not _balanced(example) or id(example) in kept_ids]
    copies = _oversample([e for e in order if id(e) in kept_ids], spec.oversample_to) if spec.oversample_to else []
    after = _category_counts([example for example in kept if _balanced(example)] + copies)
    return kept + copies, GateReport("balance", True, dropped, {"before": before, "after": after})


def _balanced(example: Example) -> bool:
    return example.is_production and example.split == "train"


def _categories(example: Example) -> tuple[str, ...]:
    return tuple(dict.fromkeys(example.categories)) or (NO_CATEGORY,)


def _category_counts(examples: Iterable[Example]) -> dict[str, int]:
    return dict(sorted(Counter(chain.from_iterable(_categories(e) for e in examples)).items()))


def _priority(examples: list[Example], seed: int) -> list[Example]:
    """Best agreement first (None last); a seeded shuffle orders equals."""
    shuffled = sorted(examples, key=lambda example: example.id)
    random.Random(seed).shuffle(shuffled)
    return sorted(shuffled, key=lambda example: -example.agreement if example.agreement is not None else float("inf"))


def _cap(order: list[Example], cap: int) -> tuple[set[int], list[dict]]:
    counts: Counter[str] = Counter()
    kept, dropped = set(), []
    for example in order:
        full = [category for category in _categories(example) if counts[category] >= cap]
        if full:
            dropped.append(_drop(example, "category_cap", full[0]))
            continue
        kept.add(id(example))
        counts.update(_categories(example))
    return kept, dropped


def _oversample(order: list[Example], target: int) -> list[Example]:
    """Copies of examples (in priority order, round robin) of each category below `target`, rarest first."""
    counts = Counter(chain.from_iterable(_categories(e) for e in order))
    repeats: Counter[str] = Counter()
    copies = []
    for category in sorted(counts, key=lambda c: (counts[c], c)):
        members = [example for example in order if category in _categories(example)]
        k = 0
        while counts[category] < target:
            example = members[k % len(members)]
            k += 1
            repeats[example.id] += 1
            copies.append(
                replace(
                    example,
                    id=f"{example.id}#{repeats[example.id] + 1}",
                    lineage={**example.lineage, "repeat_of": example.id},
                )
            )
            counts.update(_categories(example))
    return copies


# --- shared helpers --------------------------------------------------------------------------------


def _kind_key(example: Example) -> tuple:
    return (example.kind, example.label) if example.kind == "kto" else (example.kind,)


def _normalise(text: str) -> str:
    """Casefolded, whitespace collapsed, punctuation stripped at both ends (what `_ENDS` strips:
    `[\W_]` is exactly the characters that are not `str.isalnum()`; a loop over the few end
    characters is several times faster than the pattern's scan of the whole text)."""
    text = collapse(text)
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def _exact_key(example: Example) -> str:
    parts = [example.prompt_text, example.answer] + ([example.rejected or ""] if example.kind == "dpo" else [])
    return "\x1f".join(_normalise(part) for part in parts)


def _rank(example: Example) -> tuple:
    """Sort key: best agreement first (None lowest), then id."""
    return (-example.agreement if example.agreement is not None else float("inf"), example.id)


def _keep_best(examples: list[Example], groups: list[list[int]], reason: str) -> tuple[list[Example], list[dict]]:
    dropped_by: dict[int, str] = {}
    for members in groups:
        best = min(members, key=lambda i: _rank(examples[i]))
        dropped_by.update({i: examples[best].id for i in members if i != best})
    kept = [example for i, example in enumerate(examples) if i not in dropped_by]
    return kept, [_drop(examples[i], reason, kept_id) for i, kept_id in sorted(dropped_by.items())]


def _drop(example: Example, reason: str, detail: str) -> dict:
    return {"id": example.id, "reason": reason, "detail": detail}


