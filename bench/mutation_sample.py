"""Mutation score of specmerge/core files with mutmut 3.x, on a fixed random sample.

    pip install 'mutmut>=3.3,<4'
    python3 bench/mutation_sample.py specmerge/core/secrets.py specmerge/core/validate.py
    python3 bench/mutation_sample.py --sample 0 specmerge/core/merge.py     # every mutant

mutmut's configuration is pyproject.toml's ``[tool.mutmut]`` (which files may be mutated,
which tests run). A full run of one file is hundreds of mutants; on two shared cores this
samples ``--sample`` mutants per file (seeded: the same sample every run, so scores compare)
and prints, per file, killed / sampled and the surviving mutants' names (``mutmut show NAME``
prints the diff). Exit codes per mutmut: 1 (a test failed) and timeouts count as killed;
0 survived; 33/34 (no test covers it) count as survived - no test pins that code.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

KILLED = {1, 3, -24, 24, 36, 37, 152, 255, -9, -11}  # test failure, timeouts/segfault: the mutant was noticed


def mutant_names(meta: Path) -> list[str]:
    return sorted(json.loads(meta.read_text())["exit_code_by_key"])


def generate() -> None:
    """mutmut writes every mutant (mutants/**.meta) before it filters by name."""
    subprocess.run(["mutmut", "run", "specmerge-mutation-sample-generate-only"], capture_output=True, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--sample", type=int, default=50, help="mutants per file (0: all)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-children", type=int, default=2)
    args = parser.parse_args()
    generate()
    chosen: dict[Path, list[str]] = {}
    for f in args.files:
        meta = Path("mutants") / f.with_suffix(".py.meta")
        if not meta.exists():
            print(f"{f}: no mutants generated (is it under [tool.mutmut] only_mutate?)", file=sys.stderr)
            return 2
        names = mutant_names(meta)
        chosen[f] = names if args.sample <= 0 or args.sample >= len(names) else \
            sorted(random.Random(f"{args.seed}:{f}").sample(names, args.sample))
    every = [n for names in chosen.values() for n in names]
    subprocess.run(["mutmut", "run", "--max-children", str(args.max_children), *every], check=False)
    for f, names in chosen.items():
        codes = json.loads((Path("mutants") / f.with_suffix(".py.meta")).read_text())["exit_code_by_key"]
        survived = [n for n in names if codes.get(n) not in KILLED]
        killed = len(names) - len(survived)
        print(f"{f}: {killed}/{len(names)} killed ({100 * killed / len(names):.0f}%)")
        for n in survived:
            print(f"  survived: {n} (exit {codes.get(n)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
