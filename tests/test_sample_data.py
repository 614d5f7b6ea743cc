"""The committed sample data is the seeded generator's output, and realistic enough to be useful."""

import json
import re
from collections import Counter

import pytest

from annotate.ingest import ingest_files
from annotate.sample.generator import generate_records
from annotate.sample.write import write_sample
from tests.conftest import REPO

SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [json.loads(line) for line in (SAMPLE / "records.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_committed_sample_is_exactly_what_the_generator_writes(tmp_path):
    counts = write_sample(tmp_path)
    assert counts == {"records.jsonl": 3000, "rehearsal_general.jsonl": 200, "rehearsal_safety.jsonl": 150, "gold.jsonl": 32,
                      "eval_general.jsonl": 60, "eval_safety.jsonl": 60}
    for name in counts:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), f"{name} is stale: run `flywheel sample write data/sample`"


def test_the_generator_is_deterministic_and_seed_dependent():
    first = list(generate_records(300, seed=3))
    assert first == list(generate_records(300, seed=3))
    assert first != list(generate_records(300, seed=4))


def test_the_sample_ingests_completely(store):
    summary = ingest_files(store, [SAMPLE / "records.jsonl"], source="ledgerly-prod")
    assert (summary.exit_code, summary.total("ingested"), summary.total("rejected")) == (0, 3000, 0)


def test_the_sample_has_the_phenomena_the_loop_needs(records):
    models = Counter(record["model"] for record in records)
    assert set(models) == {"ledgerly-assist@2026-09", "ledgerly-assist@2026-10"}

    groups = Counter(record["group"] for record in records if "group" in record)
    assert len(groups) >= 30 and min(groups.values()) >= 2

    thumbs = Counter(record.get("feedback", {}).get("thumbs") for record in records)
    assert thumbs["down"] > 100 and thumbs["up"] > 100
    assert sum("logprobs" in record for record in records) > 2000

    multi_turn = sum(sum(m["role"] == "user" for m in record["messages"]) > 1 for record in records)
    assert multi_turn > 300

    personal = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}|\b\d{4}[ -]?\d{4,6}[ -]?\d{4,5}(?:[ -]?\d{4})?\b")
    with_pii = [record for record in records if personal.search(json.dumps(record["messages"]))]
    leaked = [record for record in records if personal.search(record["response"])]
    assert len(with_pii) > 50 and len(leaked) > 10

    prompts_by_model: dict[str, set] = {}
    for record in records:
        prompts_by_model.setdefault(json.dumps(record["messages"]), set()).add(record["model"])
    assert sum(len(models) == 2 for models in prompts_by_model.values()) > 100

    exact = Counter((json.dumps(record["messages"]), record["response"]) for record in records)
    assert sum(count - 1 for count in exact.values()) > 20


def test_the_rehearsal_sets_are_chat_examples_with_their_labels():
    general = [json.loads(line) for line in (SAMPLE / "rehearsal_general.jsonl").read_text().splitlines()]
    safety = [json.loads(line) for line in (SAMPLE / "rehearsal_safety.jsonl").read_text().splitlines()]
    for example in general + safety:
        assert [message["role"] for message in example["messages"]] == ["user", "assistant"]
    assert Counter(example["label"] for example in safety).keys() == {"harmful", "benign"}


def test_the_held_out_evaluation_sets_share_no_prompt_with_rehearsal_and_read_as_eval_inputs():
    from train.eval_data import read_general, read_safety

    def prompts(name):
        return {json.loads(line)["messages"][0]["content"] for line in (SAMPLE / name).read_text().splitlines()}

    assert not prompts("eval_general.jsonl") & prompts("rehearsal_general.jsonl")
    assert not prompts("eval_safety.jsonl") & prompts("rehearsal_safety.jsonl")
    general = read_general(SAMPLE / "eval_general.jsonl")
    assert sum(bool(item.choices) for item in general) == 20 and sum(bool(item.exact) for item in general) == 20
    assert all(item.choices[item.correct] == item.answer for item in general if item.choices)
    assert all(item.exact in item.answer for item in general if item.exact)
    safety = read_safety(SAMPLE / "eval_safety.jsonl")
    assert 0 < sum(item.harmful for item in safety) < len(safety)
