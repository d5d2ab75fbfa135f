"""The event store and everything kept beside it: the database handle, the
recorder, the mapper that encrypts personal values with a per-case key and seals
every row into its case's hash chain, the keys, integrity checks, checkpoints and
bundles. `build_mapper` is what `application.cases.Cases` uses; the rest reads
the rows it writes. Nothing here knows HTTP, the use cases or the views."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from store.case_keys import CaseKeyDestroyed, CaseKeys
from store.database import Database
from store.mapper import SealingMapper
from store.master_keys import MasterKeys


def case_keys_for(database_url: str, master_key: str | None, retired_master_keys: str | None,
                  var_dir: Path, database: Database | None = None) -> CaseKeys:
    """The case keys beside the events at `database_url`, wrapped by the configured
    master key (or, for the embedded default, the key files under `var_dir`)."""
    masters = MasterKeys.from_settings(master_key, retired_master_keys, var_dir)
    if database is None:
        return CaseKeys(Database(database_url), masters, owns_database=True)
    return CaseKeys(database, masters)


def build_mapper(app: Any, case_keys: CaseKeys) -> SealingMapper:
    """The mapper for a `Cases` application (its transcoder, these case keys)."""
    return SealingMapper(app.construct_transcoder(), case_keys)


__all__ = ["CaseKeyDestroyed", "CaseKeys", "SealingMapper", "build_mapper", "case_keys_for"]
