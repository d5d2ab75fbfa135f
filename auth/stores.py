"""Organisations and API clients of the embedded issuer, in side tables.

Client secrets are stored only as salted scrypt hashes: a leaked table (backup,
replica, a curious DBA) must not hand out working credentials. The plain secret
is returned once, when the client is created.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

from auth.principal import ROLES
from store.database import Database

# RFC 7914 parameters: ~50 ms and 16 MiB per check; a secret is 256 random bits,
# so the cost only guards against a leaked table being brute-forced cheaply.
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
_ORG_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS organisations (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS oauth_clients (
        client_id TEXT PRIMARY KEY,
        org TEXT NOT NULL REFERENCES organisations (code),
        roles TEXT NOT NULL,
        name TEXT,
        secret_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0)""",
)


class UnknownOrganisation(ValueError):
    pass


class DuplicateOrganisation(ValueError):
    pass


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str


@dataclass(frozen=True)
class ApiClient:
    client_id: str
    org: str
    roles: tuple[str, ...]
    name: str | None
    secret_hash: str
    disabled: bool = False

    def check_secret(self, secret: str) -> bool:
        return verify_secret(secret, self.secret_hash)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT, dklen=32)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        **_SCRYPT, salt=_b64(salt), digest=_b64(digest))


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(_unb64(digest)))
    except (ValueError, TypeError):
        return False
    # Constant time: the comparison must not tell how many leading bytes matched.
    return hmac.compare_digest(actual, _unb64(digest))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# A well-formed hash of nothing anyone knows: checked against when the client id is
# unknown, so the answer takes as long as for a known client (no id oracle by timing).
DUMMY_HASH = hash_secret(secrets.token_urlsafe(32))


class AuthStore:
    """The organisations and clients tables on the side database."""

    def __init__(self, database: Database):
        self.database = database
        self.create_tables()

    def create_tables(self) -> None:
        with self.database.transaction() as cur:
            if self.database.kind == "postgres":
                # Workers start together, and concurrent CREATE TABLE IF NOT EXISTS
                # races on PostgreSQL's catalogue (unique violation on pg_type):
                # one creator at a time. (SQLite's BEGIN IMMEDIATE already serialises.)
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('casetrail.auth_store'))")
            for statement in _SCHEMA:
                cur.execute(statement)

    # ---- organisations ----------------------------------------------------------
    def add_organisation(self, code: str, name: str) -> Organisation:
        if not _ORG_CODE.match(code):
            raise ValueError("an organisation code is 1-63 letters, digits, '.', '-' or '_'")
        if not name.strip():
            raise ValueError("an organisation needs a name")
        with self.database.transaction() as cur:
            if cur.execute("SELECT 1 FROM organisations WHERE code = %s", (code,)).fetchone():
                raise DuplicateOrganisation(code)
            cur.execute("INSERT INTO organisations (code, name, created_at) VALUES (%s, %s, %s)",
                        (code, name.strip(), int(time.time())))
        return Organisation(code, name.strip())

    def organisation(self, code: str) -> Organisation | None:
        with self.database.transaction() as cur:
            row = cur.execute("SELECT code, name FROM organisations WHERE code = %s", (code,)).fetchone()
        return Organisation(*row) if row else None

    def organisations(self) -> list[Organisation]:
        with self.database.transaction() as cur:
            rows = cur.execute("SELECT code, name FROM organisations ORDER BY code").fetchall()
        return [Organisation(*row) for row in rows]

    # ---- clients ------------------------------------------------------------------
    def add_client(self, org: str, roles: list[str], name: str | None = None) -> tuple[ApiClient, str]:
        """Register a client of a registered organisation; returns it and its secret,
        which is not stored and cannot be shown again."""
        unknown = sorted(set(roles) - ROLES)
        if not roles or unknown:
            raise ValueError(f"roles must be some of {sorted(ROLES)}; unknown: {unknown}")
        client_id = f"{org}-{secrets.token_hex(8)}"
        secret = secrets.token_urlsafe(32)
        client = ApiClient(client_id, org, tuple(dict.fromkeys(roles)), name, hash_secret(secret))
        with self.database.transaction() as cur:
            if not cur.execute("SELECT 1 FROM organisations WHERE code = %s", (org,)).fetchone():
                raise UnknownOrganisation(org)
            cur.execute(
                "INSERT INTO oauth_clients (client_id, org, roles, name, secret_hash, created_at, disabled)"
                " VALUES (%s, %s, %s, %s, %s, %s, 0)",
                (client.client_id, org, json.dumps(list(client.roles)), name, client.secret_hash,
                 int(time.time())))
        return client, secret

    def client(self, client_id: str) -> ApiClient | None:
        with self.database.transaction() as cur:
            row = cur.execute("SELECT client_id, org, roles, name, secret_hash, disabled FROM oauth_clients"
                              " WHERE client_id = %s", (client_id,)).fetchone()
        if row is None:
            return None
        return ApiClient(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4], bool(row[5]))

    def disable_client(self, client_id: str) -> bool:
        with self.database.transaction() as cur:
            return cur.execute("UPDATE oauth_clients SET disabled = 1 WHERE client_id = %s",
                               (client_id,)).rowcount == 1
