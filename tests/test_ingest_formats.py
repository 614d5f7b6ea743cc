"""Each accepted input shape lands in the store as the same kind of record."""

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotate.errors import IngestError
from annotate.ingest import ingest_files
from tests.conftest import record


def stored(store) -> list[dict]:
    rows = list(store.db.query("SELECT * FROM records ORDER BY external_id, response"))
    for row in rows:
        row["messages"] = json.loads(row["messages"])
        row["metadata"] = json.loads(row["metadata"])
    return rows


def test_flywheels_record_format_keeps_every_field(store, write_jsonl):
    line = record(
        id="conv-1", model="ledgerly-assist@2026-10", created_at="2026-10-03T14:22:05+02:00",
        feedback={"thumbs": "down", "rating": 2, "comment": "wrong plan"}, logprobs={"mean": -0.8, "min": -6.2},
        group="grp-7", metadata={"channel": "web"},
    )  # fmt: skip
    summary = ingest_files(store, [write_jsonl([line])])
    assert summary.exit_code == 0
    (row,) = stored(store)
    assert row["external_id"] == "conv-1"
    assert row["messages"] == [{"role": "user", "content": "How do I export invoices?"}]
    assert (row["model_name"], row["model_version"]) == ("ledgerly-assist", "2026-10")
    assert row["created_at"] == "2026-10-03T12:22:05+00:00"
    assert (row["feedback_thumbs"], row["feedback_rating"], row["feedback_comment"]) == ("down", 2, "wrong plan")
    assert (row["logprob_mean"], row["logprob_min"]) == (-0.8, -6.2)
    assert row["group_id"] == "grp-7"
    assert row["metadata"] == {"channel": "web"}
    assert row["round_id"] == store.open_round()["id"]


def test_a_bare_prompt_becomes_one_user_message(store, write_jsonl):
    ingest_files(store, [write_jsonl([{"prompt": "Can I pay yearly?", "response": "Yes, on every plan."}])])
    (row,) = stored(store)
    assert row["messages"] == [{"role": "user", "content": "Can I pay yearly?"}]


def test_a_multi_turn_conversation_keeps_every_turn(store, write_jsonl):
    messages = [
        {"role": "system", "content": "You are Ledgerly's support assistant."},
        {"role": "user", "content": "My bank feed stopped."},
        {"role": "assistant", "content": "Which bank?"},
        {"role": "tool", "content": '{"bank": "Monzo", "status": "expired"}', "tool_call_id": "call_1"},
        {"role": "user", "content": "Monzo."},
    ]
    ingest_files(store, [write_jsonl([{"messages": messages, "response": "Reconnect it under Banking."}])])
    (row,) = stored(store)
    assert row["messages"] == messages


def test_an_openai_chat_completion_log_gives_response_logprobs_and_metadata(store, write_jsonl):
    line = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "model": "gpt-4o-mini",
        "created": 1760000000,
        "choices": [{
            "message": {"role": "assistant", "content": "Hello! How can I help?"},
            "finish_reason": "stop",
            "logprobs": {"content": [{"token": "Hello", "logprob": -0.5}, {"token": "!", "logprob": -1.5}]},
        }],
        "usage": {"total_tokens": 12},
    }  # fmt: skip
    ingest_files(store, [write_jsonl([line])])
    (row,) = stored(store)
    assert row["messages"] == [{"role": "user", "content": "Hi"}]
    assert row["response"] == "Hello! How can I help?"
    assert (row["logprob_mean"], row["logprob_min"]) == (-1.0, -1.5)
    assert row["created_at"] == "2025-10-09T08:53:20+00:00"
    assert row["metadata"] == {"finish_reason": "stop", "usage": {"total_tokens": 12}}


def test_a_chat_log_whose_last_turn_is_the_assistants_uses_it_as_the_response(store, write_jsonl):
    messages = [{"role": "user", "content": "Refund?"}, {"role": "assistant", "content": "Within 14 days."}]
    ingest_files(store, [write_jsonl([{"messages": messages}])])
    (row,) = stored(store)
    assert row["messages"] == messages[:1]
    assert row["response"] == "Within 14 days."


def test_unknown_top_level_fields_go_into_metadata(store, write_jsonl):
    ingest_files(store, [write_jsonl([record(session="s-9", tenant={"id": 4}, metadata={"session": "kept"})])])
    (row,) = stored(store)
    assert row["metadata"] == {"session": "kept", "top_level.session": "s-9", "tenant": {"id": 4}}


def test_gzipped_jsonl_is_read_like_plain(store, write_jsonl):
    summary = ingest_files(store, [write_jsonl([record(), record(prompt="Other?")], name="logs.jsonl.gz")])
    assert (summary.files[0].format, summary.total("ingested")) == ("jsonl", 2)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_csv_with_a_column_mapping(store, tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        ["ticket", "question", "answer", "stars", "model", "channel"],
        [["T-1", "Where is my invoice?", "Under Sales.", "4", "m@1", "email"], ["T-2", "VAT?", "20%.", "", "m@1", "web"]],
    )
    mapping = {"id": "ticket", "prompt": "question", "response": "answer", "feedback.rating": "stars"}
    summary = ingest_files(store, [path], mapping=mapping)
    assert summary.exit_code == 0
    first, second = stored(store)
    assert (first["external_id"], first["response"], first["feedback_rating"]) == ("T-1", "Under Sales.", 4)
    assert first["messages"] == [{"role": "user", "content": "Where is my invoice?"}]
    assert first["model_name"] == "m" and first["metadata"] == {"channel": "email"}
    assert second["feedback_rating"] is None


def test_parquet_with_a_column_mapping(store, tmp_path):
    path = tmp_path / "logs.parquet"
    table = pa.table({
        "q": ["How do I add a user?", "Cancel my plan"], "a": ["Settings > Users.", "Billing > Cancel."],
        "thumb": ["up", None], "lp_mean": [-0.2, -2.5], "region": ["eu", "us"],
    })  # fmt: skip
    pq.write_table(table, path)
    mapping = {"prompt": "q", "response": "a", "feedback.thumbs": "thumb", "logprobs.mean": "lp_mean"}
    summary = ingest_files(store, [path], mapping=mapping)
    assert summary.exit_code == 0 and summary.total("ingested") == 2
    rows = {row["response"]: row for row in stored(store)}
    assert rows["Settings > Users."]["feedback_thumbs"] == "up"
    assert rows["Billing > Cancel."]["logprob_mean"] == -2.5
    assert rows["Billing > Cancel."]["metadata"] == {"region": "us"}


def test_a_csv_missing_a_mapped_column_is_one_whole_file_error(store, tmp_path):
    path = write_csv(tmp_path / "export.csv", ["question", "answer"], [["q", "a"]])
    summary = ingest_files(store, [path], mapping={"prompt": "question", "response": "reply"})
    (file,) = summary.files
    assert "mapped column 'reply' (for response) not in the header" in file.error
    assert "columns are: question, answer" in file.error
    assert summary.exit_code == 2
    assert store.record_count() == 0


def test_a_csv_with_no_response_column_says_how_to_map_one(store, tmp_path):
    path = write_csv(tmp_path / "export.csv", ["prompt", "answer"], [["q", "a"]])
    summary = ingest_files(store, [path])
    assert "--map response=COLUMN" in summary.files[0].error


def test_the_format_comes_from_the_name_or_must_be_given(store, tmp_path):
    path = tmp_path / "logs.txt"
    path.write_text(json.dumps(record()) + "\n")
    assert "pass --format" in ingest_files(store, [path]).files[0].error
    assert ingest_files(store, [path], fmt="jsonl").total("ingested") == 1


def test_a_missing_file_is_reported_and_the_others_still_ingested(store, write_jsonl, tmp_path):
    good = write_jsonl([record()])
    summary = ingest_files(store, [tmp_path / "absent.jsonl", good])
    assert "no such file" in summary.files[0].error
    assert summary.files[1].ingested == 1
    assert summary.exit_code == 2


def test_an_unknown_format_name_is_refused(store, write_jsonl):
    with pytest.raises(IngestError, match="unknown format"):
        from annotate.ingest.readers import detect_format

        detect_format(write_jsonl([record()]), "xml")
