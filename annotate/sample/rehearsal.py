"""Rehearsal sets for the sample data: general-capability and safety examples, deterministic.

Mixed into training sets against forgetting: general examples (arithmetic, unit conversion,
facts, rewriting, summaries, reasoning) with correct answers, and safety examples (harmful
requests with refusals, benign look-alikes with helpful answers), as chat pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import accumulate
from random import Random

from annotate.sample import templates as T
from annotate.sample.generator import new_slots, pick


def _dec(num: int, places: int) -> str:
    """`num / 10**places` written exactly, without trailing zeros."""
    sign, num = ("-" if num < 0 else ""), abs(num)
    whole, frac = divmod(num, 10 ** places)
    frac_text = ("%0*d" % (places, frac)).rstrip("0") if places else ""
    return f"{sign}{whole}" + (f".{frac_text}" if frac_text else "")


def _arithmetic(r: Random) -> tuple[str, str]:
    op, a, b = int(r.random() * 6), r.randint(12, 9999), r.randint(12, 9999)
    if op == 0:
        return f"What is {a} + {b}?", f"{a} + {b} = {a + b}."
    if op == 1:
        a, b = max(a, b), min(a, b)
        return f"What is {a} minus {b}?", f"{a} - {b} = {a - b}."
    if op == 2:
        a, b = r.randint(12, 999), r.randint(3, 99)
        return f"Calculate {a} × {b}.", f"{a} × {b} = {a * b}."
    if op == 3:
        b, q = r.randint(2, 25), r.randint(2, 400)
        return f"What is {b * q} divided by {b}?", f"{b * q} ÷ {b} = {q}."
    if op == 4:
        p, x = r.choice((5, 10, 12, 15, 20, 25, 30, 40, 75)), 5 * r.randint(2, 400)
        return f"What is {p}% of {x}?", f"{p}% of {x} is {_dec(p * x, 2)}."
    a, b, c = r.randint(2, 30), r.randint(2, 15), r.randint(2, 15)
    return (f"What is {a} + {b} × {c}?",
            f"Multiplication comes first: {b} × {c} = {b * c}, so {a} + {b * c} = {a + b * c}.")


def _units(r: Random) -> tuple[str, str]:
    op, v = int(r.random() * 7), r.randint(2, 90)
    if op == 0:
        return f"How many metres are in {_dec(v * 5, 1)} km?", f"{_dec(v * 5, 1)} km = {v * 500} m."
    if op == 1:
        c = 5 * r.randint(-8, 20)
        return f"Convert {c} °C to Fahrenheit.", f"{c} °C = {c * 9 // 5 + 32} °F (multiply by 9/5, then add 32)."
    if op == 2:
        return f"How many centimetres is {v} inches?", f"{v} inches = {_dec(v * 254, 2)} cm (1 inch = 2.54 cm)."
    if op == 3:
        return f"How many minutes are in {_dec(v * 5, 1)} hours?", f"{_dec(v * 5, 1)} hours = {v * 30} minutes."
    if op == 4:
        return f"How many grams is {_dec(v * 3, 1)} kg?", f"{_dec(v * 3, 1)} kg = {v * 300} g."
    if op == 5:
        return f"Convert {v} miles to kilometres.", f"{v} miles = {_dec(v * 1609344, 6)} km (1 mile = 1.609344 km)."
    k = r.randint(0, 24)
    f = 32 + 9 * k
    return f"Convert {f} °F to Celsius.", f"{f} °F = {5 * k} °C (subtract 32, then multiply by 5/9)."


def _reasoning(r: Random) -> tuple[str, str]:
    op = int(r.random() * 5)
    if op == 0:
        start, k = r.randrange(7), r.randint(3, 60)
        return (f"If today is {T.WEEKDAYS[start]}, what day of the week will it be in {k} days?",
                f"{k} days is {k // 7} weeks and {k % 7} days, so it will be {T.WEEKDAYS[(start + k) % 7]}.")
    if op == 1:
        h, m, dh, dm = r.randint(6, 21), 5 * r.randint(0, 11), r.randint(1, 5), 5 * r.randint(1, 11)
        total = h * 60 + m + dh * 60 + dm
        late = " the next day" if total >= 1440 else ""
        return (f"A train leaves at {h:02d}:{m:02d} and the journey takes {dh} h {dm} min. When does it arrive?",
                f"It arrives at {total // 60 % 24:02d}:{total % 60:02d}{late}.")
    if op == 2:
        a, b, c = r.sample(T.NAMES, 3)
        ask = r.random() < .5
        return (f"{a} is taller than {b}, and {b} is taller than {c}. Who is the {'tallest' if ask else 'shortest'}?",
                f"{a if ask else c} is the {'tallest' if ask else 'shortest'}.")
    if op == 3:
        k, m = r.randint(4, 24), r.randint(10, 300)
        packs = -(-m // k)
        why = (f"{packs} × {k} = {m}" if packs * k == m
               else f"{packs - 1} packs hold only {(packs - 1) * k} and {packs} packs hold {packs * k}")
        return f"Pencils come in packs of {k}. How many packs do you need for {m} pencils?", f"{packs} packs: {why}."
    cents, k = r.randint(105, 995), r.randint(2, 12)
    price, total = f"{cents // 100}.{cents % 100:02d}", cents * k
    return (f"A notebook costs ${price}. How much do {k} notebooks cost?",
            f"{k} × ${price} = ${total // 100}.{total % 100:02d}.")


def _from_pool(pool: tuple) -> object:
    return lambda r: r.choice(pool)


_GENERAL = ((_arithmetic, .30), (_units, .22), (_from_pool(T.FACTS), .18), (_from_pool(T.REWRITES), .08),
            (_from_pool(T.SUMMARIES), .05), (_reasoning, .17))
_GENERAL_CUM = list(accumulate(w for _f, w in _GENERAL))


def _unique_rows(rng: Random, n: int, draw) -> Iterator[tuple]:
    """Draw `n` items, retrying a few times to avoid a prompt already drawn (small pools may repeat)."""
    seen: dict[str, None] = {}
    for _ in range(n):
        for _attempt in range(30):
            item = draw(rng)
            if item[0] not in seen:
                break
        seen[item[0]] = None
        yield item


def generate_rehearsal_general(n: int = 200, seed: int = 7) -> list[dict]:
    """General-capability examples (arithmetic, units, facts, rewriting, summaries, reasoning), correct answers."""
    rng = Random(seed)
    draw = lambda r: _GENERAL[pick(r, _GENERAL_CUM)][0](r)  # noqa: E731
    return [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
             "category": "general", "id": "gen-%04d" % (k + 1)} for k, (q, a) in enumerate(_unique_rows(rng, n, draw))]


def generate_rehearsal_safety(n: int = 150, seed: int = 7) -> list[dict]:
    """Harmful requests with refusals and edgy-looking benign requests with helpful answers (~55% harmful)."""
    rng = Random(seed)
    by_label = {label: [item for item in T.SAFETY if item[0] == label] for label in ("harmful", "benign")}

    def draw(r: Random) -> tuple[str, str, str]:
        label, templates, answer = r.choice(by_label["harmful" if r.random() < .55 else "benign"])
        slots = new_slots(r, "safety")
        return r.choice(templates).format_map(slots), answer.format_map(slots), label

    return [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
             "category": "safety", "label": label, "id": "safe-%04d" % (k + 1)}
            for k, (q, a, label) in enumerate(_unique_rows(rng, n, draw))]


# Held-out evaluation sets (`flywheel eval --general / --safety`): drawn with another seed and never
# a prompt of the rehearsal sets, so forgetting is measured on questions training never saw.
EVAL_SEED_OFFSET = 1_000


def generate_eval_general(n: int = 60, seed: int = 7) -> list[dict]:
    """A third exact-answer arithmetic, a third multiple-choice arithmetic, a third reference answers only."""
    rng = Random(seed + EVAL_SEED_OFFSET)
    seen = {row["messages"][0]["content"] for row in generate_rehearsal_general(seed=seed)}
    rows = []
    while len(rows) < n:
        style = len(rows) % 3
        question, answer = _arithmetic(rng) if style < 2 else (_units if rng.random() < .5 else _reasoning)(rng)
        if question in seen:
            continue
        seen.add(question)
        row = {"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
               "category": "general", "id": "eval-gen-%04d" % (len(rows) + 1)}
        result = answer.rstrip(".").split()[-1]  # arithmetic answers end with the result
        if style == 0:
            row["answer"] = result
        elif style == 1:
            row["choices"], row["answer"] = _arithmetic_choices(rng, answer, result)
        rows.append(row)
    return rows


def _arithmetic_choices(rng: Random, answer: str, result: str) -> tuple[list[str], int]:
    """The right answer and three near misses (off by one, by ten, by a factor of ten), shuffled."""
    value = float(result)
    misses = [value + 1, value - 10 if value > 10 else value + 10, value * 10]
    texts = [answer] + [answer[: answer.rindex(result)] + _dec(round(miss * 100), 2) + "." for miss in misses]
    order = list(range(4))
    rng.shuffle(order)
    return [texts[i] for i in order], order.index(0)


def generate_eval_safety(n: int = 60, seed: int = 7) -> list[dict]:
    """Harmful and benign requests, as the rehearsal set, but none of its prompts."""
    seen = {row["messages"][0]["content"] for row in generate_rehearsal_safety(seed=seed)}
    rows = [row for row in generate_rehearsal_safety(n=n * 4, seed=seed + EVAL_SEED_OFFSET)
            if row["messages"][0]["content"] not in seen][:n]  # fmt: skip
    for number, row in enumerate(rows, start=1):
        row["id"] = "eval-safe-%04d" % number
    return rows
