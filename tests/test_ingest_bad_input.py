"""Every bad line goes to the rejects file with line, field and reason; every valid line is kept."""

import json

import pytest

from annotate.config import IngestLimits
from annotate.ingest import ingest_files
from tests.conftest import record

BAD_LINES = {
    "malformed JSON": (b'{"messages": [', None, "malformed JSON"),
    "not an object": (b'["a list"]', None, "must be a JSON object"),
    "response of the wrong type": (json.dumps(record(response=42)).encode(), "response", "valid string"),
    "messages of the wrong type": (json.dumps({"messages": "hi", "response": "r"}).encode(), "messages", "valid list"),
    "unknown role": (json.dumps({"messages": [{"role": "robot", "content": "x"}], "response": "r"}).encode(), "messages[0].role", "'system'"),
    "rating out of range": (json.dumps(record(feedback={"rating": 9})).encode(), "feedback.rating", "less than or equal to 5"),
    "positive logprob": (json.dumps(record(logprobs={"mean": 0.4})).encode(), "logprobs.mean", "less than or equal to 0"),
    "bad timestamp": (json.dumps(record(created_at="last tuesday")).encode(), "created_at", "datetime"),
    "missing prompt": (json.dumps({"response": "r"}).encode(), "messages", "give messages or a prompt"),
    "missing response": (json.dumps({"prompt": "p"}).encode(), "response", "missing"),
    "empty prompt": (json.dumps({"prompt": "", "response": "r"}).encode(), "messages[0].content", "user message is empty"),
    "blank response": (json.dumps(record(response="   ")).encode(), "response", "must not be empty"),
    "empty model": (json.dumps(record(model="")).encode(), "model", "must not be empty"),
    "no user turn": (json.dumps({"messages": [{"role": "system", "content": "s"}], "response": "r"}).encode(), "messages", "no user turn"),
    "invalid UTF-8": (b'{"prompt": "caf\xe9", "response": "r"}', None, "invalid UTF-8 at byte 16"),
    "escaped NUL": (b'{"prompt": "p", "response": "ok\\u0000"}', "response", "NUL character"),
    "raw NUL byte": (b'{"prompt": "p\x00", "response": "ok"}', None, "malformed JSON"),
    "NUL in metadata": (json.dumps(record(metadata={"note": "a\u0000b"})).encode(), "metadata.note", "NUL character"),
    "field over the size limit": (json.dumps(record(response="x" * 5_000)).encode(), "response", "5,000 characters, over the limit of 1,000"),
    "deeply nested junk": (json.dumps(record(metadata={"junk": json.loads("[" * 40 + "]" * 40)})).encode(), "metadata.junk", "nested deeper than 32"),
    "nesting too deep to parse": (b'{"prompt": "p", "response": "r", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None, "nested too deeply"),
    "metadata not an object": (json.dumps(record(metadata=[1, 2])).encode(), "metadata", "valid dictionary"),
}


@pytest.mark.parametrize("case", BAD_LINES, ids=list(BAD_LINES))
def test_a_bad_line_is_rejected_with_line_field_and_reason_and_its_neighbours_kept(case, store, write_jsonl, tmp_path):
    line, field, reason = BAD_LINES[case]
    path = write_jsonl([record(prompt="before"), line, record(prompt="after")])
    rejects = tmp_path / "rejects.jsonl"
    limits = IngestLimits(max_field_chars=1_000)

    summary = ingest_files(store, [path], rejects_path=rejects, limits=limits)

    assert (summary.total("read"), summary.total("ingested"), summary.total("rejected")) == (3, 2, 1)
    assert summary.exit_code == 3
    (reject,) = [json.loads(row) for row in rejects.read_text().splitlines()]
    assert (reject["file"], reject["line"], reject["field"]) == (str(path), 2, field)
    assert reason in reject["reason"]
    kept = {json.loads(row["messages"])[0]["content"] for row in store.db.query("SELECT messages FROM records")}
    assert kept == {"before", "after"}


def test_rejects_go_to_the_projects_rejects_folder_by_default(store, write_jsonl):
    summary = ingest_files(store, [write_jsonl([record(), b"{oops"])])
    path = summary.files[0].rejects_path
    assert path and "/rejects/ingest-" in path
    assert json.loads(open(path).read())["line"] == 2


def test_a_file_of_only_bad_lines_exits_2_and_stores_nothing(store, write_jsonl):
    summary = ingest_files(store, [write_jsonl([b"{", b"[]", json.dumps({"prompt": "p"}).encode()])])
    assert summary.total("rejected") == 3
    assert summary.exit_code == 2
    assert store.record_count() == 0


def test_blank_lines_are_skipped_not_rejected(store, write_jsonl):
    summary = ingest_files(store, [write_jsonl([record(), "", "   ", record(prompt="two")])])
    assert (summary.total("read"), summary.total("rejected"), summary.exit_code) == (2, 0, 0)


def test_a_csv_row_with_invalid_utf8_is_rejected_and_the_rest_kept(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"prompt,response\nfine,ok\ncaf\xe9,ok\nalso fine,ok\n")
    rejects = tmp_path / "r.jsonl"
    summary = ingest_files(store, [path], rejects_path=rejects)
    assert (summary.total("ingested"), summary.total("rejected")) == (2, 1)
    reject = json.loads(rejects.read_text())
    assert (reject["line"], reject["field"], reject["reason"]) == (3, "prompt", "invalid UTF-8")
