"""Check: two versions of the flagging code give the same flags on the same records.

    .venv/bin/python bench/flag_same.py --base /tmp/old-checkout             # 100,000 records
    .venv/bin/python bench/flag_same.py --base /tmp/old-checkout --records 20000

`--base` is a folder holding another version's `annotate` package (e.g. `git archive main annotate |
tar -x -C /tmp/old-checkout`). One project is generated and ingested as in bench/flag.py; two copies
of it are flagged with `python -m annotate --project COPY --quiet flag`, one with the base's code,
one with this repository's. Then `--rerun-share` (1%) more records are ingested into both and `flag`
runs again (the incremental path); a third copy gets the new records before its one run with this
repository's code, to tell whether the re-run ends where one run over all the records ends. After each step the `flags` rows (record, reason, score, detail)
and the `preference_candidates` rows (pair, origin, score, detail) of the two copies are compared;
the script prints the counts and any difference, and exits 1 when the full runs differ (a re-run may
differ by design: the base keeps an inconsistency flag its group no longer earns). Times are printed
for information only (they include process start).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see bench/common.py)

from annotate.project import Project, find_project  # noqa: E402
from bench.common import REPO, ingested_project  # noqa: E402
from bench.flag import ingest_more  # noqa: E402

FLAGS = "SELECT record_id, reason, score, detail FROM flags"
PAIRS = "SELECT record_id, record_b_id, origin, score, detail FROM preference_candidates"


def flag(project: Project, code: Path) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "annotate", "--project", str(project.root), "--quiet", "flag"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=code)
    if result.returncode != 0:
        sys.exit(f"flag with the code in {code} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


def rows(project: Project, query: str) -> set[tuple]:
    conn = sqlite3.connect(project.db_path)
    try:
        return set(conn.execute(query))
    finally:
        conn.close()


def compare(step: str, base: Project, new: Project) -> bool:
    same = True
    for what, query in (("flags", FLAGS), ("preference candidates", PAIRS)):
        old_rows, new_rows = rows(base, query), rows(new, query)
        only_old, only_new = sorted(old_rows - new_rows), sorted(new_rows - old_rows)
        verdict = "identical" if not (only_old or only_new) else f"DIFFER: {len(only_old)} only in base, {len(only_new)} only in new"
        print(f"{step:<17} {what:<22} base {len(old_rows):,}, new {len(new_rows):,}: {verdict}")
        for row in only_old[:5]:
            print(f"    only in base: {row}")
        for row in only_new[:5]:
            print(f"    only in new:  {row}")
        same = same and not (only_old or only_new)
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="a folder holding the other version's annotate package")
    parser.add_argument("--records", "--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rerun-share", type=float, default=0.01)
    args = parser.parse_args()
    if not (args.base / "annotate" / "__init__.py").is_file():
        sys.exit(f"--base {args.base}: no annotate package there")

    with tempfile.TemporaryDirectory(prefix="flywheel-same-") as folder:
        workdir = Path(folder)
        project, _ = ingested_project(workdir, args.records, args.seed)
        copies = {}
        for name in ("base", "new", "once"):
            shutil.copytree(project.root, workdir / name)
            copies[name] = find_project(workdir / name)
        seconds = {name: flag(copies[name], args.base if name == "base" else REPO) for name in ("base", "new")}
        print(f"full run     base {seconds['base']:.1f} s, new {seconds['new']:.1f} s ({args.records:,} records)")
        same = compare("full run", copies["base"], copies["new"])
        more = round(args.records * args.rerun_share)
        if more:
            logs = workdir / "more"
            logs.mkdir()
            for name in copies:
                ingest_more(copies[name], logs, more, args.seed + 1)
            seconds = {name: flag(copies[name], args.base if name == "base" else REPO) for name in copies}
            print(f"re-run       base {seconds['base']:.1f} s, new {seconds['new']:.1f} s ({more:,} new records; "
                  f"one run over all with the new code {seconds['once']:.1f} s)")
            compare("re-run", copies["base"], copies["new"])  # may differ by the stale flags the base keeps
            compare("re-run vs one run", copies["once"], copies["new"])  # "base" here: the one run
    print("verdict           full run: " + ("the same flags and pairs" if same else "DIFFERENT flags or pairs"))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
