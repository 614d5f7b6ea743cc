"""Format checks on a response: the project's validators (JSON, JSON Schema, regex, length,
unexpected refusal), each applying only under a system prompt that contains its text.

The refusal validator also reads the user's request when the caller gives it (the last user turn):
a refusal of a harmful or out-of-scope request is correct behaviour, not a format problem; the
judgement is made against the validator's reference of labelled prompts
(`RefusalValidator.reference`, `annotate.text.refusal_reference`).

One check serves the `format` flagger, the export's format gate and evaluation's validator pass rate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from annotate.config import (
    FormatValidator,
    JsonSchemaValidator,
    JsonValidator,
    LengthValidator,
    RefusalValidator,
    RegexValidator,
)
from annotate.errors import FlaggingError
from annotate.text.refusal import is_refusal, unexpected_refusal
from annotate.text.refusal_reference import RefusalJudge, judge_for


class FormatCheck:
    """The project's validators, ready to check responses (the flagger's and evaluation's one check)."""

    def __init__(self, validators: list[FormatValidator], project_root: Path):
        self.judges = {id(validator): judge_for(validator.reference, project_root, validator.name) for validator in validators
                       if isinstance(validator, RefusalValidator) and validator.allow_when_request_harmful}  # fmt: skip
        self.checks = [(validator, _checker(validator, project_root, self.judges.get(id(validator))))
                       for validator in validators]  # fmt: skip

    def applicable(self, system_prompt: str) -> list[FormatValidator]:
        """The validators that apply under this system prompt."""
        return [validator for validator, _ in self.checks if _applies(validator, system_prompt)]

    def prepare(self, items: Iterable[tuple[str, str, str | None]]) -> None:
        """Judge at once the requests of every refusal among (response, system prompt, request), so
        `problems` on them is fast: the refusal validator embeds a batch far faster than one by one."""
        items = list(items)
        for validator, _ in self.checks:
            if judge := self.judges.get(id(validator)):
                judge.judge_many([request for response, system, request in items
                                  if request is not None and _applies(validator, system) and is_refusal(response)])

    def problems(self, response: str, system_prompt: str, request: str | None = None,
                 only: list[str] | None = None) -> list[tuple[FormatValidator, str]]:  # fmt: skip
        """(validator, what is wrong) for every applicable validator (of those named in `only`, when
        given) the response violates. `request` is the user's request (the last user turn) the
        response answers; without it (None) the refusal validator flags every refusal."""
        found = []
        for validator, check in self.checks:
            if only is not None and validator.name not in only:
                continue
            if _applies(validator, system_prompt) and (problem := check(response, request)):
                found.append((validator, problem))
        return found


def _applies(validator: FormatValidator, system_prompt: str) -> bool:
    return not validator.when_system_contains or validator.when_system_contains in system_prompt


def _checker(validator: FormatValidator, project_root: Path,
             judge: RefusalJudge | None) -> Callable[[str, str | None], str | None]:
    """(response, request) -> what is wrong, or None; only the refusal validator reads the request
    (and with `allow_when_request_harmful = false` has no judge: every refusal is unexpected)."""
    if isinstance(validator, RefusalValidator):
        return lambda text, request: unexpected_refusal(text, request if judge else None, judge)
    check = _response_checker(validator, project_root)
    return lambda text, request: check(text)


def _response_checker(validator: FormatValidator, project_root: Path) -> Callable[[str], str | None]:
    if isinstance(validator, JsonValidator):
        return _json_problem
    if isinstance(validator, JsonSchemaValidator):
        return _schema_checker(project_root / validator.schema_path)
    if isinstance(validator, RegexValidator):
        pattern = re.compile(validator.pattern)
        if validator.must_match:
            return lambda text: None if pattern.search(text) else f"does not match /{validator.pattern}/"
        return lambda text: f"matches /{validator.pattern}/ ({_found(pattern, text)!r})" if pattern.search(text) else None
    if isinstance(validator, LengthValidator):
        return lambda text: _length_problem(text, validator.min_chars, validator.max_chars)
    raise FlaggingError(f"no checker for validator kind {validator.kind!r}")


def _json_problem(text: str) -> str | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    return None


def _schema_checker(path: Path) -> Callable[[str], str | None]:
    validator = _schema_validator(str(path))

    def check(text: str) -> str | None:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return f"not valid JSON ({exc.msg})"
        error = next(iter(validator.iter_errors(value)), None)
        if error is None:
            return None
        where = "/".join(str(part) for part in error.absolute_path) or "top level"
        return f"does not match {path.name} at {where}: {error.message}"

    return check


@lru_cache(maxsize=16)
def _schema_validator(path: str):
    import jsonschema

    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FlaggingError(f"{path}: cannot read the validator's JSON Schema: {exc}") from exc
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise FlaggingError(f"{path}: not a valid JSON Schema: {exc.message}") from exc
    return validator_class(schema)


def _length_problem(text: str, low: int, high: int | None) -> str | None:
    if len(text) < low:
        return f"{len(text)} characters, fewer than {low}"
    if high is not None and len(text) > high:
        return f"{len(text)} characters, more than {high}"
    return None


def _found(pattern: re.Pattern, text: str) -> str:
    match = pattern.search(text)
    return match.group(0)[:60] if match else ""
