"""What a clean text and a clean number are: the one rule every reader of outside input applies
(ingest of each format, annotation and gold imports, the project config, export specs, training
and evaluation settings).

- **Text** decodes as strict UTF-8 and holds no lone surrogate (JSON's `\\udXXX` escapes can carry
  one in, and nothing can write it out again) and no NUL. A file's UTF-8 byte-order mark is dropped
  and its CRLF line ends read as LF.
- **A number** is finite (Python's JSON and TOML readers accept NaN and Infinity, and `1e400`
  overflows to infinity) and a whole number fits 64 bits (what SQLite, Parquet and pandas store;
  a longer one is refused rather than crashing a later step: quote it as text).
- **Nesting** is at most `max_depth` levels, and a text at most `max_chars` characters.

`load_json` parses one JSON text under these rules, `first_problem` names the first field of a
parsed value that breaks them, `decode_line` decodes one line of a file, and `read_text` and
`load_toml` read a whole file. Problems come back as a `LineProblem` (field, reason), or for a
whole file as an `UncleanFile` error, for the caller to word as its own error.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INT64_MAX = 2**63 - 1
DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_CHARS = 1_000_000
BOM = "\ufeff"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# Number marks in a JSON text's bytes: each digit as "0", an exponent mark as "e", a sign as "+",
# anything else a space, so that long digit runs and 3-digit exponents are plain substrings.
_NUMBER_MARKS = bytes(
    ord("0") if chr(byte).isdigit() and byte < 128 else ord("e") if chr(byte) in "eE" else ord("+") if chr(byte) in "+-" else ord(" ")
    for byte in range(256)
)  # fmt: skip


def looks_unclean(text: str) -> bool:
    """Whether a JSON text may hold a value that breaks the number or text rules: NaN, Infinity,
    a run of 19 digits, a 3-digit exponent (`1e400`), an escaped lone surrogate or NUL, or a NUL.
    A clean line skips the deep checks; a false alarm only costs the slower, exact path.
    (Substring tests over the text and over its number marks: about 20 times faster than one
    regular expression with these alternatives, which was a third of ingest's time.)"""
    if "NaN" in text or "Infinity" in text or "\x00" in text or "\\u0000" in text:
        return True
    if ("\\ud" in text or "\\uD" in text) and _ESCAPED_SURROGATE.search(text):
        return True
    marks = text.encode("utf-8", "surrogatepass").translate(_NUMBER_MARKS)  # JSON numbers are ASCII digits
    return b"0000000000000000000" in marks or b"0e000" in marks or b"0e+000" in marks


@dataclass(frozen=True, slots=True)
class LineProblem:
    """What is wrong with one line (or row, or value), and in which field when one is to blame."""

    field: str | None
    reason: str


class UncleanFile(ValueError):
    """A whole file that cannot be read as clean text (its message names the line or field)."""

    @classmethod
    def naming(cls, source: str, problem: LineProblem) -> UncleanFile:
        """The error for a value of file `source` that breaks the rules."""
        return cls(f"{source}: {problem.field + ': ' if problem.field else ''}{problem.reason}")


@dataclass(frozen=True, slots=True)
class _Refused:
    """A number the JSON parser met that the rules refuse, kept in place so the walk can name its field."""

    reason: str


def _parse_int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > 19 or not -INT64_MAX - 1 <= (value := int(text)) <= INT64_MAX:
        return _Refused(f"a whole number outside the 64-bit range ({text[:24]}{'...' if len(text) > 24 else ''}); "
                        "quote it as text")  # fmt: skip
    return value


def _parse_float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(f"{text[:24]} overflows to infinity; not a finite number")


def _parse_constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a finite number")


def load_json(text: str, *, max_depth: int = DEFAULT_MAX_DEPTH, max_chars: int = DEFAULT_MAX_CHARS) -> Any:
    """One JSON text as a value, or the `LineProblem` that makes it unclean."""
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        return LineProblem(None, f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return LineProblem(None, f"nested too deeply to parse (deeper than {max_depth} levels)")
    except ValueError as exc:  # what the hooks cannot catch first
        return LineProblem(None, f"not valid JSON: {exc}")
    return first_problem(value, max_depth=max_depth, max_chars=max_chars) or value


def text_problem(value: str) -> str | None:
    """Why a text is unclean (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if has_lone_surrogate(value):
        return "contains a lone surrogate (\\ud800-\\udfff), which is not text"
    return None


def has_lone_surrogate(value: str) -> bool:
    """Whether the text holds a lone surrogate (JSON's escapes, or bytes a reader kept with surrogateescape)."""
    return not value.isascii() and _SURROGATE.search(value) is not None


def identifier_problem(value: Any) -> str | None:
    """Why a value cannot name a record, a source or an answer (a text or a whole number), or None."""
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return None
    return f"a text (or a whole number), not {type(value).__name__}"


def number_problem(value: float | int) -> str | None:
    """Why a number is unclean (not finite, or a whole number past 64 bits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if -INT64_MAX - 1 <= value <= INT64_MAX else "a whole number outside the 64-bit range; quote it as text"
    return None if math.isfinite(value) else f"{value} is not a finite number"


def first_problem(value: Any, *, max_depth: int = DEFAULT_MAX_DEPTH, max_chars: int = DEFAULT_MAX_CHARS,
                  path: str = "") -> LineProblem | None:  # fmt: skip
    """The first field of a parsed value (JSON, TOML, a table row) that breaks the rules, or None."""
    return _walk(value, path, 1, max_depth, max_chars)


def _walk(value: Any, path: str, depth: int, max_depth: int, max_chars: int) -> LineProblem | None:
    if depth > max_depth:
        field = re.sub(r"(\[\d+\])+$", "", path)  # name the field, not the chain of list indexes inside it
        return LineProblem(field or None, f"nested deeper than {max_depth} levels")
    if isinstance(value, str):
        reason = text_problem(value)
        if reason is None and len(value) > max_chars:
            reason = f"{len(value):,} characters, over the limit of {max_chars:,}"
        return LineProblem(path or None, reason) if reason else None
    if isinstance(value, _Refused):
        return LineProblem(path or None, value.reason)
    if isinstance(value, (int, float)):
        reason = number_problem(value)
        return LineProblem(path or None, reason) if reason else None
    if isinstance(value, dict):
        for key, child in value.items():
            key_text = str(key)
            child_path = f"{path}.{key_text}" if path else key_text
            reason = text_problem(key_text)
            if reason:
                return LineProblem(printable(child_path), f"the key {reason}")
            problem = _walk(child, child_path, depth + 1, max_depth, max_chars)
            if problem is not None:
                return problem
    elif isinstance(value, (list, tuple)):
        for index, child in enumerate(value):
            problem = _walk(child, f"{path}[{index}]", depth + 1, max_depth, max_chars)
            if problem is not None:
                return problem
    return None


def printable(text: str) -> str:
    """A text safe to write out and store as UTF-8 (a field path, the excerpt of a bad line):
    lone surrogates and NULs escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def decode_line(raw: bytes, *, first: bool = False) -> str | LineProblem:
    """One line of a file as text: strict UTF-8, the byte-order mark dropped from the first line,
    the line end (LF or CRLF) removed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineProblem(None, f"invalid UTF-8 at byte {exc.start + 1} of the line")
    if first and text.startswith(BOM):
        text = text[1:]
    return text.rstrip("\r\n")


def read_text(path: str | Path) -> str:
    """A whole text file, clean: strict UTF-8 (a bad byte raises `UncleanFile` naming its line),
    no byte-order mark, LF line ends, no NUL. OSError passes through."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UncleanFile(f"{path}:{line}: not UTF-8 text (invalid byte {data[exc.start]:#04x})") from exc
    if "\x00" in text:
        raise UncleanFile(f"{path}:{text.count(chr(10), 0, text.index(chr(0))) + 1}: contains a NUL character")
    return text.removeprefix(BOM).replace("\r\n", "\n")


JSON_WHITESPACE = " \t\r\n"


def is_blank(line: str) -> bool:
    """A line holding only JSON's whitespace (space, tab, CR, LF). `str.strip` would also drop
    control and separator characters (U+001C, U+0085, U+3000, ...), which make a line garbage, not blank."""
    return not line.strip(JSON_WHITESPACE)


def text_lines(text: str) -> list[str]:
    """The lines of a text read by `read_text`, split at LF only: `str.splitlines` also splits at
    U+2028, U+0085 and other characters that a JSON or TOML string may hold as they are."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def load_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as a dict under the rules (no NaN or infinity, whole numbers within 64 bits);
    raises `UncleanFile` naming `source` and the key."""
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer too long for Python to convert
        raise UncleanFile(f"{source}: not valid TOML: {exc}") from exc
    return checked(data, source)


def checked(value: Any, source: str) -> Any:
    """A parsed file's value (TOML, YAML, JSON) as it is, or `UncleanFile` naming `source` and the field."""
    problem = value if isinstance(value, LineProblem) else first_problem(value)
    if problem is not None:
        raise UncleanFile.naming(source, problem)
    return value
