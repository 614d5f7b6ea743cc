"""Seeded, deterministic generator of realistic Ledgerly support-assistant production logs.

Contract: for a given `(n, seed)` every function here returns the same data on every run and platform
(one `random.Random(seed)` drives everything; no clock, no `hash()`, no set order). Records follow
Flywheel's record format (`annotate.records.RecordIn`): `id`, `messages` (ending with a user turn),
`response`, `model`, `created_at`, and optionally `feedback`, `logprobs`, `group`, `metadata`; no
empty strings. The stream mixes good answers with subtly wrong, vague, refusing, truncated and
hallucinated ones, JSON-format violations, personal data, exact and near duplicates, paraphrase
groups (some with disagreeing answers) and prompts answered by both model versions, in fixed
proportions whatever `n` is. `generate_labelled_records` also yields the ground truth per record.

`flywheel sample data OUT_DIR` (annotate.sample.write) writes the sample files.
"""

from __future__ import annotations

import heapq
from bisect import bisect
from collections.abc import Iterator
from itertools import accumulate
from random import Random

from annotate.sample import templates as T

MODELS = T.MODELS
# Per model version: cumulative thresholds over the quality names.
_QUALITIES = ("good", "wrong", "vague", "refusal", "truncated", "hallucinated")
_Q_CUM = (tuple(accumulate((.55, .13, .09, .07, .07, .09))), tuple(accumulate((.66, .10, .07, .05, .05, .07))))
_JSON_QUALITIES = ("good", "wrong", "format_invalid", "format_missing_key", "format_prose", "format_fence",
                   "format_bad_value")
_JSON_CUM = (tuple(accumulate((.62, .06, .10, .07, .07, .05, .03))),
             tuple(accumulate((.74, .05, .06, .05, .04, .04, .02))))
# (mean mu, mean sd, min gap floor, min gap span) of the token logprobs, by quality.
_LOGPROB = {"good": (.32, .12, 1.2, 3.8), "wrong": (.55, .25, 1.5, 5.0), "vague": (.6, .2, 1.0, 3.5),
            "refusal": (.28, .1, .8, 2.5), "truncated": (.8, .3, 2.0, 5.5), "hallucinated": (1.15, .35, 3.0, 6.0)}
_FORMAT_LOGPROB = (.7, .25, 1.5, 5.0)
_CONSISTENT = ("good",) * 8 + ("vague", "truncated")  # answer qualities inside a group that agrees
# Per fresh record: chance to start a paraphrase group, else to be re-logged as a duplicate, a near
# duplicate, or answered again by the other model version.
P_GROUP, P_DUP, P_NEAR, P_VERSION = .035, .0125, .025, .105
P_CONTEXT, P_PII, P_PII_LEAK, P_SYSTEM, P_FEEDBACK_GOOD, P_FEEDBACK_BAD = .35, .04, .35, .85, .35, .55
# created_at windows (seconds from 2026-10-01T00:00:00Z): 09 until 20 Oct, 10 from 10 Oct.
_WINDOWS = ((0, 20 * 86400), (9 * 86400, 22 * 86400))

# Intents: (name, topic, prompts, good, wrong, halluc, kind); JSON kinds answer under a JSON system prompt.
_INTENTS = [(name, topic, prompts, good, wrong, halluc or T.GENERIC_HALLUC, "support")
            for name, topic, _w, prompts, good, wrong, halluc in T.INTENTS]
_INTENTS += [("ticket_triage", "ticket triage", T.TRIAGE_PROMPTS, (), (), (), "triage"),
             ("invoice_extraction", "invoice extraction", T.EXTRACT_PROMPTS, (), (), (), "extract")]
_SUPPORT_W = [i[2] for i in T.INTENTS]
_JSON_W = sum(_SUPPORT_W) * 0.045  # each JSON intent ~4.5% of fresh records
_INTENT_CUM = list(accumulate(_SUPPORT_W + [_JSON_W, _JSON_W]))
_SUPPORT = _INTENTS[:len(T.INTENTS)]
_LOC_CUM = list(accumulate(loc[-1] for loc in T.LOCALES))
_PLAN_CUM = list(accumulate(T.PLAN_WEIGHTS))
_CHAN_CUM = list(accumulate(T.CHANNEL_WEIGHTS))
_LOC_BASE = [{"cur": c, "code": code, "tax": tax, "_loc": loc, "_phone": ph, "_banks": banks, "_us": loc == "en-US"}
             for loc, c, code, tax, ph, banks, _w in T.LOCALES]


def pick(rng: Random, cum: list[float]) -> int:
    """Index drawn from cumulative weights."""
    return min(bisect(cum, rng.random() * cum[-1]), len(cum) - 1)


def _amount(rng: Random, s: dict) -> str:
    s["_amount_num"] = value = (2000 + int(rng.random() * 498000)) / 100
    return f"{s['cur']}{value:,.2f}"


def _date(rng: Random, s: dict, first: int = 8, months: int = 2) -> str:
    """A day in Aug-Sep 2026 (the past, for `date`) or, from `due`, in Oct-Dec 2026; sets `_iso`."""
    day, month = 1 + int(rng.random() * 28), first + int(rng.random() * months)
    s["_iso"] = "2026-%02d-%02d" % (month, day)
    name = T.MONTHS[month - 1]
    return f"{name} {day}, 2026" if s["_us"] else f"{day} {name} 2026"


def _phone(rng: Random, s: dict) -> str:
    k = int(rng.random() * 100)
    styles = {"uk": "+44 7700 900%03d" % (100 + k), "us": "+1 212-555-01%02d" % k}
    return styles.get(s["_phone"], "+61 491 570 %03d" % k)


_SLOT_FUNCS = {
    "plan": lambda r, s: r.choice(T.PLANS), "up_plan": lambda r, s: "Growth" if r.random() < .5 else "Scale",
    "inv": lambda r, s: "INV-%05d" % (10000 + int(r.random() * 90000)), "amount": _amount, "date": _date,
    "due": lambda r, s: _date(r, s, 10, 3), "country": lambda r, s: r.choice(T.COUNTRIES),
    "n": lambda r, s: 4 + int(r.random() * 36),
    "bank": lambda r, s: r.choice(s["_banks"]), "customer": lambda r, s: r.choice(T.CUSTOMERS),
    "vendor": lambda r, s: r.choice(T.VENDORS), "card": lambda r, s: r.choice(T.TEST_CARDS), "phone": _phone,
    "workspace": lambda r, s: "%s-%d" % (r.choice(T.WORKSPACES), 1000 + int(r.random() * 9000)),
    "email": lambda r, s: "%s.%s@%s" % (r.choice(T.FIRST_NAMES), r.choice(T.LAST_NAMES), r.choice(T.EMAIL_DOMAINS)),
    "ticket_no": lambda r, s: 40000 + int(r.random() * 9999), "area": lambda r, s: r.choice(T.SAFETY_AREAS),
}


class _Slots(dict):
    """Slot values for `str.format_map`, drawn lazily (and then kept) the first time a template asks."""

    __slots__ = ("rng",)

    def __missing__(self, key: str):
        value = self[key] = _SLOT_FUNCS[key](self.rng, self)
        return value


def new_slots(rng: Random, topic: str) -> _Slots:
    slots = _Slots(_LOC_BASE[pick(rng, _LOC_CUM)])
    slots.rng = rng
    slots["plan"], slots["topic"] = T.PLANS[pick(rng, _PLAN_CUM)], topic
    return slots


def _truncate(rng: Random, text: str) -> str:
    cut = int(len(text) * (.3 + .4 * rng.random()))
    space = text.rfind(" ", 0, cut)
    return text[:space if space > 15 else cut].rstrip(" ,;:.-")


def _support_response(rng: Random, it: tuple, slots: _Slots, quality: str) -> str:
    if quality in ("vague", "refusal"):
        return rng.choice(T.VAGUE if quality == "vague" else T.REFUSALS).format_map(slots)
    pool = {"good": it[3], "truncated": it[3], "wrong": it[4], "hallucinated": it[5]}[quality]
    text = rng.choice(pool).format_map(slots)
    if quality == "truncated":
        return _truncate(rng, text)
    return rng.choice(T.RESP_PREFIXES) + text + rng.choice(T.RESP_SUFFIXES).format_map(slots)


def _json_response(rng: Random, it: tuple, slots: _Slots, quality: str) -> str:
    """A JSON answer for a triage or extraction prompt, broken in the way `quality` says."""
    if it[6] == "triage":
        _t, cat, pri, summary = slots["_ticket"]
        if quality == "wrong":
            cat, pri = ("other", "low") if cat != "other" else ("billing", "high")
        fields = [("category", cat), ("priority", "critical" if quality == "format_bad_value" else pri),
                  ("summary", summary.format_map(slots))]
        prose = f"This looks like a {cat} ticket with {pri} priority. {fields[2][1]}"
    else:
        amount = "%.2f" % slots["_amount_num"]
        iso = slots["_iso"]
        due = iso if quality != "wrong" else "%s%02d%s" % (iso[:5], int(iso[5:7]) - 1, iso[7:])  # a month early
        code = slots["code"] if quality != "format_bad_value" else slots["cur"]
        fields = [("invoice_number", slots["inv"]), ("amount", amount), ("currency", code), ("due_date", due)]
        prose = f"The invoice {slots['inv']} is for {slots['amount']} and is due on {slots['due']}."
    if quality == "format_missing_key":
        del fields[1 + int(rng.random() * (len(fields) - 1))]
    pretty = rng.random() < .3
    body = (",\n  " if pretty else ", ").join(f'"{k}": {v}' if k == "amount" else f'"{k}": "{v}"' for k, v in fields)
    text = "{\n  " + body + "\n}" if pretty else "{" + body + "}"
    if quality == "format_invalid":
        style = int(rng.random() * 3)
        text = (text.replace('"', "'"), text[:-1] + ",}", text[:int(len(text) * .6)])[style]
    elif quality == "format_prose":
        text = prose
    elif quality == "format_fence":
        text = "```json\n" + text + "\n```"
    return text


def _conversation(rng: Random, it: tuple, slots: _Slots, prompt: str) -> list[dict]:
    """Messages up to the model's turn: optional system prompt, optional earlier turns, final user turn."""
    if it[6] != "support":
        return [{"role": "system", "content": T.SYSTEM_TRIAGE if it[6] == "triage" else T.SYSTEM_EXTRACT},
                {"role": "user", "content": prompt}]
    msgs = [{"role": "system", "content": rng.choice(T.SYSTEM_PROMPTS)}] if rng.random() < P_SYSTEM else []
    shape = rng.random()
    if shape < .75:
        return msgs + [{"role": "user", "content": rng.choice(T.PROMPT_PREFIXES) + prompt}]
    if shape < .93:
        if shape < .85 or shape >= .90:
            user, assistant = rng.choice(T.OPENERS)
            msgs += [{"role": "user", "content": user.format_map(slots)},
                     {"role": "assistant", "content": assistant.format_map(slots)}]
        if shape >= .85:
            prev = rng.choice(_SUPPORT)
            msgs += [{"role": "user", "content": rng.choice(prev[2]).format_map(slots)},
                     {"role": "assistant", "content": rng.choice(prev[3]).format_map(slots)}]
            prompt = rng.choice(T.LEAD_INS) + prompt
    else:
        ask, ack = rng.choice(T.TOOL_ASKS)
        status = "active" if rng.random() < .85 else "past_due"
        result = T.TOOL_RESULT % (slots["workspace"], slots["plan"], status, 1 + int(rng.random() * 9),
                                  1 + int(rng.random() * 28))
        msgs += [{"role": "user", "content": ask.format_map(slots)}, {"role": "assistant", "content": ack},
                 {"role": "tool", "content": result}]
        prompt = rng.choice(T.TOOL_FOLLOW) + prompt
    msgs.append({"role": "user", "content": prompt})
    return msgs


def _feedback(rng: Random, quality: str) -> dict | None:
    bad = quality != "good"
    if rng.random() >= (P_FEEDBACK_BAD if bad else P_FEEDBACK_GOOD):
        return None
    happy = rng.random() < (.2 if bad else .85)
    kind, fb = rng.random(), {}
    if kind < .8:
        fb["thumbs"] = "up" if happy else "down"
    if kind >= .45:
        fb["rating"] = rng.choice((5, 5, 4, 4, 3) if happy else (1, 1, 2, 2, 3))
    if rng.random() < .3:
        fb["comment"] = rng.choice(T.POS_COMMENTS if happy else T.NEG_COMMENTS[
            "format" if quality.startswith("format") else quality])
    return fb


def _logprobs(rng: Random, quality: str) -> dict:
    mu, sd, gap, span = _LOGPROB.get(quality, _FORMAT_LOGPROB)
    mean = -max(.02, rng.gauss(mu, sd))
    return {"mean": round(mean, 3), "min": round(mean - gap - span * rng.random(), 3)}


def _timestamp(rng: Random, model: int) -> str:
    start, span = _WINDOWS[model]
    secs = start + int(rng.random() * span)
    day, rest = divmod(secs, 86400)
    return "2026-10-%02dT%02d:%02d:%02dZ" % (day + 1, rest // 3600, rest // 60 % 60, rest % 60)


def _draw_quality(rng: Random, it: tuple, model: int) -> str:
    if it[6] == "support":
        return _QUALITIES[min(bisect(_Q_CUM[model], rng.random()), 5)]
    return _JSON_QUALITIES[min(bisect(_JSON_CUM[model], rng.random()), 6)]


def _respond(rng: Random, it: tuple, slots: _Slots, quality: str) -> str:
    return (_support_response if it[6] == "support" else _json_response)(rng, it, slots, quality)


def _finish(rng: Random, rec: dict, lab: dict, slots: _Slots, model: int, dup_of: dict | None = None):
    """Add the optional fields in the record format's key order; a duplicate keeps `dup_of`'s logprobs."""
    quality = lab["quality"]
    rec["created_at"] = _timestamp(rng, model)
    fb = _feedback(rng, quality)
    if fb:
        rec["feedback"] = fb
    logprobs = _logprobs(rng, quality) if rng.random() < .8 else None
    if dup_of is not None:
        logprobs = dup_of["logprobs"]
    if logprobs:
        rec["logprobs"] = logprobs
    if lab["group"]:
        rec["group"] = lab["group"]
    if rng.random() < .96:
        rec["metadata"] = {"channel": T.CHANNELS[pick(rng, _CHAN_CUM)], "locale": slots["_loc"],
                           "plan": slots["plan"], "latency_ms": 300 + 6 * len(rec["response"]) +
                           int(rng.random() * 900) + (150 if model == 0 else 0)}
    return rec, lab


def _build(rng: Random, it: tuple, slots: _Slots, template: str, quality: str, model: int, group: str | None):
    """One new interaction for intent `it`, asked with `template`, answered at `quality`."""
    if it[6] == "triage":
        slots["_ticket"] = ticket = rng.choice(T.TICKETS)
        slots["ticket"] = ticket[0].format_map(slots)
    prompt = template.format_map(slots)
    if it[6] == "support":
        if rng.random() < P_CONTEXT:
            prompt += " " + rng.choice(T.CONTEXTS).format_map(slots)
        prompt += rng.choice(T.PROMPT_SUFFIXES)
    pii = leak = False
    if rng.random() < P_PII:
        pii_kind, suffix = rng.choice(T.PII_SUFFIXES)
        prompt += suffix.format_map(slots)
        pii, leak = True, it[6] == "support" and rng.random() < P_PII_LEAK
    response = _respond(rng, it, slots, quality)
    if leak:
        response = T.PII_LEAKS[pii_kind].format_map(slots) + response
    rec = {"id": "", "messages": _conversation(rng, it, slots, prompt), "response": response,
           "model": MODELS[model]}
    lab = {"intent": it[0], "quality": quality, "json_format": it[6] != "support",
           "format_ok": None if it[6] == "support" else not quality.startswith("format"),
           "pii": pii, "pii_leak": leak, "group": group, "group_disagrees": None, "derived": None, "source": None}
    return _finish(rng, rec, lab, slots, model)


def _snapshot(rec: dict, lab: dict) -> dict:
    """A private copy of what `_derive` needs, so callers may mutate the records they were given."""
    return {"id": rec["id"], "messages": [dict(m) for m in rec["messages"]], "response": rec["response"],
            "model": rec["model"], "logprobs": dict(rec["logprobs"]) if "logprobs" in rec else None, "lab": dict(lab)}


def _derive(rng: Random, kind: str, src: tuple) -> tuple[dict, dict]:
    """A re-logged copy of an earlier record: 'duplicate', 'near_duplicate' or 'version_pair'."""
    rec0, it, slots, model = src
    msgs = rec0["messages"]
    rec = {"id": "", "messages": msgs, "response": rec0["response"], "model": rec0["model"]}
    lab = dict(rec0["lab"], derived=kind, source=rec0["id"], group=None, group_disagrees=None)
    if kind == "near_duplicate":
        msgs[-1]["content"] = _near_edit(rng, msgs[-1]["content"])
    elif kind == "version_pair":
        model = 1 - model
        rec["model"] = MODELS[model]
        lab["quality"] = quality = _draw_quality(rng, it, model)
        for _ in range(4):
            rec["response"] = _respond(rng, it, slots, quality)
            if rec["response"] != rec0["response"]:
                break
        else:  # same answer four times: vary only the whitespace (JSON) or the sign-off
            rec["response"] += "\n" if it[6] != "support" else " Let me know if that helps."
        lab["format_ok"] = None if it[6] == "support" else not quality.startswith("format")
        lab["pii_leak"] = False
    return _finish(rng, rec, lab, slots, model, rec0 if kind == "duplicate" else None)


def _near_edit(rng: Random, text: str) -> str:
    """A tiny edit: a punctuation, casing, spacing or one-word change, whichever first alters the text."""
    swaps = [(a, b) for a, b in T.SWAPS if a in text]
    edits = [lambda t: t.rstrip("?.!") if t[-1] in "?.!" else t + "?", lambda t: t.lower(),
             lambda t: t.replace(*rng.choice(swaps), 1) if swaps else t, lambda t: t.replace(" ", "  ", 1),
             lambda t: t + "!!"]
    start = int(rng.random() * len(edits))
    for k in range(len(edits)):
        edited = edits[(start + k) % len(edits)](text)
        if edited != text and edited.strip():
            return edited
    return text + " ?"


def generate_labelled_records(n: int = 3000, seed: int = 7) -> Iterator[tuple[dict, dict]]:
    """Yield `(record, labels)` pairs; `labels` is the ground truth (intent, quality, pii, derived, ...)."""
    rng = Random(seed)
    pending: list = []  # (due index, seq, kind, payload): records scheduled to appear later
    seq = groups = 0
    for i in range(n):
        left, rec_id = n - i, "conv-%06d" % (i + 1)
        if pending and (pending[0][0] <= i or len(pending) >= left):
            _due, _s, kind, payload = heapq.heappop(pending)
            if kind == "group":
                rec, lab = _build(rng, *payload[:6])
                lab["group_disagrees"] = payload[6]
            else:
                rec, lab = _derive(rng, kind, payload)
        else:
            it = _INTENTS[pick(rng, _INTENT_CUM)]
            slots, model = new_slots(rng, it[1]), int(rng.random() < .5)
            r, room = rng.random(), left - 1 - len(pending)
            if r < P_GROUP and it[6] == "support" and room >= 6:
                groups += 1
                gid, size = "grp-%04d" % groups, min(3 + int(rng.random() * 4), len(it[2]))
                templates, disagree = rng.sample(it[2], size), rng.random() < .4
                if disagree:
                    n_wrong = 1 + int(rng.random() * (size // 2))
                    qualities = ["wrong"] * n_wrong + ["good"] * (size - n_wrong)
                    rng.shuffle(qualities)
                else:
                    qualities = [rng.choice(_CONSISTENT) for _ in range(size)]
                rec, lab = _build(rng, it, slots, templates[0], qualities[0], model, gid)
                lab["group_disagrees"] = disagree
                for k in range(1, size):
                    seq += 1
                    heapq.heappush(pending, (i + 1 + int(rng.random() * 120), seq, "group",
                                             (it, slots, templates[k], qualities[k], int(rng.random() < .5), gid,
                                              disagree)))
            else:
                rec, lab = _build(rng, it, slots, rng.choice(it[2]), _draw_quality(rng, it, model), model, None)
                rec["id"] = rec_id
                r -= P_GROUP
                kind = ("duplicate" if r < P_DUP else "near_duplicate" if r < P_DUP + P_NEAR
                        else "version_pair" if r < P_DUP + P_NEAR + P_VERSION else None)
                if kind and room >= 1:
                    seq += 1
                    heapq.heappush(pending, (i + 1 + int(rng.random() * 300), seq, kind,
                                             (_snapshot(rec, lab), it, slots, model)))
        rec["id"] = rec_id
        yield rec, lab


def generate_records(n: int = 3000, seed: int = 7) -> Iterator[dict]:
    """Yield `n` production records in Flywheel's record format, deterministic for `(n, seed)`."""
    for rec, _lab in generate_labelled_records(n, seed):
        yield rec
