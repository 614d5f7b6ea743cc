"""The raw-line prefilter that lets clean lines skip the deep checks (`looks_unclean`) never misses
a line the rules could refuse: checked against the regular expression it replaced, on random
JSON-ish texts built from the characters that matter, and on the lines the rules refuse."""

from __future__ import annotations

import json
import random
import re

import pytest

from annotate.text.clean import first_problem, load_json, looks_unclean

# The expression the prefilter replaced (ASCII digits: JSON numbers have no others).
REPLACED = re.compile(r"NaN|Infinity|[0-9]{19}|[0-9][eE][+-]?[0-9]{3}|\\u[dD][89a-fA-F]|\\u0000|\x00")
PIECES = ["0", "1", "9", "e", "E", "+", "-", ".", " ", '"', "\\u", "d8", "D9", "dA", "00", "NaN", "Nan", "Infinity",
          "Inf", "\x00", "é", "٣", "𝟘", "{", "[", ":", ",", "x", "u", "\\"]  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_the_prefilter_flags_exactly_what_the_regular_expression_flagged(seed):
    rng = random.Random(seed)
    for _ in range(4000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60)))
        text += "1" * rng.choice([0, 0, 18, 19]) + rng.choice(["", "1e400", "2E-309", "3e+99", "4e12"])
        assert looks_unclean(text) == bool(REPLACED.search(text)), repr(text)


@pytest.mark.parametrize(
    "line",
    [
        '{"x": NaN}', '{"x": -Infinity}', '{"x": 1e400}', '{"x": -2.5E+308}', '{"x": 9e999}',
        '{"x": 12345678901234567890}', '{"x": "a\\u0000b"}', '{"x": "\\ud800"}', '{"x": "\\uDFFF tail"}',
        '{"x": "nul \x00 raw"}', '{"x": [1, 2, 99999999999999999999]}',
    ],
)  # fmt: skip
def test_every_line_the_rules_refuse_is_flagged_for_the_deep_checks(line):
    parsed = load_json(line)
    refused = not isinstance(parsed, dict) or first_problem(parsed) is not None
    assert refused and looks_unclean(line)


def test_a_clean_record_line_skips_the_deep_checks():
    line = json.dumps({"id": "conv-1", "messages": [{"role": "user", "content": "Invoice 2026-10-23, £1,250.00 — ok?"}],
                       "response": "Yes: 12 items, 3.5e2 total.", "logprobs": {"mean": -0.287}}, ensure_ascii=False)  # fmt: skip
    assert not looks_unclean(line)
