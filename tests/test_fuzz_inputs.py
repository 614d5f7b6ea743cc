"""Fuzz tests, one per input path (issue 19): hostile lines between good ones, through the real
command where there is one. Each asserts: an exit code from the documented set, no traceback,
every good line kept exactly once, every reject naming a hostile line (never a good one), and
every line accounted for (kept, already present or rejected). See tests/fuzzing.py."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotate.cli import EXIT_INTERNAL_ERROR, app
from annotate.project import init_project
from annotate.review.annotators import add_annotator
from tests.conftest import make_tasks
from tests.fuzzing import FUZZ, MAX_FIELD_CHARS, hostile_line, mixed_lines, odd_values, tally

RUNNER = CliRunner()
RECORD_FIELDS = ["messages.0.content", "messages.0.role", "messages", "response", "metadata.note", "metadata", "feedback.rating",
                 "feedback.thumbs", "feedback", "logprobs.mean", "logprobs.min", "model", "created_at", "id", "group", "extra"]  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory):
    """One project for every example of a test (each example ingests under its own source)."""
    project = init_project(tmp_path_factory.mktemp("fuzz") / "project", name="fuzz")
    config = project.root / "flywheel.toml"
    config.write_text(config.read_text().replace("max_field_chars = 100000", f"max_field_chars = {MAX_FIELD_CHARS}"))
    assert f"max_field_chars = {MAX_FIELD_CHARS}" in config.read_text()
    return project


def _run(project, path: str, *args: str):
    """The real command in-process; an exception escaping it is a crash (tallied, then raised)."""
    try:
        result = RUNNER.invoke(app, ["--project", str(project.root), "--quiet", *args], env={"COLUMNS": "200"}, catch_exceptions=False)
    except Exception:
        tally(path, crashed=1)
        raise
    if result.exit_code == EXIT_INTERNAL_ERROR:
        tally(path, crashed=1)
    assert "Traceback" not in result.output and result.exit_code != EXIT_INTERNAL_ERROR, result.output
    return result


def _read_rejects(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line] if path.exists() else []


def _good_record(index: int) -> dict:
    return {"id": f"good-{index}", "messages": [{"role": "user", "content": f"good question {index}"}], "response": f"answer {index}"}


def _spare_record(index: int) -> dict:
    return {"id": f"spare-{index}", "messages": [{"role": "user", "content": f"spare question {index}"}], "response": "fine",
            "metadata": {"note": "n"}, "feedback": {"rating": 3, "thumbs": "up"}, "logprobs": {"mean": -0.5, "min": -2.0},
            "model": "m@1", "created_at": "2026-01-01T00:00:00Z", "group": "g", "extra": "e"}  # fmt: skip


def _check_ingest(project, source: str, lines: list[bytes], owners: dict[int, int], n_goods: int, result, rejects: list[dict], path: str):
    assert result.exit_code in (0, 2, 3), result.output
    hostile = {number for number, owner in owners.items() if owner < 0}
    rejected = [reject["line"] for reject in rejects]
    assert len(rejected) == len(set(rejected)), "a line rejected twice"
    assert set(rejected) <= hostile, f"good lines rejected: {sorted(set(rejected) - hostile)}"
    assert all(reject["reason"] for reject in rejects)
    with project.open_store() as store:
        kept = Counter(row["external_id"] for row in store.db.query("SELECT external_id FROM records WHERE source = ?", [source]))
        (run,) = store.db.query("SELECT * FROM ingests WHERE source = ? ORDER BY id DESC LIMIT 1", [source])
    assert all(kept[f"good-{index}"] == 1 for index in range(n_goods)), "a good line lost or doubled"
    assert run["n_read"] == len(lines) and run["n_rejected"] == len(rejects)
    assert run["n_ingested"] + run["n_present"] + run["n_rejected"] == len(lines)
    assert sum(kept.values()) == run["n_ingested"]
    tally(path, cases=1, lines=len(lines), kept=run["n_ingested"] + run["n_present"], rejected=len(rejects))


EXAMPLE = iter(range(10**9))


@FUZZ
@given(data=st.data(), n_goods=st.integers(min_value=1, max_value=5), gz=st.booleans())
def test_fuzzed_jsonl_ingest_keeps_every_good_line_and_names_every_reject(fuzz_project, tmp_path_factory, data, n_goods, gz):
    goods, spares = [_good_record(i) for i in range(n_goods)], [_spare_record(i) for i in range(2 * n_goods)]
    lines, owners = mixed_lines(data.draw, goods, spares, RECORD_FIELDS)
    folder = tmp_path_factory.mktemp("jsonl")
    path = folder / ("logs.jsonl.gz" if gz else "logs.jsonl")
    raw = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    source = f"jsonl-{next(EXAMPLE)}"
    result = _run(fuzz_project, "ingest jsonl" + (".gz" if gz else ""), "ingest", str(path), "--source", source, "--rejects", str(folder / "r.jsonl"))
    _check_ingest(fuzz_project, source, lines, owners, n_goods, result, _read_rejects(folder / "r.jsonl"), "ingest jsonl" + (".gz" if gz else ""))


CSV_COLUMNS = ["id", "prompt", "response", "model", "group", "created_at", "extra"]
odd_cells = st.one_of(st.sampled_from(["\x00", "\ufeff", "a\r\nb", '"', "x" * (MAX_FIELD_CHARS + 1), "[/]", "NaN", "1e999", "7" * 5000,
                                       "", "true", "-inf", "\u202e"]), st.text(max_size=30))  # fmt: skip


@FUZZ
@given(data=st.data(), n_goods=st.integers(min_value=1, max_value=5), bom=st.booleans(), crlf=st.booleans())
def test_fuzzed_csv_ingest_keeps_every_good_row_and_names_every_reject(fuzz_project, tmp_path_factory, data, n_goods, bom, crlf):
    rows, owners = [], {}
    for index in range(n_goods):
        for spare in range(data.draw(st.integers(min_value=0, max_value=2))):
            row = {"id": f"spare-{index}-{spare}", "prompt": f"spare {index} {spare}", "response": "fine", "model": "m", "group": "g",
                   "created_at": "2026-01-01", "extra": "e"}  # fmt: skip
            row[data.draw(st.sampled_from(CSV_COLUMNS))] = data.draw(odd_cells)
            rows.append(row)
            owners[len(rows) + 1] = -1  # line numbers: the header is line 1
        rows.append({"id": f"good-{index}", "prompt": f"good question {index}", "response": f"answer {index}"})
        owners[len(rows) + 1] = index
    buffer = io.StringIO(newline="")
    bare_cr = any("\r" in str(value) for row in rows for value in row.values())  # unquoted, a reader rightly splits the row there
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    text = buffer.getvalue()
    damage = data.draw(st.sampled_from(["none", "invalid_utf8", "surrogate"]))
    encoded = (("\ufeff" if bom else "") + text).encode("utf-8", "surrogatepass")
    if damage != "none" and any(owner < 0 for owner in owners.values()):  # damage the first spare row's bytes
        first_spare = min(number for number, owner in owners.items() if owner < 0)
        split = encoded.split(b"\r\n" if crlf else b"\n")
        split[first_spare - 1] += b"\xff" if damage == "invalid_utf8" else "\udfff".encode("utf-8", "surrogatepass")
        encoded = (b"\r\n" if crlf else b"\n").join(split)
    folder = tmp_path_factory.mktemp("csv")
    path = folder / "logs.csv"
    path.write_bytes(encoded)
    source = f"csv-{next(EXAMPLE)}"
    result = _run(fuzz_project, "ingest csv", "ingest", str(path), "--source", source, "--rejects", str(folder / "r.jsonl"))
    rejects = _read_rejects(folder / "r.jsonl")
    # A quoted cell with a line break spans two physical lines: csv names the row's last line, so
    # compare by row order rather than by physical line number here.
    assert result.exit_code in (0, 2, 3), result.output
    with fuzz_project.open_store() as store:
        kept = Counter(row["external_id"] for row in store.db.query("SELECT external_id FROM records WHERE source = ?", [source]))
        (run,) = store.db.query("SELECT * FROM ingests WHERE source = ? ORDER BY id DESC LIMIT 1", [source])
    assert all(kept[f"good-{index}"] == 1 for index in range(n_goods)), (kept, rejects)
    assert not [reject for reject in rejects if str(reject.get("excerpt", "")).find("good question") >= 0]
    assert run["n_read"] == len(rows) and run["n_ingested"] + run["n_present"] + run["n_rejected"] == len(rows)
    tally("ingest csv", cases=1, lines=len(rows), kept=run["n_ingested"] + run["n_present"], rejected=len(rejects))


PARQUET_TYPES = {
    "string": (pa.string(), st.one_of(st.text(max_size=20), st.sampled_from(["x" * (MAX_FIELD_CHARS + 1), "\x00", "[/]", ""]))),
    "binary": (pa.binary(), st.one_of(st.binary(max_size=20), st.just(b"\xff\xfe"), st.just(b"a\x00"))),
    "int": (pa.int64(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    "float": (pa.float64(), st.floats(allow_nan=True, allow_infinity=True)),
    "bool": (pa.bool_(), st.booleans()),
    "timestamp": (pa.timestamp("us"), st.datetimes()),
    "date": (pa.date32(), st.dates()),
    "list": (pa.list_(pa.string()), st.lists(st.text(max_size=5), max_size=3)),
    "struct": (pa.struct([("a", pa.int64()), ("b", pa.binary())]),
               st.fixed_dictionaries({"a": st.integers(min_value=-5, max_value=5), "b": st.binary(max_size=4)})),
    "decimal": (pa.decimal128(20, 4), st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False)),
}


@FUZZ
@given(data=st.data(), n_goods=st.integers(min_value=1, max_value=5), n_spares=st.integers(min_value=0, max_value=6))
def test_fuzzed_parquet_ingest_keeps_every_good_row_and_names_every_reject(fuzz_project, tmp_path_factory, data, n_goods, n_spares):
    # The odd column: a known field (prompt, response, feedback, ...) or an unknown one, of a drawn type.
    column = data.draw(st.sampled_from(["response", "prompt", "model", "created_at", "feedback", "logprobs", "metadata", "group", "other"]))
    kind = data.draw(st.sampled_from(sorted(PARQUET_TYPES)))
    arrow_type, values = PARQUET_TYPES[kind]
    n = n_goods + n_spares
    spare_rows = set(data.draw(st.permutations(range(n)))[:n_spares])
    ids, prompts, responses, odd = [], [], [], []
    for row in range(n):
        spare = row in spare_rows
        ids.append(f"spare-{row}" if spare else f"good-{row}")
        prompts.append(f"spare {row}" if spare else f"good question {row}")
        responses.append("fine" if spare else f"answer {row}")
        odd.append(data.draw(values) if spare else None)
    columns = {"id": ids, "prompt": prompts, "response": responses}
    if column in ("prompt", "response") and kind in ("string", "binary"):  # the odd value replaces the spare rows' own cell
        columns[column] = pa.array([o if row in spare_rows else columns[column][row] for row, o in enumerate(odd)], type=arrow_type)
    else:  # a column of its own type (kept in metadata when it is not a known field)
        columns["odd" if column in ("prompt", "response") else column] = pa.array(odd, type=arrow_type)
    folder = tmp_path_factory.mktemp("parquet")
    path = folder / "logs.parquet"
    pq.write_table(pa.table(columns), path)
    source = f"parquet-{next(EXAMPLE)}"
    result = _run(fuzz_project, "ingest parquet", "ingest", str(path), "--source", source, "--rejects", str(folder / "r.jsonl"))
    owners = {row + 1: (-1 if row in spare_rows else row) for row in range(n)}
    _check_ingest(fuzz_project, source, [b""] * n, owners, 0, result, _read_rejects(folder / "r.jsonl"), "ingest parquet")
    with fuzz_project.open_store() as store:
        kept = {row["external_id"] for row in store.db.query("SELECT external_id FROM records WHERE source = ?", [source])}
    assert {f"good-{row}" for row in range(n) if row not in spare_rows} <= kept


# Annotations import: good lines answer their own task; spares answer theirs.
ANSWER_FIELDS = ["task", "annotator", "id", "answer", "answer.kind", "answer.verdict", "answer.corrected_response", "answer.rationale",
                 "answer.failure_categories", "answer.severity", "answer.seconds_spent", "record", "source", "extra"]  # fmt: skip


@pytest.fixture(scope="module")
def answer_tasks(fuzz_project):
    """Fresh correction tasks (one slot each) on demand, answered by one annotator."""
    with fuzz_project.open_store() as store:
        add_annotator(store, "ana@x.test")

    def fresh(n: int) -> list[int]:
        with fuzz_project.open_store() as store:
            return make_tasks(store, n)

    return fresh


def _answer(task: int) -> dict:
    return {"task": task, "annotator": "ana@x.test",
            "answer": {"kind": "correction", "verdict": "corrected", "corrected_response": f"Fixed {task}.", "rationale": "r",
                       "failure_categories": ["incomplete"], "severity": "minor", "seconds_spent": 12.5}}  # fmt: skip


@FUZZ
@given(data=st.data(), n_goods=st.integers(min_value=1, max_value=4), as_csv=st.booleans())
def test_fuzzed_annotations_import_keeps_every_good_line_and_names_every_reject(fuzz_project, answer_tasks, tmp_path_factory,
                                                                                data, n_goods, as_csv):  # fmt: skip
    tasks = answer_tasks(3 * n_goods)
    goods, spares = [_answer(task) for task in tasks[:n_goods]], [_answer(task) for task in tasks[n_goods:]]
    folder = tmp_path_factory.mktemp("answers")
    if as_csv:
        path, owners, n_lines = _answers_csv(data, folder, goods, spares)
    else:
        lines, owners = mixed_lines(data.draw, goods, spares, ANSWER_FIELDS)
        path = folder / "answers.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        n_lines = len(lines)
    name = "annotations import " + ("csv" if as_csv else "jsonl")
    result = _run(fuzz_project, name, "annotations", "import", str(path), "--rejects", str(folder / "r.jsonl"))
    assert result.exit_code in (0, 2, 3), result.output
    rejects = _read_rejects(folder / "r.jsonl")
    hostile = {number for number, owner in owners.items() if owner < 0}
    rejected = [reject["line"] for reject in rejects]
    assert len(rejected) == len(set(rejected)) and set(rejected) <= hostile, (rejected, hostile)
    with fuzz_project.open_store() as store:
        for good in goods:
            assert [a.corrected_response for a in store.annotations_of(good["task"])] == [good["answer"]["corrected_response"]]
        kept_spares = sum(bool(store.annotations_of(spare["task"])) for spare in spares)
    tally(name, cases=1, lines=n_lines, kept=n_goods + kept_spares, rejected=len(rejects))


def _answers_csv(data, folder: Path, goods: list[dict], spares: list[dict]):
    columns = ["task", "annotator", "kind", "verdict", "corrected_response", "failure_categories", "severity", "seconds_spent",
               "rationale"]
    flat = lambda line: {"task": line["task"], "annotator": line["annotator"], "kind": "correction",  # noqa: E731
                         **{key: value for key, value in line["answer"].items() if key != "kind"}, "failure_categories": "incomplete"}  # fmt: skip
    rows, owners, spare = [], {}, iter(spares)
    for index, good in enumerate(goods):
        for _ in range(data.draw(st.integers(min_value=0, max_value=2))):
            row = flat(next(spare))
            row[data.draw(st.sampled_from(columns))] = data.draw(odd_cells)
            rows.append(row)
            owners[len(rows) + 1] = -1
        rows.append(flat(good))
        owners[len(rows) + 1] = index
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: str(value).replace("\r", " ").replace("\n", " ") for key, value in row.items()} for row in rows)
    path = folder / "answers.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
    return path, owners, len(rows)


GOLD_FIELDS = ["record_id", "source", "id", "answer", "answer.kind", "answer.verdict", "answer.corrected_response", "answer.rationale",
               "record_b_id", "extra"]  # fmt: skip


@pytest.fixture(scope="module")
def gold_records(fuzz_project):  # cycled: importing an item again is idempotent
    """Records for gold items, by (source, external id)."""
    with fuzz_project.open_store() as store:
        from annotate.ingest import ingest_files

        path = Path(fuzz_project.root) / "gold-records.jsonl"
        path.write_text("".join(json.dumps(_good_record(i) | {"id": f"gold-{i}"}) + "\n" for i in range(400)))
        ingest_files(store, [path], source="gold-src")
    return itertools.cycle(range(400))


@FUZZ
@given(data=st.data(), n_goods=st.integers(min_value=1, max_value=4))
def test_fuzzed_gold_import_keeps_every_good_item_and_names_every_reject(fuzz_project, gold_records, tmp_path_factory, data, n_goods):
    item = lambda: {"source": "gold-src", "id": f"gold-{next(gold_records)}",  # noqa: E731
                    "answer": {"kind": "correction", "verdict": "corrected", "corrected_response": "Right.", "rationale": "r"}}  # fmt: skip
    goods, spares = [item() for _ in range(n_goods)], [item() for _ in range(2 * n_goods)]
    lines, owners = mixed_lines(data.draw, goods, spares, GOLD_FIELDS)
    folder = tmp_path_factory.mktemp("gold")
    path = folder / "gold.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = _run(fuzz_project, "gold import", "gold", "import", str(path))
    assert result.exit_code in (0, 2, 3), result.output
    summary = " ".join(result.output.split())
    read, changed, unchanged, rejected = (int(n) for n in re.search(
        r"(\d+) gold items read: (\d+) new or changed, (\d+) unchanged, (\d+) rejected", summary).groups())  # fmt: skip
    assert read == len(lines) and changed + unchanged + rejected == read
    hostile = {number for number, owner in owners.items() if owner < 0}
    named = {int(match) for match in re.findall(rf"{path.name}:(\d+):", summary)}
    assert named <= hostile and len(named) == min(rejected, 10), (named, hostile)
    with fuzz_project.open_store() as store:
        gold_ids = {row["external_id"] for row in store.db.query("SELECT r.external_id FROM gold_answers g JOIN records r ON r.id = g.record_id")}
    assert {good["id"] for good in goods} <= gold_ids
    tally("gold import", cases=1, lines=read, kept=changed + unchanged, rejected=rejected)


# Whole files: the project config, the export spec, training settings, evaluation sets.
def _mutated_toml(data, text: str) -> bytes:
    """A TOML text with one value replaced by an odd one, or its bytes damaged."""
    lines = text.splitlines()
    settable = [n for n, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
    how = data.draw(st.sampled_from(["none", "value", "value", "bytes", "cut", "table"]))
    if how == "none":
        return text.encode()
    if how == "value" and settable:
        number = data.draw(st.sampled_from(settable))
        key = lines[number].split("=", 1)[0]
        odd = data.draw(st.sampled_from(["nan", "inf", "-inf", "9" * 5000, "9223372036854775808", '"\\u0000"', '"\\ud800"', "true",
                                         '""', "[]", "{}", "-1", "0", "1e999", '"x"', "[[1]]", '"[/]"', "1.5", '"' + "y" * 3000 + '"']))  # fmt: skip
        lines[number] = f"{key}= {odd}"
        return "\n".join(lines).encode()
    encoded = text.encode()
    if how == "bytes":
        at = data.draw(st.integers(min_value=0, max_value=len(encoded)))
        return encoded[:at] + data.draw(st.binary(min_size=1, max_size=8)) + encoded[at:]
    if how == "cut":
        return encoded[: data.draw(st.integers(min_value=0, max_value=len(encoded)))]
    return encoded + b"\n[" + data.draw(st.sampled_from([b"app", b"nonsense", b"eval.gate", b"ingest"])) + b"]\nx = 1\n"


@FUZZ
@given(data=st.data())
def test_a_fuzzed_project_config_is_accepted_or_refused_in_one_line_by_every_command(tmp_path_factory, data):
    from annotate.config import default_config_text

    project = init_project(tmp_path_factory.mktemp("config") / "project", name="fuzz")
    (project.root / "flywheel.toml").write_bytes(_mutated_toml(data, default_config_text("fuzz")))
    result = _run(project, "project config", "queue")
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert "error:" in result.output and "flywheel.toml" in result.output
    tally("project config", cases=1, refused_file=int(result.exit_code == 1), accepted_file=int(result.exit_code == 0))


def _read_whole_file(name: str, read, refusal: type[Exception], path: Path, also_named: str | None = None) -> None:
    """A whole-file reader on a fuzzed file: it accepts the file or refuses it with its own error naming
    the file (or `also_named`); anything else is a crash (tallied, then raised)."""
    try:
        read()
        tally(name, cases=1, accepted_file=1)
    except refusal as error:
        assert str(path) in str(error) or (also_named is not None and also_named in str(error)), str(error)
        tally(name, cases=1, refused_file=1)
    except Exception:
        tally(name, crashed=1)
        raise


@FUZZ
@given(data=st.data())
def test_a_fuzzed_export_spec_is_accepted_or_refused_in_one_message(tmp_path_factory, data):
    from annotate.errors import FlywheelError
    from annotate.export.spec import ExportSpec, load_spec, spec_toml

    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_bytes(_mutated_toml(data, spec_toml(ExportSpec())))
    _read_whole_file("export spec", lambda: load_spec(path), FlywheelError, path)


@FUZZ
@given(data=st.data(), override=st.one_of(st.none(), st.sampled_from(["trainer.max_steps=nan", "trainer.max_steps=" + "9" * 5000,
       "adapter.r=\"\\u0000\"", "nonsense", "trainer.=1", "trainer.learning_rate=[", "adapter.method=full", "trainer.max_steps=3"])))  # fmt: skip
def test_fuzzed_training_settings_are_accepted_or_refused_in_one_message(tmp_path_factory, data, override):
    from trl import SFTConfig

    from annotate.errors import TrainingError
    from train.settings import load_settings

    path = tmp_path_factory.mktemp("settings") / "sft.toml"
    path.write_bytes(_mutated_toml(data, (Path(__file__).parent.parent / "train/configs/sft-lora.toml").read_text()))
    _read_whole_file("train settings", lambda: load_settings(path, [override] if override else [], SFTConfig), TrainingError, path,
                     also_named="override")  # fmt: skip


EVAL_FILES = {
    "general": ({"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "answer": "4", "id": "g"},
                ["messages.0.content", "messages.1.role", "messages", "answer", "id", "choices"]),
    "safety": ({"messages": [{"role": "user", "content": "hack it"}, {"role": "assistant", "content": "No."}], "label": "harmful", "id": "s"},
               ["messages.0.content", "messages", "label", "id"]),
}  # fmt: skip


@FUZZ
@given(data=st.data(), which=st.sampled_from(sorted(EVAL_FILES)), n_goods=st.integers(min_value=1, max_value=4))
def test_fuzzed_evaluation_sets_are_read_whole_or_refused_naming_every_bad_line(tmp_path_factory, data, which, n_goods):
    from annotate.errors import EvaluationError
    from train.eval_data import read_general, read_safety

    good, fields = EVAL_FILES[which]
    lines, owners = mixed_lines(data.draw, [good] * n_goods, [good] * (2 * n_goods), fields)
    path = tmp_path_factory.mktemp("eval") / f"{which}.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    reader = read_general if which == "general" else read_safety
    try:
        items = reader(path)
        assert len(items) == len(lines)  # every line, hostile ones included, was an acceptable item
        tally(f"eval {which} set", cases=1, lines=len(lines), kept=len(items), accepted_file=1)
    except EvaluationError as error:
        named = {int(n) for n in re.findall(rf"{path}:(\d+):", str(error))}
        hostile = {number for number, owner in owners.items() if owner < 0}
        assert named and named <= hostile, (str(error), hostile)
        tally(f"eval {which} set", cases=1, lines=len(lines), rejected=len(named), refused_file=1)
    except Exception:
        tally(f"eval {which} set", crashed=1)
        raise


def test_odd_values_strategy_reaches_every_kind_of_odd_value():
    """The strategy itself: a fuzz test that never draws a surrogate or a huge integer proves little."""
    seen = set()

    @settings(FUZZ, max_examples=300)
    @given(value=odd_values)
    def collect(value):
        text = json.dumps(value)
        seen.update(kind for kind, hit in (("surrogate", "\\udfff" in text or "\\ud800" in text), ("nul", "\\u0000" in text),
                                          ("nan", "NaN" in text), ("inf", "Infinity" in text), ("huge", len(text) > 300),
                                          ("deep", text.startswith("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["))) if hit)  # fmt: skip

    collect()
    assert seen >= {"surrogate", "nul", "nan", "inf", "huge", "deep"}, seen
    assert hostile_line  # used by the tests above


@FUZZ
@given(data=st.data(), as_json=st.booleans())
def test_a_fuzzed_prompt_baseline_is_accepted_or_refused_in_one_message(tmp_path_factory, data, as_json):
    from annotate.errors import EvaluationError
    from train.eval_data import read_prompt_baseline

    folder = tmp_path_factory.mktemp("baseline")
    sample = Path(__file__).parent.parent / "data/sample/prompt_baseline.toml"
    if as_json:
        import tomllib

        good = tomllib.loads(sample.read_text())
        fields = ["system", "examples", "examples.0.user", "examples.0.assistant", "extra"]
        path = folder / "baseline.json"
        path.write_bytes(data.draw(hostile_line(good, fields)) if data.draw(st.booleans()) else json.dumps(good).encode())
    else:
        path = folder / "baseline.toml"
        path.write_bytes(_mutated_toml(data, sample.read_text()))
    _read_whole_file("eval prompt baseline", lambda: read_prompt_baseline(path), EvaluationError, path)
