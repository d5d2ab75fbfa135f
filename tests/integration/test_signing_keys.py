"""The embedded issuer's signing keys: private files, rotation without breaking
tokens already out there, and retired keys leaving the JWKS once their tokens expired."""
from __future__ import annotations

import stat
import threading
import uuid

from auth.issuer import TokenIssuer
from auth.keys import RETENTION_MARGIN_SECONDS, SigningKeys
from auth.tokens import TokenRejected

PROTECTED = f"/cases/{uuid.UUID(int=7)}"


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def kids(keys: SigningKeys) -> list[str]:
    return [k.kid for k in keys.published().keys]


def test_private_key_files_are_readable_by_the_owner_only(tmp_path):
    keys = SigningKeys(tmp_path / "keys")
    files = list((tmp_path / "keys").glob("*.json"))
    assert [f.stem for f in files] == [keys.active().kid]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_a_restart_reuses_the_existing_key(tmp_path):
    first = SigningKeys(tmp_path / "keys").active().kid
    assert SigningKeys(tmp_path / "keys").active().kid == first


def test_workers_starting_together_create_one_key(tmp_path):
    results = []
    threads = [threading.Thread(target=lambda: results.append(SigningKeys(tmp_path / "keys").active().kid))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert len(list((tmp_path / "keys").glob("*.json"))) == 1


def test_the_published_set_has_no_private_parts(tmp_path):
    published = SigningKeys(tmp_path / "keys").published().as_dict(private=False)
    assert all("d" not in k for k in published["keys"])


def test_after_rotation_the_new_key_signs_and_the_old_one_stays_published(tmp_path):
    keys = SigningKeys(tmp_path / "keys")
    old = keys.active().kid
    new = keys.rotate()
    assert new != old and keys.active().kid == new
    assert set(kids(keys)) == {old, new}


def test_the_old_key_leaves_the_jwks_once_its_tokens_have_expired(tmp_path):
    clock = FakeClock()
    keys = SigningKeys(tmp_path / "keys", token_ttl_seconds=600, clock=clock)
    old = keys.active().kid
    clock.now += 100
    new = keys.rotate()
    clock.now += 600 + RETENTION_MARGIN_SECONDS - 1  # its last token may still be valid
    assert set(kids(keys)) == {old, new}
    clock.now += 2
    assert kids(keys) == [new]
    # The next rotation deletes the retired private key from disk.
    clock.now += 1
    newest = keys.rotate()
    assert {p.stem for p in (tmp_path / "keys").glob("*.json")} == {new, newest}


def test_a_token_signed_by_the_previous_key_is_still_accepted_after_rotation(app, client, token):
    before = token("u1", "unhcr", "caseworker")
    app.extensions["casetrail.signing_keys"].rotate()
    after = token("u1", "unhcr", "caseworker")
    assert before.split(".")[0] != after.split(".")[0]  # another kid in the header
    for t in (before, after):
        assert client.get(PROTECTED, headers={"Authorization": f"Bearer {t}"}).status_code != 401


def test_a_key_rotated_by_another_process_is_picked_up_on_its_first_token(app, client, config):
    # `casetrail rotate-keys` runs in its own process: the server learns of the
    # new key when a token names it (unknown kid -> re-read, rate-limited).
    other_process = SigningKeys(config.var_dir / "keys", config.token_ttl_seconds)
    other_process.rotate()
    issuer = TokenIssuer(other_process, "casetrail", config.oauth_audience)
    fresh = issuer.issue("u1", "unhcr", ["caseworker"])
    assert client.get(PROTECTED, headers={"Authorization": f"Bearer {fresh}"}).status_code != 401
    jwks = client.get("/.well-known/jwks.json").json["keys"]
    assert other_process.active().kid in [k["kid"] for k in jwks]


def test_a_retired_key_no_longer_verifies(app, client, token, config):
    clock = FakeClock()
    keys = app.extensions["casetrail.signing_keys"]
    keys.clock = clock
    old_token = token("u1", "unhcr", "caseworker")
    keys.rotate()
    clock.now += keys.retention_seconds + 1
    keys.refresh()
    # The old key is gone from the set: the token fails on its kid, not on expiry.

    validator = app.extensions["casetrail.token_validator"]
    try:
        validator.verified_claims(old_token)
    except TokenRejected as exc:
        assert exc.reason == "kid"
    else:
        raise AssertionError("a token of a retired key was accepted")
