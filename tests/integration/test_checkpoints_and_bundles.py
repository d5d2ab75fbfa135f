"""Signed checkpoints and case bundles on SQLite and PostgreSQL, through the API
and the `casetrail` command line: what they prove, and what they catch."""
from __future__ import annotations

import json

import pytest

from service.cli import main
from store import sealing
from tests.api.casework import Api
from tests.integration import raw_store


@pytest.fixture
def people(client, auth_header):
    return (Api(client, auth_header("officer-1", "sms", "caseworker")),
            Api(client, auth_header("aud-1", "ombudsman", "auditor")))


@pytest.fixture
def cli(config, monkeypatch, capsys):
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", config.database_url)
    monkeypatch.setenv("CASETRAIL_VAR_DIR", str(config.var_dir))

    def run(*argv: str) -> tuple[int, str]:
        code = main(list(argv))
        return code, capsys.readouterr().out
    return run


def _cases_with_notes(caseworker, n=3):
    ids = []
    for _ in range(n):
        case = caseworker.open_case()
        caseworker.post(f"/cases/{case['id']}/notes", {"text": "a note"})
        ids.append(case["id"])
    return ids


def _rewrite_with_recomputed_chain(url, case_id, from_version):
    """What a database administrator could do: change a row and reseal it and every later row."""
    rows = raw_store.rows(url, case_id)
    prev = sealing.unpack(rows[from_version - 2][2]).hash if from_version > 1 else sealing.GENESIS
    for version, topic, state in rows[from_version - 1:]:
        body = sealing.unpack(state).body
        if version == from_version:
            body = body.replace(b'"effective_at":null', b'"effective_at":"2020-01-01"')
        new = sealing.seal(prev, case_id, version, topic, body)
        raw_store.set_state(url, case_id, version, new)
        prev = sealing.unpack(new).hash


def test_a_checkpoint_is_signed_stored_and_served(people):
    caseworker, auditor = people
    assert auditor.get("/audit/checkpoints/latest").status_code == 404
    _cases_with_notes(caseworker, 2)
    made = auditor.post("/audit/checkpoints")
    assert made.status_code == 201, made.json
    assert made.json["cases"] == 2 and made.json["events"] == 4 and made.json["position"] >= 4
    assert auditor.get("/audit/checkpoints/latest").json == made.json
    assert caseworker.post("/audit/checkpoints").status_code == 403


def test_the_store_verifies_against_an_untouched_checkpoint(people, cli, tmp_path):
    caseworker, auditor = people
    _cases_with_notes(caseworker)
    (tmp_path / "cp.json").write_text(json.dumps(auditor.post("/audit/checkpoints").json))
    _cases_with_notes(caseworker, 1)  # later events are not the checkpoint's business
    assert cli("verify", "--checkpoint", str(tmp_path / "cp.json"))[0] == 0
    assert cli("verify")[0] == 0


def test_a_rewritten_chain_passes_integrity_but_not_the_checkpoint(people, cli, tmp_path, database_url):
    caseworker, auditor = people
    ids = _cases_with_notes(caseworker)
    (tmp_path / "cp.json").write_text(json.dumps(auditor.post("/audit/checkpoints").json))
    _rewrite_with_recomputed_chain(database_url, ids[1], 2)
    assert auditor.get(f"/cases/{ids[1]}/integrity").json["valid"] is True  # the chain alone is fooled
    code, out = cli("verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert code == 1 and ids[1] in out and "version 2" in out


def test_a_truncated_case_is_caught_by_the_checkpoint(people, cli, tmp_path, database_url):
    caseworker, auditor = people
    ids = _cases_with_notes(caseworker)
    (tmp_path / "cp.json").write_text(json.dumps(auditor.post("/audit/checkpoints").json))
    raw_store.delete(database_url, ids[0], 2)
    code, out = cli("verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert code == 1 and ids[0] in out


def test_verify_names_each_broken_case_and_version(people, cli, database_url):
    caseworker, _ = people
    ids = _cases_with_notes(caseworker)
    rows = raw_store.rows(database_url, ids[2])
    raw_store.set_state(database_url, ids[2], 2, raw_store.flip_byte(rows[1][2]))
    code, out = cli("verify")
    assert code == 1 and f"case {ids[2]}: chain broken at version 2" in out and ids[0] not in out


def test_a_forged_checkpoint_signature_is_refused(people, cli, tmp_path):
    caseworker, auditor = people
    _cases_with_notes(caseworker, 1)
    document = auditor.post("/audit/checkpoints").json
    head, payload, signature = document["jws"].split(".")
    document["jws"] = ".".join([head, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    (tmp_path / "cp.json").write_text(json.dumps(document))
    code, out = cli("verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert code == 1 and "signature" in out


def test_an_exported_bundle_verifies_offline_and_catches_any_change(people, cli, tmp_path, client):
    caseworker, _ = people
    case_id = _cases_with_notes(caseworker, 1)[0]
    code, out = cli("export-case", case_id)
    assert code == 0
    bundle = json.loads(out)
    assert b"Aziz" not in json.dumps(bundle).encode()  # rows as stored: personal values are ciphertext
    (tmp_path / "b.json").write_text(out)
    (tmp_path / "jwks.json").write_text(json.dumps(client.get("/.well-known/jwks.json").json))
    assert cli("verify", "--bundle", str(tmp_path / "b.json"), "--jwks", str(tmp_path / "jwks.json"))[0] == 0
    bundle["events"].pop()
    (tmp_path / "b2.json").write_text(json.dumps(bundle))
    code, out = cli("verify", "--bundle", str(tmp_path / "b2.json"))
    assert code == 1 and case_id in out
    (tmp_path / "other.json").write_text(json.dumps({"keys": [{**bundle["jwk"], "kid": "x",
                                                               "x": bundle["jwk"]["y"]}]}))
    assert cli("verify", "--bundle", str(tmp_path / "b.json"), "--jwks", str(tmp_path / "other.json"))[0] == 1
