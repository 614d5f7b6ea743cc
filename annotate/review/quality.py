"""Annotator quality: gold accuracy held against a bar, and the pause that keeps new tasks from an
annotator under it.

The rule (`[quality]` in flywheel.toml): an annotator is paused from new tasks once they have
answered at least `min_gold` gold items and the whole Wilson interval (95%) of their gold
accuracy lies under `pause_below` (`annotate.stats.judge` fails it). A pause needs evidence, not
a bad streak: 0 right of 5 pauses (interval 0.00-0.43 under a 0.6 bar); 1 of 5 (0.04-0.62) does
not, and the lead sees "not enough evidence" with about how many gold answers would decide.

- The rule is applied when a gold answer comes in (`annotate.review.claims.submit`, and answers
  from Label Studio or an import) and whenever a lead looks (`standings`); a pause it makes is
  stored with its evidence. A claim only reads the standing pause (`standing_pause`), so asking
  for a task costs no gold tally.
- A paused annotator keeps the tasks they hold and everything they submitted; only new claims
  are refused (`annotate.errors.Paused`).
- Only a lead lifts a pause (`annotate.review.annotators.resume`), and that decision stands:
  afterwards only gold answers given after the resume count, so the rule pauses again only on
  `min_gold` fresh gold answers under the bar. A lead's own pause is never lifted by the rule.
- Label Studio assigns its own tasks: a pause there is shown to the lead, not enforced.
Gold accuracy here is the agreement report's: the verdict or choice equals the gold answer's.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotate.clock import utc_now_text
from annotate.config import Quality
from annotate.stats import CONFIDENCE, FAIL, judge, wilson_interval
from annotate.store import Store

QUALITY_SETTING = "quality"  # the store setting holding `[quality]`, so a bare store applies the project's bar
RULE = "rule"
UNDER = "under the bar"


@dataclass(frozen=True)
class GoldTally:
    n_gold: int  # gold answers counted (those after the latest resume)
    n_right: int
    interval: tuple[float, float] | None  # Wilson, 95%

    @property
    def accuracy(self) -> float | None:
        return self.n_right / self.n_gold if self.n_gold else None

    def text(self) -> str:
        """'0.40 (2 of 5 gold answers; 95% interval 0.12-0.77)', or 'no gold answers'."""
        if not self.n_gold:
            return "no gold answers"
        low, high = self.interval
        return f"{self.accuracy:.2f} ({self.n_right} of {self.n_gold} gold answers; 95% interval {low:.2f}-{high:.2f})"


@dataclass(frozen=True)
class Standing:
    """One annotator's quality as the lead sees it."""

    annotator_id: int
    email: str
    tally: GoldTally
    judgement: str  # UNDER, "at or above the bar", "not enough evidence (...)", or "no bar" (pausing off)
    paused: bool
    pause: dict | None  # the latest pause row (paused or resumed): source, lead_email, reason, created_at


def quality_rules(store: Store) -> Quality:
    """The project's `[quality]` as the store last saw it (the defaults on a bare database)."""
    saved = store.setting(QUALITY_SETTING)
    return Quality.model_validate(saved) if saved else Quality()


def tally(n_gold: int, n_right: int) -> GoldTally:
    return GoldTally(n_gold, n_right, wilson_interval(n_right, n_gold, CONFIDENCE))


def judgement(found: GoldTally, rules: Quality) -> str:
    """What the bar says of a tally (see the module docstring)."""
    if rules.pause_below <= 0:
        return "no bar"
    if found.n_gold < rules.min_gold:
        return f"not enough evidence ({found.n_gold} of {rules.min_gold} gold answers)"
    low, high = found.interval
    verdict = judge(low, high, found.accuracy, found.n_gold, at_least=rules.pause_below)
    if verdict.status == FAIL:
        return UNDER
    if low >= rules.pause_below:
        return "at or above the bar"
    more = f"; about {verdict.needed_n} gold answers would decide" if verdict.needed_n else ""
    return f"not enough evidence (the interval spans {rules.pause_below:.2f}{more})"


def standing_pause(store: Store, annotator_id: int) -> dict | None:
    """The annotator's pause if they are paused now (the latest row says so), else None."""
    latest = store.latest_pauses(annotator_id).get(annotator_id)
    return latest if latest is not None and latest["action"] == "paused" else None


def check_pause(store: Store, annotator_id: int) -> dict | None:
    """The annotator's standing pause, after applying the rule (a pause it makes is stored); None
    when they may take new tasks. Run inside the caller's write transaction."""
    standing = standing_pause(store, annotator_id)
    if standing is not None:
        return standing
    rules = quality_rules(store)
    found = tally(*store.gold_tallies(annotator_id).get(annotator_id, (0, 0)))
    if judgement(found, rules) != UNDER:
        return None
    _record_rule_pause(store, annotator_id, found, rules)
    return store.latest_pauses(annotator_id)[annotator_id]


def standings(store: Store, people: list[dict]) -> list[Standing]:
    """Each of `people` (annotator rows) with their gold tally and pause; the rule is applied to
    all of them first, in one transaction, so a pause due is stored before the lead reads it."""
    rules = quality_rules(store)
    tallies = {person_id: tally(*counts) for person_id, counts in store.gold_tallies().items()}
    latest = store.latest_pauses()
    due = [person["id"] for person in people if (latest.get(person["id"]) or {}).get("action") != "paused"
           and judgement(tallies.get(person["id"], tally(0, 0)), rules) == UNDER]  # fmt: skip
    if due:
        with store.immediate():
            for person_id in due:
                check_pause(store, person_id)  # checks again under the write lock
        latest = store.latest_pauses()
    result = []
    for person in people:
        found = tallies.get(person["id"], tally(0, 0))
        pause = latest.get(person["id"])
        result.append(Standing(person["id"], person["email"], found, judgement(found, rules),
                               pause is not None and pause["action"] == "paused", pause))  # fmt: skip
    return result


def standing_rows(found: list[Standing]) -> list[dict]:
    """The lead's table: one row per annotator with gold answers or a pause (for the pages)."""
    return [{"annotator": each.email, "gold accuracy": each.tally.accuracy, "gold answers": each.tally.n_gold,
             "low": each.tally.interval[0] if each.tally.interval else None,
             "high": each.tally.interval[1] if each.tally.interval else None, "against the bar": each.judgement,
             "new tasks": f"paused: {pause_text(each.pause)}" if each.paused else "yes"}
            for each in found if each.tally.n_gold or each.pause is not None]  # fmt: skip


def pause_text(pause: dict) -> str:
    """'paused by the gold-accuracy rule on 2026-12-03 10:04 UTC: gold accuracy 0.20 ...'."""
    who = {"rule": "the gold-accuracy rule", "operator": "the operator"}.get(pause["source"], pause["lead_email"])
    return f"{pause['action']} by {who} on {pause['created_at'][:16].replace('T', ' ')} UTC: {pause['reason']}"


def record_decision(store: Store, annotator_id: int, action: str, reason: str, lead_id: int | None) -> int:
    """Store a lead's (or, with no `lead_id`, the operator's) pause or resume, with the gold
    tally it was made on. Inside the caller's transaction."""
    found = tally(*store.gold_tallies(annotator_id).get(annotator_id, (0, 0)))
    return _insert(store, annotator_id, action, "lead" if lead_id is not None else "operator", lead_id, reason, found)


def _record_rule_pause(store: Store, annotator_id: int, found: GoldTally, rules: Quality) -> None:
    reason = f"gold accuracy {found.text()} is under the bar of {rules.pause_below:.2f}"
    _insert(store, annotator_id, "paused", RULE, None, reason, found)


def _insert(store: Store, annotator_id: int, action: str, source: str, lead_id: int | None, reason: str, found: GoldTally) -> int:
    low, high = found.interval or (None, None)
    return store.insert_pause({"annotator_id": annotator_id, "action": action, "source": source, "lead_id": lead_id,
                               "reason": reason, "n_gold": found.n_gold, "n_right": found.n_right, "low": low,
                               "high": high, "created_at": utc_now_text("milliseconds")})  # fmt: skip
