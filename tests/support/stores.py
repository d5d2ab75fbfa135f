"""Use cases over a test database without the HTTP edge: what `service.wiring`
builds, with the embedded default's master key under the test's var dir."""
from __future__ import annotations

from pathlib import Path

from application.cases import Cases
from store import case_keys_for
from store.case_keys import CaseKeys
from store.database import Database, persistence_env


def open_cases(database_url: str, var_dir: Path, **kwargs) -> Cases:
    return Cases(env=persistence_env(database_url),
                 case_keys=case_keys_for(database_url, None, None, var_dir), **kwargs)


def another_process(cases: Cases, database_url: str) -> Cases:
    """A second application object over the same store and master key, with
    connections of its own: it stands for another gunicorn worker."""
    keys = CaseKeys(Database(database_url), cases.mapper.case_keys.master_keys, owns_database=True)
    return Cases(env=persistence_env(database_url), case_keys=keys)
