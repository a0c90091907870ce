"""Regenerate the pinned headline results of the bundled scenarios, on purpose.

    python tests/baselines/regenerate.py            # rewrite tests/baselines/headline.json
    python tests/baselines/regenerate.py --check    # only say what would change (exit 1 if anything)

Every bundled scenario file and each of its variants is run once over its own horizon with its own
seed, and every indicator of :func:`simulator.compute_metrics` is pinned. ``tests/test_baselines.py``
fails when a change moves any of them: a change of model semantics that moves a headline number on
purpose regenerates this file in the same commit and says why in the commit message (the diff of
``headline.json`` then shows exactly which numbers moved, and by how much).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BASELINE = Path(__file__).with_name("headline.json")


def cases() -> list[tuple[str, str | None]]:
    """(scenario file name, variant or None) of every bundled scenario and variant."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import bundled_cases

    return bundled_cases()


def case_key(name: str, variant: str | None) -> str:
    return name if variant is None else f"{name}#{variant}"


def headline(name: str, variant: str | None) -> dict[str, float | None]:
    """Every indicator of one full run of a bundled scenario (NaN stored as None, JSON has no NaN)."""
    from simulator import compute_metrics, load_scenario, run_scenario

    scenario, _ = load_scenario(SCENARIOS / name, variant=variant)
    values = compute_metrics(run_scenario(scenario))
    return {key: (None if isinstance(value, float) and math.isnan(value) else float(value))
            for key, value in sorted(values.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report changes without writing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    pinned = {case_key(n, v): headline(n, v) for n, v in cases()}
    old = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    changed = sorted(k for k in set(pinned) | set(old) if pinned.get(k) != old.get(k))
    for key in changed:
        print(f"changed: {key}")
    if args.check:
        return 1 if changed else 0
    text = json.dumps(pinned, indent=1, sort_keys=True) + "\n"
    BASELINE.write_text(text, encoding="utf-8")
    print(f"wrote {BASELINE.relative_to(ROOT)} ({len(pinned)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
