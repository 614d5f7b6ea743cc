"""Issue 19's inputs that crashed or lost good lines, one test each (items 1 to 10): every one is now
a reject naming its line and field, or one clear message, and the good lines beside it are kept."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotate.config import IngestLimits, load_config, parse_config
from annotate.errors import ConfigError
from annotate.ingest import ingest_files
from annotate.review.annotators import add_annotator
from annotate.tasks.gold import import_gold
from tests.conftest import EXPERT, OTHER, make_tasks, record

HUGE = "9" * 5_000  # past Python's 4,300-digit limit for int(str)


def _rejects(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _kept_prompts(store) -> set[str]:
    return {json.loads(row["messages"])[0]["content"] for row in store.db.query("SELECT messages FROM records")}


def _ingest_between(store, tmp_path, middle: bytes, limits=None):
    """Ingest good line / `middle` / good line; returns (summary, rejects)."""
    path = tmp_path / "logs.jsonl"
    path.write_bytes(json.dumps(record(prompt="before")).encode() + b"\n" + middle + b"\n" + json.dumps(record(prompt="after")).encode() + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    summary = ingest_files(store, [path], rejects_path=rejects, limits=limits)
    return summary, _rejects(rejects) if rejects.exists() else []


# 1. Lone surrogates
@pytest.mark.parametrize("line, field", [
    (b'{"prompt": "p", "response": "r", "metadata": {"note": "\\udfff"}}', "metadata.note"),
    (b'{"messages": [{"role": "user", "content": "a \\ud800 b"}], "response": "r", "extra": 1}', "messages[0].content"),
    (b'{"prompt": "p", "response": "r", "tags": ["\\udc00"]}', "tags[0]"),
])  # fmt: skip
def test_a_lone_surrogate_rejects_its_line_naming_the_field_and_keeps_the_batch(store, tmp_path, line, field):
    summary, rejects = _ingest_between(store, tmp_path, line)
    assert (summary.total("ingested"), summary.total("rejected"), summary.exit_code) == (2, 1, 3)
    assert (rejects[0]["line"], rejects[0]["field"]) == (2, field) and "surrogate" in rejects[0]["reason"]
    assert _kept_prompts(store) == {"before", "after"}


# 2. Huge integers, in each reader that parses numbers
def test_an_integer_of_thousands_of_digits_is_a_rejected_line_in_ingest(store, tmp_path):
    summary, rejects = _ingest_between(store, tmp_path, ('{"prompt": "p", "response": "r", "metadata": {"n": ' + HUGE + "}}").encode())
    assert summary.exit_code == 3 and rejects[0]["field"] == "metadata.n" and "64-bit" in rejects[0]["reason"]


def test_an_integer_of_thousands_of_digits_is_a_rejected_line_in_annotations_and_gold_import(store, project, cli, tmp_path):
    add_annotator(store, EXPERT)
    first, second = make_tasks(store, 2)
    path = tmp_path / "answers.jsonl"
    path.write_text(
        json.dumps({"task": first, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable"}}) + "\n"
        + '{"task": ' + HUGE + ', "annotator": "' + EXPERT + '", "answer": {"kind": "correction", "verdict": "acceptable"}}\n'
    )  # fmt: skip
    result = cli("annotations", "import", str(path), "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3, result.output
    (reject,) = _rejects(tmp_path / "r.jsonl")
    assert (reject["line"], reject["field"]) == (2, "task") and len(store.annotations_of(first)) == 1

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"record_id": "x", "answer": {"kind": "correction", "verdict": "acceptable", "seconds_spent": ' + HUGE + "}}\n")
    outcome = import_gold(store, gold, project.config.taxonomy)
    assert outcome.read == 1 and outcome.rejects[0].field == "answer.seconds_spent"


# 3. Corrupt Parquet
def _parquet(path, rows: int = 6_000) -> None:
    table = pa.table({"prompt": [f"question {n} " + "pad " * 30 for n in range(rows)], "response": [f"answer {n}" for n in range(rows)]})
    pq.write_table(table, path, compression="snappy", row_group_size=2_000)


def test_a_parquet_file_corrupt_in_its_last_row_group_keeps_the_rows_before_it(store, cli, tmp_path):
    path = tmp_path / "logs.parquet"
    _parquet(path)
    metadata = pq.ParquetFile(path).metadata
    last = metadata.row_group(2).column(0)
    data = bytearray(path.read_bytes())
    start = last.data_page_offset + 40
    data[start:start + 400] = bytes(400)  # zeroes in the middle of a compressed page
    path.write_bytes(bytes(data))
    result = cli("ingest", str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "unreadable after row 4000" in result.output
    assert store.record_count() == 4_000


def test_a_file_that_is_not_parquet_at_all_is_one_message_and_exit_2(store, cli, tmp_path):
    path = tmp_path / "logs.parquet"
    path.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    result = cli("ingest", str(path))
    assert result.exit_code == 2 and "not a readable Parquet file" in result.output and "Traceback" not in result.output


# 4. A CSV cell past csv's own field limit
def test_a_huge_csv_cell_rejects_only_its_row(store, tmp_path):
    path = tmp_path / "logs.csv"
    path.write_text("prompt,response\nfirst,ok\nsecond," + "x" * 200_000 + "\nthird,ok\n")
    rejects = tmp_path / "r.jsonl"
    summary = ingest_files(store, [path], rejects_path=rejects)
    assert (summary.total("ingested"), summary.total("rejected"), summary.exit_code) == (2, 1, 3)
    (reject,) = _rejects(rejects)
    assert (reject["line"], reject["field"]) == (3, "response") and "over the limit" in reject["reason"]


# 5. A truncated .gz
def test_a_truncated_gzip_keeps_every_line_read_before_the_cut(store, cli, tmp_path):
    lines = b"".join(json.dumps(record(prompt=f"question {n}")).encode() + b"\n" for n in range(3_000))
    packed = gzip.compress(lines)
    path = tmp_path / "logs.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 3 // 4])
    result = cli("ingest", str(path))
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    kept = store.record_count()
    assert 2_000 <= kept < 3_000, kept  # everything readable before the cut, in any batch
    assert f"the {kept:,} good lines before it were kept" in " ".join(result.output.split())


# 6. Byte-order marks
def test_a_byte_order_mark_is_not_part_of_the_first_line_or_column(store, tmp_path, project, cli):
    csv_path, jsonl_path = tmp_path / "bom.csv", tmp_path / "bom.jsonl"
    csv_path.write_bytes("\ufeffprompt,response\r\nfirst,ok\r\nsecond,ok\r\n".encode())
    jsonl_path.write_bytes(("\ufeff" + json.dumps(record(prompt="third")) + "\r\n" + json.dumps(record(prompt="fourth")) + "\r\n").encode())
    summary = ingest_files(store, [csv_path, jsonl_path])
    assert (summary.total("ingested"), summary.total("rejected"), summary.exit_code) == (4, 0, 0)
    assert _kept_prompts(store) == {"first", "second", "third", "fourth"}

    add_annotator(store, EXPERT)
    tasks = make_tasks(store, 2)
    answers = tmp_path / "answers.csv"
    answers.write_bytes(f"\ufefftask,annotator,verdict\r\n{tasks[0]},{EXPERT},acceptable\r\n{tasks[1]},{EXPERT},acceptable\r\n".encode())
    result = cli("annotations", "import", str(answers))
    assert result.exit_code == 0, result.output
    assert all(store.annotations_of(task) for task in tasks)


# 7. annotations import
@pytest.mark.parametrize("task_field, reason", [
    ("1e30", "task id"), ("11.9", "task id"), ("true", "task id"), ("-1", "task id"), ('"7x"', "task id"),
    ('"\\udfff"', "surrogate"), ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])  # fmt: skip
def test_an_odd_task_id_rejects_only_its_line(store, project, cli, tmp_path, task_field, reason):
    add_annotator(store, EXPERT)
    (task,) = make_tasks(store, 1)
    path = tmp_path / "answers.jsonl"
    good = json.dumps({"task": task, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable"}})
    path.write_text(good + "\n" + '{"task": ' + task_field + ', "annotator": "' + EXPERT + '", "answer": {"kind": "correction", "verdict": "acceptable"}}\n')
    result = cli("annotations", "import", str(path), "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3, result.output
    (reject,) = _rejects(tmp_path / "r.jsonl")
    assert reject["line"] == 2 and reason in reject["reason"]
    assert len(store.annotations_of(task)) == 1


def test_a_surrogate_in_an_email_or_id_rejects_only_its_line(store, project, cli, tmp_path):
    add_annotator(store, EXPERT)
    first, second, third = make_tasks(store, 3)
    path = tmp_path / "answers.jsonl"
    path.write_text(
        json.dumps({"task": first, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable"}}) + "\n"
        + '{"task": %d, "annotator": "a\\udfff@x.test", "answer": {"kind": "correction", "verdict": "acceptable"}}\n' % second
        + '{"task": %d, "id": "v\\ud800", "annotator": "%s", "answer": {"kind": "correction", "verdict": "acceptable"}}\n' % (third, EXPERT)
    )  # fmt: skip
    result = cli("annotations", "import", str(path), "--add-annotators", "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3, result.output
    assert [(reject["line"], reject["field"]) for reject in _rejects(tmp_path / "r.jsonl")] == [(2, "annotator"), (3, "id")]


def test_an_import_never_fills_more_slots_than_a_task_has(store, project, cli, tmp_path):
    for email in (EXPERT, OTHER, "cy@x.test"):
        add_annotator(store, email)
    (task,) = make_tasks(store, 1, required=2)
    rows = [{"task": task, "annotator": email, "answer": {"kind": "correction", "verdict": "acceptable"}} for email in (EXPERT, OTHER, "cy@x.test")]
    rows.append(rows[0] | {"answer": {"kind": "correction", "verdict": "unusable", "rationale": "Off topic."}})  # an edit of line 1 takes no new slot
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = cli("annotations", "import", str(path), "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3, result.output
    (reject,) = _rejects(tmp_path / "r.jsonl")
    assert (reject["line"], reject["field"]) == (3, "task") and "no free slot" in reject["reason"]
    answered = {store.annotator_by_email(email)["id"] for email in (EXPERT, OTHER)}
    assert {annotation.annotator_id for annotation in store.annotations_of(task)} == answered
    assert [annotation.verdict for annotation in store.annotations_of(task)] == ["acceptable", "acceptable", "unusable"]
    assert store.task(task).status == "done"


def test_one_invalid_email_with_add_annotators_rejects_only_its_line(store, project, cli, tmp_path):
    first, second = make_tasks(store, 2)
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in (
        {"task": first, "annotator": "new@x.test", "answer": {"kind": "correction", "verdict": "acceptable"}},
        {"task": second, "annotator": "not an email", "answer": {"kind": "correction", "verdict": "acceptable"}},
    )))  # fmt: skip
    result = cli("annotations", "import", str(path), "--add-annotators", "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3, result.output
    assert [(r["line"], r["field"]) for r in _rejects(tmp_path / "r.jsonl")] == [(2, "annotator")]
    assert store.annotator_by_email("new@x.test") is not None and store.annotations_of(first)


# 8. gold import
def test_a_gold_line_with_an_object_for_source_or_a_bad_byte_is_rejected_and_the_rest_kept(store, project, cli, tmp_path):
    ingest_files(store, [_write(tmp_path / "logs.jsonl", [record(id="conv-1"), record(id="conv-2", prompt="other")])], source="prod")
    answer = {"kind": "correction", "verdict": "acceptable"}
    path = tmp_path / "gold.jsonl"
    path.write_bytes(
        json.dumps({"source": "prod", "id": "conv-1", "answer": answer}).encode() + b"\n"
        + json.dumps({"source": {"nested": 1}, "id": "conv-2", "answer": answer}).encode() + b"\n"
        + b'{"source": "prod", "id": "conv-2", "answer": {"kind": "correction", "verdict": "acceptable", "rationale": "caf\xe9"}}\n'
    )  # fmt: skip
    result = cli("gold", "import", str(path))
    assert result.exit_code == 3, result.output
    assert "1 new or changed" in result.output and "2 rejected" in result.output
    assert f"{path}:2: source:" in result.output and f"{path}:3: invalid UTF-8" in result.output


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


# 9. The project config
def test_a_config_that_is_not_utf8_is_one_message_naming_its_line(project, cli):
    config = project.root / "flywheel.toml"
    config.write_bytes(config.read_bytes() + b'\n# caf\xe9\n')
    with pytest.raises(ConfigError, match=r"flywheel\.toml:\d+: not UTF-8 text"):
        load_config(config)
    result = cli("queue")
    assert result.exit_code == 1 and "not UTF-8 text" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", HUGE[:30]])
def test_a_config_number_that_is_not_finite_or_too_long_is_refused_naming_the_key(value):
    with pytest.raises(ConfigError, match="session_idle_minutes"):
        parse_config(f"[app]\nsession_idle_minutes = {value}\n")


# 10. Documented as refused, and now refused
@pytest.mark.parametrize("line, field, reason", [
    (json.dumps(record(metadata={"a\u0000b": 1})).encode(), "metadata.a\\x00b", "NUL"),
    (b'{"prompt": "p", "response": "r", "logprobs": {"mean": -Infinity}}', "logprobs.mean", "not a finite number"),
    (b'{"prompt": "p", "response": "r", "logprobs": {"mean": -1e999}}', "logprobs.mean", "infinity"),
    (b'{"prompt": "p", "response": "r", "feedback": {"rating": NaN}}', "feedback.rating", "not a finite number"),
])  # fmt: skip
def test_nul_keys_and_non_finite_numbers_are_rejected(store, tmp_path, line, field, reason):
    summary, rejects = _ingest_between(store, tmp_path, line)
    assert summary.exit_code == 3 and (rejects[0]["line"], rejects[0]["field"]) == (2, field) and reason in rejects[0]["reason"]


def test_a_nul_in_a_parquet_bytes_column_rejects_that_row(store, tmp_path):
    path = tmp_path / "logs.parquet"
    table = pa.table({"prompt": [b"fine", b"bad\x00byte", b"\xff\xfe", b"also fine"], "response": ["ok"] * 4})
    pq.write_table(table, path)
    rejects = tmp_path / "r.jsonl"
    summary = ingest_files(store, [path], rejects_path=rejects)
    assert (summary.total("ingested"), summary.total("rejected")) == (2, 2)
    assert [(r["line"], r["field"]) for r in _rejects(rejects)] == [(2, "prompt"), (3, "prompt")]


NEEDED = {"failure_categories": ["incomplete"], "severity": "minor"}  # what the default answer rules ask of a correction


def test_a_nul_in_an_imported_corrected_response_rejects_that_line(store, project, cli, tmp_path):
    add_annotator(store, EXPERT)
    first, second = make_tasks(store, 2)
    path = _write(tmp_path / "answers.jsonl", [
        {"task": first, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "corrected", "corrected_response": "Fine.", **NEEDED}},
        {"task": second, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "corrected", "corrected_response": "Bad\u0000.", **NEEDED}},
    ])  # fmt: skip
    result = cli("annotations", "import", str(path), "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3, result.output
    (reject,) = _rejects(tmp_path / "r.jsonl")
    assert reject["line"] == 2 and "NUL" in reject["reason"] and not store.annotations_of(second)


def test_limits_in_the_config_apply_to_every_table_reader(store, tmp_path):
    path = tmp_path / "logs.parquet"
    pq.write_table(pa.table({"prompt": ["short", "x" * 50], "response": ["ok", "ok"]}), path)
    summary = ingest_files(store, [path], rejects_path=tmp_path / "r.jsonl", limits=IngestLimits(max_field_chars=20))
    assert (summary.total("ingested"), summary.total("rejected")) == (1, 1)


# The last line of defence: a bug is one line and exit 70, never a traceback on screen.
def test_an_unexpected_exception_is_one_line_exit_70_and_its_traceback_kept_in_a_file(project, cli, monkeypatch):
    import annotate.cli.queue as queue_command

    def broken(*args, **kwargs):
        raise ValueError("boom at https://user:s3cret-key-123@ls.example/api with Token abcdefghijklmnopqrstuvwxyz")

    monkeypatch.setattr(queue_command, "queue_counts", broken)  # a planted bug in the domain
    monkeypatch.delenv("FLYWHEEL_DEBUG", raising=False)
    result = cli("queue")
    assert result.exit_code == 70, result.output
    assert "Traceback" not in result.output and "internal error: ValueError: boom" in result.output
    assert "s3cret-key-123" not in result.output and "abcdefghijklmnopqrstuvwxyz" not in result.output
    kept = result.output.split("the traceback is in ")[1].split(" (or run again")[0].split()[0]
    text = open(kept, encoding="utf-8").read()
    assert "Traceback" in text and "ValueError: boom" in text and "s3cret-key-123" not in text


def test_an_unreadable_answers_or_gold_file_is_one_message_exit_2_and_imports_nothing(store, project, cli, tmp_path):
    add_annotator(store, EXPERT)
    tasks = make_tasks(store, 400)
    lines = "".join(json.dumps({"task": task, "annotator": EXPERT, "answer": {"kind": "correction", "verdict": "acceptable"}}) + "\n" for task in tasks)
    packed = gzip.compress(lines.encode())
    answers = tmp_path / "answers.jsonl.gz"
    answers.write_bytes(packed[: len(packed) // 2])
    result = cli("annotations", "import", str(answers))
    assert result.exit_code == 2 and "nothing of the file was imported" in " ".join(result.output.split()), result.output
    assert not any(store.annotations_of(task) for task in tasks)

    gold = tmp_path / "gold.jsonl.gz"
    gold.write_bytes(gzip.compress(b'{"record_id": "x", "answer": {"kind": "correction", "verdict": "acceptable"}}\n' * 2_000)[:300])
    result = cli("gold", "import", str(gold))
    assert result.exit_code == 2 and "cannot read the gold file" in result.output and "Traceback" not in result.output


# Found by the fuzz tests
def test_rich_markup_in_a_field_name_or_value_is_printed_as_text(store, project, cli, tmp_path):
    path = tmp_path / "[bold]logs[red].jsonl"
    path.write_text(json.dumps(record(prompt="fine")) + "\n" + json.dumps(record(metadata={"[/]": "a\u0000b"})) + "\n")
    result = cli("ingest", str(path))
    assert result.exit_code == 3, result.output
    assert "metadata.[/]: contains a NUL character" in result.output and "[bold]logs[red].jsonl" in result.output


def test_a_parquet_struct_holding_binary_or_decimals_is_stored_as_json(store, tmp_path):
    from decimal import Decimal

    path = tmp_path / "logs.parquet"
    struct = pa.struct([("raw", pa.binary()), ("amount", pa.decimal128(10, 2)), ("when", pa.date32())])
    pq.write_table(pa.table({
        "prompt": ["first", "second"], "response": ["ok", "ok"],
        "detail": pa.array([{"raw": b"text", "amount": Decimal("12.50"), "when": None},
                            {"raw": b"\x80\xff", "amount": None, "when": None}], type=struct),
    }), path)  # fmt: skip
    rejects = tmp_path / "r.jsonl"
    summary = ingest_files(store, [path], rejects_path=rejects)
    assert (summary.total("ingested"), summary.total("rejected")) == (1, 1)
    assert [(r["line"], r["field"]) for r in _rejects(rejects)] == [(2, "detail.raw")]
    (row,) = store.db.query("SELECT metadata FROM records")
    assert json.loads(row["metadata"]) == {"detail": {"raw": "text", "amount": "12.50", "when": None}}


def test_a_control_character_line_is_a_reject_and_a_text_file_starting_with_gzips_magic_stays_text(store, tmp_path):
    path = tmp_path / "logs.jsonl"
    path.write_bytes(b"\x1f\x8b not gzip\n" + json.dumps(record(prompt="kept")).encode() + b"\n\x1c\n\x0b\x0c\n \t \n")
    rejects = tmp_path / "r.jsonl"
    summary = ingest_files(store, [path], rejects_path=rejects)
    assert (summary.total("read"), summary.total("ingested"), summary.total("rejected")) == (4, 1, 3)
    assert [reject["line"] for reject in _rejects(rejects)] == [1, 3, 4]


def test_a_table_whose_header_names_a_column_twice_is_refused_whole(store, tmp_path, cli):
    path = tmp_path / "logs.csv"
    path.write_text("prompt,response,prompt\nfirst,ok,second\n")
    result = cli("ingest", str(path))
    assert result.exit_code == 2 and "'prompt' appear more than once" in result.output and store.record_count() == 0
    table = pa.Table.from_arrays([pa.array(["a"]), pa.array(["ok"]), pa.array(["b"])], names=["prompt", "response", "prompt"])
    parquet = tmp_path / "logs.parquet"
    pq.write_table(table, parquet)
    result = cli("ingest", str(parquet))
    assert result.exit_code == 2 and "'prompt' appear more than once" in result.output and store.record_count() == 0


@pytest.mark.parametrize("examples", ["null", '"text"', "3", "{}"])
def test_a_prompt_baseline_whose_examples_are_not_a_list_is_one_message(tmp_path, examples):
    from annotate.errors import EvaluationError
    from train.eval_data import read_prompt_baseline

    path = tmp_path / "baseline.json"
    path.write_text('{"system": "Be brief.", "examples": ' + examples + "}")
    with pytest.raises(EvaluationError, match=r"baseline\.json: examples: a list"):
        read_prompt_baseline(path)
