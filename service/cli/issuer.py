"""`casetrail org add`, `casetrail client add`, `casetrail rotate-keys`: the
embedded issuer's organisations, API clients and signing keys."""
from __future__ import annotations

import argparse
import sys

from auth.keys import SigningKeys
from auth.stores import AuthStore, DuplicateOrganisation, UnknownOrganisation
from service.config import Config
from store.database import Database


def _needs_embedded_issuer(config: Config, command: str) -> bool:
    if config.embedded_issuer:
        return True
    print(f"casetrail {command} needs the embedded issuer (CASETRAIL_OAUTH_JWKS_URL is set: "
          "register organisations and clients at your provider)", file=sys.stderr)
    return False


def _store(config: Config) -> AuthStore:
    return AuthStore(Database(config.database_url))


def org_args(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register an organisation")
    add.add_argument("code", help="short code, e.g. unhcr-kz; becomes the tokens' org claim")
    add.add_argument("--name", required=True)
    actions.add_parser("list", help="list the organisations")


def org(args: argparse.Namespace, config: Config) -> int:
    if not _needs_embedded_issuer(config, "org"):
        return 2
    store = _store(config)
    try:
        if args.action == "list":
            for organisation in store.organisations():
                print(f"{organisation.code}\t{organisation.name}")
            return 0
        organisation = store.add_organisation(args.code, args.name)
    except DuplicateOrganisation:
        print(f"organisation {args.code!r} already exists", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        store.database.close()
    print(f"organisation {organisation.code} added")
    return 0


def client_args(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register an API client (client_credentials)")
    add.add_argument("--org", required=True, help="a registered organisation's code")
    add.add_argument("--role", action="append", required=True, dest="roles")
    add.add_argument("--name", default=None, help="what the client is, e.g. the partner app")
    disable = actions.add_parser("disable", help="stop a client from getting new tokens")
    disable.add_argument("client_id")


def client(args: argparse.Namespace, config: Config) -> int:
    if not _needs_embedded_issuer(config, "client"):
        return 2
    store = _store(config)
    try:
        if args.action == "disable":
            found = store.disable_client(args.client_id)
            print(f"client {args.client_id} {'disabled' if found else 'not found'}")
            return 0 if found else 1
        api_client, secret = store.add_client(args.org, args.roles, args.name)
    except UnknownOrganisation:
        print(f"no organisation {args.org!r}: add it first with `casetrail org add`", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        store.database.close()
    # The secret goes to stdout once, for the operator to hand over; it is stored
    # only as a hash and cannot be shown again.
    print(f"client_id={api_client.client_id}")
    print(f"client_secret={secret}")
    print("Keep the secret now: it cannot be shown again.", file=sys.stderr)
    return 0


def rotate_keys_args(p: argparse.ArgumentParser) -> None:
    pass


def rotate_keys(args: argparse.Namespace, config: Config) -> int:
    if not _needs_embedded_issuer(config, "rotate-keys"):
        return 2
    keys = SigningKeys(config.var_dir / "keys", config.token_ttl_seconds)
    kid = keys.rotate()
    # Running servers pick the new key up within RELOAD_SECONDS; until then they
    # still sign with the old one, which stays published for a token lifetime.
    print(f"new signing key {kid}; older keys stay published for {int(keys.retention_seconds)} s")
    return 0
