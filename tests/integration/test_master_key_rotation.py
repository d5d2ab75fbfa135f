"""`casetrail rotate-master-key` re-wraps every case key and touches no event;
configured keys rotate through CASETRAIL_RETIRED_MASTER_KEYS. SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import os
from uuid import UUID

import pytest

from service.app import create_app
from service.cli import main
from service.config import Config
from store.database import Database
from store.master_keys import MasterKeyError, MasterKeys
from tests.api.casework import Api
from tests.integration import raw_store


def _wrapped(url: str) -> dict:
    database = Database(url)
    try:
        with database.transaction() as cur:
            return {r[0]: (r[1], r[2]) for r in cur.execute(
                "SELECT case_id, master_key_id, wrapped_key FROM case_keys").fetchall()}
    finally:
        database.close()


def _open_cases(client, auth_header, n=3) -> list[str]:
    api = Api(client, auth_header("officer-1", "sms", "caseworker"))
    return [api.open_case()["id"] for _ in range(n)]


def test_embedded_rotation_rewraps_every_key_and_no_event(app, client, auth_header, config, monkeypatch):
    ids = _open_cases(client, auth_header)
    events_before = {i: raw_store.rows(config.database_url, i) for i in ids}
    before = _wrapped(config.database_url)
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", config.database_url)
    monkeypatch.setenv("CASETRAIL_VAR_DIR", str(config.var_dir))
    assert main(["rotate-master-key"]) == 0
    after = _wrapped(config.database_url)
    assert all(after[i][0] != before[i][0] and after[i][1] != before[i][1] for i in ids)
    assert len(list((config.var_dir / "master-keys").glob("*.key"))) == 1  # the old key is gone
    assert {i: raw_store.rows(config.database_url, i) for i in ids} == events_before
    app.extensions["casetrail.cases"].mapper.case_keys._cache.clear()  # a fresh process, as it were

    fresh = create_app(config)
    try:
        assert fresh.extensions["casetrail.cases"].get_case(UUID(ids[0])).person["given_name"] == "Aziz"
    finally:
        fresh.extensions["casetrail.services"].close()


def test_configured_keys_rotate_with_the_old_one_retired(database_url, tmp_path, monkeypatch):
    old, new = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    config = Config(database_url=database_url, var_dir=tmp_path / "var", master_key=old)
    app = create_app(config)
    issuer = app.extensions["casetrail.issuer"]
    header = {"Authorization": "Bearer " + issuer.issue("officer-1", "sms", ["caseworker"], client_id="c")}
    case_id = Api(app.test_client(), header).open_case()["id"]
    app.extensions["casetrail.services"].close()
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", database_url)
    monkeypatch.setenv("CASETRAIL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CASETRAIL_MASTER_KEY", new)
    monkeypatch.setenv("CASETRAIL_RETIRED_MASTER_KEYS", old)
    assert main(["rotate-master-key"]) == 0
    monkeypatch.delenv("CASETRAIL_RETIRED_MASTER_KEYS")
    rotated = create_app(Config.from_env(var_dir=tmp_path / "var"))
    try:
        assert rotated.extensions["casetrail.cases"].get_case(UUID(case_id)).person["family_name"] == "Karimi"
    finally:
        rotated.extensions["casetrail.services"].close()


def test_a_case_key_wrapped_by_an_unknown_master_key_is_refused(database_url, tmp_path):
    keys = MasterKeys([os.urandom(32)])
    kid, wrapped = keys.wrap("c-1", os.urandom(32))
    with pytest.raises(MasterKeyError):
        MasterKeys([os.urandom(32)]).unwrap("c-1", kid, wrapped)
