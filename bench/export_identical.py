"""Check: the export of this checkout writes the same snapshot as another commit's, on the same store.

    .venv/bin/python bench/export_identical.py --base main --tasks 100000

Builds bench/export.py's project once (`--tasks` correction tasks), copies it twice, runs one SFT
export (`build_export` + `write_snapshot`, default spec, seed 0) in a fresh process with each
checkout's `annotate` (the base from `git archive BASE`), and compares train.jsonl and eval.jsonl
byte for byte and manifest.json line by line, except its `created_at` and `code_version` lines.
Prints each export's seconds (cold process, imports included) and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)

from bench import export as bench  # noqa: E402

RUN = """
import sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
from annotate.export.build import build_export
from annotate.export.snapshot import write_snapshot
from annotate.export.spec import ExportSpec
from annotate.project import find_project
project = find_project(sys.argv[2])
with project.open_store() as store:
    write_snapshot(store, project, "same", build_export(store, project, "sft", ExportSpec(), seed=0))
print(f"{time.perf_counter() - started:.1f}")
"""
VOLATILE = ('"created_at"', '"code_version"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="main", help="the commit to compare with")
    parser.add_argument("--tasks", type=int, default=100_000)
    args = parser.parse_args()
    settings = bench.options().parse_args(["--tasks", str(args.tasks)])
    with tempfile.TemporaryDirectory(prefix="flywheel-same-") as folder:
        work = Path(folder)
        base = work / "base-code"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.base, "annotate"], cwd=REPO, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        project, *_ = bench.build_project(work / "store", settings)
        snapshots = {}
        for label, code in (("base", base), ("this checkout", REPO)):
            copy = work / f"store-{label.replace(' ', '-')}"
            shutil.copytree(project.root, copy)
            seconds = subprocess.run([sys.executable, "-c", RUN, str(code), str(copy)], check=True, capture_output=True,
                                     text=True).stdout.strip()  # fmt: skip
            print(f"{label:14s} {args.base if label == 'base' else 'HEAD'}: export {seconds} s")
            snapshots[label] = copy / "exports" / "same" / "v1"
        print("RESULT:", "identical" if same(snapshots["base"], snapshots["this checkout"]) else "DIFFERENT")


def same(old: Path, new: Path) -> bool:
    ok = True
    for name in ("train.jsonl", "eval.jsonl"):
        equal = (old / name).read_bytes() == (new / name).read_bytes()
        print(f"  {name}: {'identical' if equal else 'DIFFERENT'} ({(old / name).stat().st_size:,} bytes)")
        ok &= equal
    lines = [(old / "manifest.json").read_text().splitlines(), (new / "manifest.json").read_text().splitlines()]
    differing = [a for a, b in zip(*lines) if a != b and not any(key in a for key in VOLATILE)]
    equal = len(lines[0]) == len(lines[1]) and not differing
    print(f"  manifest.json: {len(lines[0]):,} lines, {'identical' if equal else 'DIFFERENT'} apart from created_at and code_version")
    return ok and equal


if __name__ == "__main__":
    main()
