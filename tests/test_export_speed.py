"""The export's shortcuts for speed check exactly what the slow paths checked."""

from __future__ import annotations

import random

from annotate.text.pii import _COULD_BE_PERSONAL, could_be_personal

_ALPHABET = "abcXYZ @:.-+()/ \t\n0123456789\u0663\u0967\uff11fF"  # with digits of other scripts and hex letters


def test_the_quick_scan_rules_out_no_text_the_personal_data_prefilter_passes():
    rng = random.Random(23)
    texts = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    texts += ["write to anna@example.com", "call 415-555-0134", "fe80::1", "2001:db8::1", "a:b:c", "\u0663\u0663\u0663\u0663\u0663\u0663",
              "Invoice 12/03/2026", "no personal data here", ""]  # fmt: skip
    disagreeing = [text for text in texts if could_be_personal(text) != bool(_COULD_BE_PERSONAL.search(text))]
    assert disagreeing == []
    assert sum(could_be_personal(text) for text in texts) > 1000  # the sample holds both kinds


def test_the_exact_duplicate_key_strips_the_ends_as_the_pattern_did():
    from annotate.export.gates import _ENDS, _normalise
    from annotate.export.near_duplicates import collapse

    rng = random.Random(5)
    alphabet = "aZ9_ .,!?-'\"()\u00e9\u0663\u00bd\u2019\u3002\u4e2d\U0001f600\t\n"  # word and non-word characters of several scripts
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    texts += ["  Hello, world!  ", "___", "", "¿Qué?", "½ off", "ok\n"]
    differing = [text for text in texts if _normalise(text) != _ENDS.sub("", collapse(text))]
    assert differing == []
    assert len({_normalise(text) for text in texts}) > 1000


def test_the_manifest_text_is_the_standard_librarys_indented_json():
    import json

    import numpy as np

    from annotate.export import indented_json

    rng = random.Random(11)
    scalars = [None, True, False, 0, -7, 2**70, 0.1, 1e-05, 1e16, -0.0, 123456789.0, float("nan"), float("inf"),
               float("-inf"), np.float64(0.25), "", "é中😀\"\\\n\t\x00\u2028", "plain"]  # fmt: skip

    def value(depth: int):
        if depth > 3 or rng.random() < 0.4:
            return rng.choice(scalars)
        if rng.random() < 0.5:
            return {rng.choice(["a", "é", "", "key \"q\""]) + str(i): value(depth + 1) for i in range(rng.randint(0, 4))}
        return (list if rng.random() < 0.8 else tuple)(value(depth + 1) for _ in range(rng.randint(0, 4)))

    values = [value(0) for _ in range(2000)] + [{1: "an int key"}, {"set": {1, 2}}, []]
    for item in values:
        try:
            expected = json.dumps(item, indent=2, ensure_ascii=False)
        except TypeError:
            expected = TypeError
        try:
            got = indented_json.dumps(item)
        except TypeError:
            got = TypeError
        assert got == expected, item
