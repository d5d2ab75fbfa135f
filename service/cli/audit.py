"""`casetrail verify`, `export-case`, `checkpoint` and `rotate-master-key`: integrity
and personal-data keys from the command line.

Exit codes: 0 intact, 1 something does not verify (each break named on stdout),
2 the command could not run (bad file, unknown case)."""
from __future__ import annotations

import argparse
import json
import sys
from uuid import UUID

from service.config import Config
from service.wiring import open_store, signing_keys_for
from store.bundles import NothingToExport, verify_bundle
from store.bundles import export_case as export
from store.case_keys import CaseKeys
from store.checkpoints import Checkpoints, StoreBroken, verify_against_store
from store.database import Database
from store.integrity import verify_store
from store.master_keys import MasterKeys, generate_key_file, retire_key_files


def _read_json(path: str | None) -> dict | None:
    if path is None:
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def verify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", metavar="FILE", help="check the store against a saved checkpoint (JSON)")
    p.add_argument("--bundle", metavar="FILE", help="check an exported case bundle, offline")
    p.add_argument("--jwks", metavar="FILE", help="trust only these keys (a JWKS saved when the file was made)")


def verify(args: argparse.Namespace, config: Config) -> int:
    try:
        jwks = _read_json(args.jwks)
        if args.bundle:  # needs nothing but the file: no database is opened
            problems = verify_bundle(_read_json(args.bundle), jwks)
            return _report(problems, "bundle verifies")
        document = _read_json(args.checkpoint)
    except (OSError, ValueError) as exc:
        print(f"cannot read input: {type(exc).__name__}", file=sys.stderr)
        return 2
    database, cases = open_store(config)
    try:
        if document is not None:
            return _report(verify_against_store(cases, document, jwks),
                           "nothing covered by the checkpoint has changed")
        problems, count = [], 0
        for case_id, report in verify_store(cases):
            count += 1
            if not report.valid:
                problems.append(f"case {case_id}: chain broken at version {report.first_bad_version}"
                                f" ({report.problem})")
        return _report(problems, f"{count} case(s) verified")
    finally:
        cases.close()
        database.close()


def _report(problems: list[str], ok: str) -> int:
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"OK: {ok}")
    return 0


def export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_id", type=UUID)


def export_case(args: argparse.Namespace, config: Config) -> int:
    database, cases = open_store(config)
    try:
        bundle = export(cases, signing_keys_for(config), args.case_id, config.issuer)
    except NothingToExport:
        print(f"no case {args.case_id}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        cases.close()
        database.close()
    json.dump(bundle, sys.stdout, indent=1)
    print()
    return 0


def checkpoint(args: argparse.Namespace, config: Config) -> int:
    database, cases = open_store(config)
    try:
        record = Checkpoints(database, cases, signing_keys_for(config), config.issuer).create("cli")
    except StoreBroken as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        cases.close()
        database.close()
    json.dump(record, sys.stdout, indent=1)
    print()
    return 0


def rotate_master_key(args: argparse.Namespace, config: Config) -> int:
    """Re-wrap every case key under the active master key; no event is touched.
    Embedded default: makes a new key file first and deletes the old ones after.
    Configured keys: set the new CASETRAIL_MASTER_KEY and the old one in
    CASETRAIL_RETIRED_MASTER_KEYS, run this, then drop the retired one."""
    embedded = not config.master_key
    if embedded:
        masters = MasterKeys.from_settings(None, None, config.var_dir)  # makes the first key if none yet
        generate_key_file(masters.directory)
    masters = MasterKeys.from_settings(config.master_key, config.retired_master_keys, config.var_dir)
    database = Database(config.database_url)
    try:
        count = CaseKeys(database, masters).rewrap_all()
    finally:
        database.close()
    if embedded:
        retire_key_files(masters.directory, masters.active_id)
    print(f"re-wrapped {count} case key(s) under master key {masters.active_id}")
    return 0


COMMANDS = {
    "verify": (verify_args, verify),
    "export-case": (export_args, export_case),
    "checkpoint": (lambda p: None, checkpoint),
    "rotate-master-key": (lambda p: None, rotate_master_key),
}
