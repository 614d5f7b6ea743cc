"""Whether two similar answers contradict each other, which similarity alone cannot tell.

"You can export invoices from Reports" and "You cannot export invoices from Reports" are 95%
alike and say opposite things. `contradiction(a, b)` compares the words where two texts differ
and names the first reason they cannot both be right:

- **negation**: a negation (not, no, never, cannot, can't, don't, isn't, ...) on one side of a
  difference and not the other;
- **yes/no**: one answers yes where the other answers no;
- **number**: different numbers or amounts where they differ (12 vs 14 days, $9 vs $19);
- **menu path**: different `A > B > C` navigation paths (Settings > Users vs Settings > Billing);
- **name**: a different capitalised name in the same place (the Pro plan vs the Plus plan).

It is meant for texts already found similar (near-duplicate candidates, answers to near-identical
prompts): on unrelated texts every difference is a "contradiction". None when nothing contradicts.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[$€£%]")
_NEGATIONS = frozenset({"not", "no", "never", "cannot", "none", "nothing", "neither", "nor", "without", "unable"})
_ITEM = r"[A-Z0-9][\w'&-]*(?: [A-Z0-9&][\w'&-]*)*"  # a menu item: Title Case words ("Bank Feeds", "Users")
_PATH = re.compile(rf"{_ITEM}(?:\s*>\s*{_ITEM})+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def contradiction(first: str, second: str) -> str | None:
    """The reason two similar texts contradict (negation, yes/no, number, menu path, name), or None."""
    paths = _paths(first), _paths(second)
    if paths[0] and paths[1] and paths[0] != paths[1]:
        return "menu path"
    a, b = _words(first), _words(second)
    for op, a0, a1, b0, b1 in SequenceMatcher(a=[w.casefold() for w in a], b=[w.casefold() for w in b], autojunk=False).get_opcodes():
        if op == "equal":
            continue
        left, right = a[a0:a1], b[b0:b1]
        folded = {w.casefold() for w in left}, {w.casefold() for w in right}
        if ("yes" in folded[0] and "no" in folded[1]) or ("no" in folded[0] and "yes" in folded[1]):
            return "yes/no"
        if _negated(left) != _negated(right):
            return "negation"
        numbers = [w for w in left if _NUMBER.fullmatch(w)], [w for w in right if _NUMBER.fullmatch(w)]
        if numbers[0] and numbers[1] and _values(numbers[0]) != _values(numbers[1]):
            return "number"
        names = [w for w in left if w[:1].isupper()], [w for w in right if w[:1].isupper()]
        if op == "replace" and names[0] and names[1] and a0 > 0 and b0 > 0 and {w.casefold() for w in names[0]} != {w.casefold() for w in names[1]}:
            return "name"  # a sentence's first word is capitalised anyway: not a name
    return None


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _negated(words: list[str]) -> bool:
    return any(word.casefold() in _NEGATIONS or word.casefold().endswith("n't") for word in words)


def _values(numbers: list[str]) -> list[float | str]:
    """The numbers as values ("1,249.50" and "1249.5" are one amount, "3,5" is 3.5); a number with
    more than one decimal point ("305.555.0121", a version or a phone number) is compared as written."""
    return sorted((_value(number) for number in numbers), key=lambda value: (isinstance(value, str), str(value)))


def _value(number: str) -> float | str:
    if number.count(".") > 1 or (number.count(",") == 1 and number.count(".") == 1 and number.index(".") < number.index(",")):
        return number
    if number.count(",") == 1 and "." not in number:
        return float(number.replace(",", "."))
    return float(number.replace(",", ""))


def _paths(text: str) -> frozenset[str]:
    return frozenset(" > ".join(part.strip().casefold() for part in path.split(">")) for path in _PATH.findall(text))
