"""Hostile inputs for the fuzz tests (tests/test_fuzz_inputs.py), and the tally they print.

Every strategy builds a file out of *good* lines (each carries a marker the test can find again in
the store) and *hostile* lines: a good line with one value replaced by something an attacker or a
careless export would write (lone surrogates, NUL, a byte-order mark, CRLF, bidi controls,
NaN/Infinity, 1e999, integers of thousands of digits, booleans where numbers go, deep nesting,
over-long text, wrong types), or raw damage (invalid UTF-8, a cut line, random bytes). Each
input path's test then checks the promise of issue 19: an exit code from the documented set, no
traceback, every good line kept once, every reject naming its line.

Runs are reproducible (`derandomize=True`) and bounded (`FUZZ_EXAMPLES`, default 30 per path),
so CI stays fast; set FUZZ_EXAMPLES higher for a longer hunt.
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

MAX_FIELD_CHARS = 300  # the fuzzed projects' ingest.max_field_chars: long enough for real text, cheap to exceed
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# Values that have broken, or could break, a reader: each is JSON-dumpable (with allow_nan) and odd.
ODD_TEXTS = ["\udfff", "a\ud800b", "\x00", "a\x00b", "\ufeffbom", "line\r\nbreak", "\u202eevil", "\u0000\u0000",
             "x" * (MAX_FIELD_CHARS + 1), "", " ", "[/]", "[bold red]x", "%s%n", "\t", "🙂" * 5, "\\", '"', "null", "NaN", "1e999"]  # fmt: skip
ODD_NUMBERS = [float("nan"), float("inf"), float("-inf"), 10**400, -(10**30), 2**63, -(2**63) - 1, 2**63 - 1,
               1e308, -0.0, 0, -1, 1.5, True, False]  # fmt: skip


def _deep(depth: int) -> object:
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


odd_scalars = st.one_of(st.sampled_from(ODD_TEXTS), st.sampled_from(ODD_NUMBERS), st.none(),
                        st.text(max_size=40), st.integers(), st.floats(allow_nan=True, allow_infinity=True))  # fmt: skip
odd_values = st.one_of(
    odd_scalars,
    st.lists(odd_scalars, max_size=3),
    st.dictionaries(st.sampled_from(["a", "\x00", "\udfff", "[/]", "k"]), odd_scalars, max_size=2),
    st.integers(min_value=30, max_value=40).map(_deep),
)


@dataclass(frozen=True)
class Damage:
    """Raw damage to a line's bytes (applied after it is dumped)."""

    kind: str  # cut, invalid_utf8, random, huge_int, deep_text, bom, cesu

    def apply(self, line: bytes, data: bytes) -> bytes:
        if self.kind == "cut":
            return line[: max(1, len(line) // 2)]
        if self.kind == "invalid_utf8":
            middle = len(line) // 2
            return line[:middle] + b"\xff\xfe" + line[middle:]
        if self.kind == "random":
            return data or b"\x80"
        if self.kind == "huge_int":
            return line.replace(b"{", b'{"n": ' + b"7" * 5_000 + b", ", 1)
        if self.kind == "deep_text":
            return line.replace(b"{", b'{"deep": ' + b"[" * 50_000 + b"]" * 50_000 + b", ", 1)
        if self.kind == "bom":
            return b"\xef\xbb\xbf" + line
        if self.kind == "cesu":  # a surrogate written raw, as a careless encoder does
            return line.replace(b"{", b'{"s": "' + "\udfff".encode("utf-8", "surrogatepass") + b'", ', 1)
        raise ValueError(self.kind)


damages = st.builds(Damage, st.sampled_from(["cut", "invalid_utf8", "random", "huge_int", "deep_text", "bom", "cesu"]))


@st.composite
def hostile_line(draw, good: dict, fields: list[str]) -> bytes:
    """`good` with one field given an odd value, or its bytes damaged."""
    if draw(st.booleans()):
        line = copy.deepcopy(good)
        path = draw(st.sampled_from(fields))
        _set(line, path, draw(odd_values))
        return json.dumps(line, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    damage = draw(damages)
    return damage.apply(json.dumps(good).encode(), draw(st.binary(min_size=1, max_size=40)))


def _set(data: dict, path: str, value: object) -> None:
    """Set a dotted path ("answer.verdict", "messages.0.content") in nested dicts and lists."""
    *parents, last = path.split(".")
    node: object = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})  # type: ignore[index]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value  # type: ignore[index]


def mixed_lines(draw, goods: list[dict], spares: list[dict], fields: list[str]) -> tuple[list[bytes], dict[int, int]]:
    """The good lines with hostile ones between them, each made from its own spare (a valid line
    for another target, so whether it was kept can be told apart). Returns the lines and, for each
    line number, the index of its good line (>= 0) or of its spare (-1 - index)."""
    lines: list[bytes] = []
    owners: dict[int, int] = {}
    spare = iter(range(len(spares)))
    for index, good in enumerate(goods):
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            taken = next(spare, None)
            if taken is None:
                break
            line = draw(hostile_line(spares[taken], fields)).replace(b"\n", b" ")
            lines.append(line if line.strip() else b"{")
            owners[len(lines)] = -1 - taken
        lines.append(json.dumps(good).encode())
        owners[len(lines)] = index
    return lines, owners


# The tally printed at the end of the run (tests/conftest.py), for the closing note and CI's log.
TALLY: dict[str, Counter] = {}


def tally(path: str, **counts: int) -> None:
    TALLY.setdefault(path, Counter()).update(counts)


def report_lines() -> list[str]:
    if not TALLY:
        return []
    columns = ("cases", "lines", "kept", "rejected", "refused_file", "accepted_file", "crashed")
    rows = [f"{'input path':<28}" + "".join(f"{name:>14}" for name in columns)]
    for path, counts in sorted(TALLY.items()):
        rows.append(f"{path:<28}" + "".join(f"{counts.get(name, 0):>14,}" for name in columns))
    return rows
