"""`casetrail demo`: load the demo data set (application/demo) once."""
from __future__ import annotations

import argparse
import sys
from datetime import date

from application import demo as demo_data
from service.config import Config
from service.wiring import open_services


def demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=2026, help="same seed, same data set")
    p.add_argument("--cases", type=int, default=400, help="how many cases (default 400)")
    p.add_argument("--until", type=date.fromisoformat, default=None,
                   help="the last day of the two years covered (default: today)")


def demo(args: argparse.Namespace, config: Config) -> int:
    # The views follow in this process while it loads (unless the runner is a
    # process of its own); `casetrail serve` or `casetrail project` brings them up
    # to date from wherever this one stopped.
    services = open_services(config, run_projections=config.run_projections_in_process)
    try:
        if demo_data.already_loaded(services.database, args.seed):
            print(f"demo data with seed {args.seed} is already loaded; nothing written", file=sys.stderr)
            return 0
        print(f"loading {args.cases} demo cases (seed {args.seed}) ...", file=sys.stderr)
        tally = demo_data.load_once(services.database, services.cases, args.seed, args.cases, args.until)
    finally:
        services.close()
    if tally is None:  # another loader finished first
        print(f"demo data with seed {args.seed} is already loaded; nothing written", file=sys.stderr)
        return 0
    refused = ", ".join(f"{rule} {n}" for rule, n in tally.refused.most_common())
    print(f"{tally.cases} cases, {tally.events} events; refused by the rules: {refused or 'none'}")
    print("stories: " + ", ".join(f"{name} {n}" for name, n in sorted(tally.stories.items())))
    return 0
