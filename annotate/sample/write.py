"""Write the sample files: production records, rehearsal sets, gold items and held-out evaluation sets.

Above the generator, gold and rehearsal modules (each builds on the generator alone), so the sample
package has no import circle.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable

from annotate.sample import rehearsal
from annotate.sample.generator import generate_records
from annotate.sample.gold import generate_gold

log = logging.getLogger(__name__)


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    """Write one compact JSON object per line (UTF-8), atomically; return the number of lines."""
    tmp, count = f"{os.fspath(path)}.tmp", 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def _rehearsal(kind: str, seed: int) -> list[dict]:
    make = {"general": rehearsal.generate_rehearsal_general, "safety": rehearsal.generate_rehearsal_safety,
            "eval_general": rehearsal.generate_eval_general, "eval_safety": rehearsal.generate_eval_safety}
    return make[kind](seed=seed)


def write_sample(out_dir: str | os.PathLike, n: int = 3000, seed: int = 7) -> dict[str, int]:
    """Write records.jsonl, the two rehearsal sets, gold.jsonl and the held-out evaluation sets into
    `out_dir`; return line counts."""
    os.makedirs(out_dir, exist_ok=True)
    counts = {
        "records.jsonl": write_jsonl(os.path.join(out_dir, "records.jsonl"), generate_records(n, seed)),
        "rehearsal_general.jsonl": write_jsonl(os.path.join(out_dir, "rehearsal_general.jsonl"),
                                               _rehearsal("general", seed)),
        "rehearsal_safety.jsonl": write_jsonl(os.path.join(out_dir, "rehearsal_safety.jsonl"),
                                              _rehearsal("safety", seed)),
        "gold.jsonl": write_jsonl(os.path.join(out_dir, "gold.jsonl"), generate_gold(n, seed)),
        "eval_general.jsonl": write_jsonl(os.path.join(out_dir, "eval_general.jsonl"), _rehearsal("eval_general", seed)),
        "eval_safety.jsonl": write_jsonl(os.path.join(out_dir, "eval_safety.jsonl"), _rehearsal("eval_safety", seed)),
    }
    log.info("wrote sample data to %s: %s", out_dir, counts)
    return counts
