"""experiments/run.py's own data step: the raw-logs snapshot, the curated snapshot's train prompts
with the answers the production model logged, is a snapshot training accepts, with the same eval split."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_the_raw_logs_snapshot_keeps_the_prompts_and_takes_the_logged_answers(snapshots, tmp_path):
    from experiments.run import write_raw_snapshot
    from train.snapshot import open_snapshot

    curated = snapshots["sft"]
    train = [json.loads(line) for line in (curated / "train.jsonl").read_text().splitlines()]
    logs = tmp_path / "records.jsonl"
    with open(logs, "w", encoding="utf-8") as out:  # every train prompt but the first was logged (twice, first wins)
        for number, row in enumerate(train[1:], start=1):
            for attempt in ("first", "second"):
                out.write(json.dumps({"messages": row["messages"][:-1], "response": f"logged {attempt} {number}"}) + "\n")
    raw = tmp_path / "raw-logs" / "v1"
    write_raw_snapshot(curated, raw, logs)

    snapshot = open_snapshot(raw, "sft")  # the manifest's hashes match: training accepts it
    assert snapshot.name == "raw-logs"
    rows = [json.loads(line) for line in snapshot.train_file.read_text().splitlines()]
    assert [r["messages"][:-1] for r in rows] == [r["messages"][:-1] for r in train]  # the same prompts, in order
    assert rows[0] == train[0]  # a prompt without a log keeps the curated answer
    assert [r["messages"][-1]["content"] for r in rows[1:]] == [f"logged first {n}" for n in range(1, len(train))]
    assert (raw / "eval.jsonl").read_bytes() == (curated / "eval.jsonl").read_bytes()
    manifest = json.loads((raw / "manifest.json").read_text())
    assert manifest["derived_from"] == str(curated) and manifest["note"].startswith(f"{len(train) - 1} of {len(train)}")
