"""How events are stored: personal values encrypted with a per-case key, every row
sealed into its case's hash chain. `build_mapper` is what `Cases` uses; the rest
(integrity, history, checkpoints, bundles) reads the rows it writes."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from service.database import Database
from service.storage.case_keys import CaseKeyDestroyed, CaseKeys
from service.storage.mapper import SealingMapper
from service.storage.master_keys import MasterKeys


def case_keys_for(database_url: str, master_key: str | None, retired_master_keys: str | None,
                  var_dir: Path, database: Database | None = None) -> CaseKeys:
    masters = MasterKeys.from_settings(master_key, retired_master_keys, var_dir)
    if database is None:
        return CaseKeys(Database(database_url), masters, owns_database=True)
    return CaseKeys(database, masters)


def build_mapper(app: Any, case_keys: CaseKeys | None) -> SealingMapper:
    """The mapper for a `Cases` application. Without given case keys (scripts and
    tests that build `Cases` from persistence settings alone) they are found from
    the same database and the process's configuration."""
    if case_keys is None:
        from service.config import Config

        config = Config.from_env()
        case_keys = case_keys_for(database_url_from_env(app.env), config.master_key,
                                  config.retired_master_keys, config.var_dir)
    return SealingMapper(app.construct_transcoder(), case_keys)


def database_url_from_env(env: Any) -> str:
    """The database URL behind an eventsourcing environment (inverse of persistence_env)."""
    module = env.get("PERSISTENCE_MODULE") or ""
    if module.endswith("sqlite"):
        return "sqlite:///" + os.path.abspath(env.get("SQLITE_DBNAME"))
    if module.endswith("postgres"):
        user = quote(env.get("POSTGRES_USER") or "postgres")
        password = env.get("POSTGRES_PASSWORD") or ""
        auth = f"{user}:{quote(password)}" if password else user
        url = (f"postgresql://{auth}@{env.get('POSTGRES_HOST') or '127.0.0.1'}:{env.get('POSTGRES_PORT') or 5432}"
               f"/{env.get('POSTGRES_DBNAME')}")
        schema = env.get("POSTGRES_SCHEMA")
        return url + (f"?schema={schema}" if schema else "")
    raise ValueError("the event store must be SQLite or PostgreSQL to keep case keys beside it")


__all__ = ["CaseKeyDestroyed", "CaseKeys", "SealingMapper", "build_mapper", "case_keys_for"]
