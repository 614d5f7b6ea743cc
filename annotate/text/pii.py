"""Personal data detection with Presidio, fully offline.

Presidio's pattern recognizers (email, phone, card, SSN, IP, IBAN, ...) need an NLP pipeline
only for tokens; a blank spaCy English pipeline serves, so nothing is downloaded (person names
would need an NER model, which no official English package on PyPI provides). The engine takes
seconds to build, so it is built once per process and only when a text could hold personal
data at all: every supported entity has an '@' or a run of digits.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

_COULD_BE_PERSONAL = re.compile(r"@|\d[\d\s().+/-]{4,}\d")


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


def find_personal_data(text: str, entities: list[str], min_score: float = 0.5) -> list[Finding]:
    """Personal data in `text` of the given Presidio entity types, best first."""
    if not entities or not _COULD_BE_PERSONAL.search(text):
        return []
    results = _engine().analyze(text=text, language="en", entities=entities, score_threshold=min_score)
    findings = [Finding(result.entity_type, result.start, result.end, result.score) for result in results]
    return sorted(findings, key=lambda finding: (-finding.score, finding.start))


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


@lru_cache(maxsize=1)
def _engine():
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # tldextract must not reach the network
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # it warns about every non-English recognizer
    with _without_unused_backends():
        import spacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

    with tempfile.TemporaryDirectory(prefix="flywheel-spacy-") as folder:  # loaded into memory, then removed
        spacy.blank("en").to_disk(folder)
        provider = NlpEngineProvider(
            nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": folder}]}
        )
        return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def redact_personal_data(text: str, entities: list[str], min_score: float = 0.5) -> tuple[str, list[str]]:
    """`text` with each piece of personal data replaced by its entity type in angle brackets
    (`<EMAIL_ADDRESS>`), and the entity types replaced."""
    findings = find_personal_data(text, entities, min_score)
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda found: (found.start, -found.end)):
        if not kept or finding.start >= kept[-1].end:  # overlapping findings: the first, longest wins
            kept.append(finding)
    for finding in reversed(kept):
        text = text[: finding.start] + f"<{finding.entity}>" + text[finding.end :]
    return text, [finding.entity for finding in kept]
