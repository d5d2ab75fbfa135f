"""Organisations and API clients in side tables, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading

import pytest

from auth.stores import AuthStore, DuplicateOrganisation, UnknownOrganisation, hash_secret, verify_secret
from store.database import Database


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    yield database
    database.close()


def test_workers_creating_the_tables_at_once_do_not_collide(database):
    errors = []

    def start_worker():
        try:
            AuthStore(database)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start_worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_client_belongs_to_a_registered_organisation(database):
    store = AuthStore(database)
    with pytest.raises(UnknownOrganisation):
        store.add_client("iom", ["caseworker"])
    store.add_organisation("iom", "IOM")
    client, secret = store.add_client("iom", ["caseworker", "caseworker", "dpo"], "app")
    loaded = store.client(client.client_id)
    assert loaded.org == "iom" and loaded.roles == ("caseworker", "dpo") and loaded.name == "app"
    assert loaded.check_secret(secret) and not loaded.check_secret(secret + "x")
    assert store.client("iom-unknown") is None


def test_organisation_codes_are_unique_and_well_formed(database):
    store = AuthStore(database)
    store.add_organisation("sms", "State Migration Service")
    with pytest.raises(DuplicateOrganisation):
        store.add_organisation("sms", "Again")
    with pytest.raises(ValueError):
        store.add_organisation("bad code; --", "Bad")


def test_a_disabled_client_no_longer_authenticates(database):
    store = AuthStore(database)
    store.add_organisation("sms", "SMS")
    client, secret = store.add_client("sms", ["analyst"])
    assert store.disable_client(client.client_id)
    assert store.client(client.client_id).disabled


def test_secret_hashes_are_salted_scrypt_and_verified_in_constant_time():
    first, second = hash_secret("s3cret"), hash_secret("s3cret")
    assert first != second and first.startswith("scrypt$")
    assert verify_secret("s3cret", first) and verify_secret("s3cret", second)
    assert not verify_secret("s3cret!", first)
    assert not verify_secret("s3cret", "plain$text") and not verify_secret("s3cret", "garbage")
