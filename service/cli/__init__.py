"""The `casetrail` command line (API.md, "Command line")."""
from __future__ import annotations

import argparse
import sys
from typing import Callable
from urllib.parse import urlparse

from gunicorn.app.base import BaseApplication

from auth.issuer import TokenIssuer
from auth.keys import SigningKeys
from auth.principal import ROLES
from service.app import create_app
from service.cli import audit, demo, issuer, views
from service.config import Config

# Each command module adds its sub-commands here: name -> (configure parser, run).
Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace, Config], int]]


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=8)


def _serve(args: argparse.Namespace, config: Config) -> int:
    class _Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("graceful_timeout", 20)

        def load(self):
            return create_app(config)

    print(f"Casetrail on http://{args.host}:{args.port}  (database: {_safe_url(config.database_url)})",
          file=sys.stderr)
    _Server().run()
    return 0


def _token_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sub", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--role", action="append", required=True, dest="roles")
    p.add_argument("--ttl", type=int, default=None,
                   help="lifetime in seconds (default and maximum: CASETRAIL_TOKEN_TTL, 900)")
    p.add_argument("--country", action="append", dest="countries",
                   help="restrict an analyst's statistics to these countries")


def _token(args: argparse.Namespace, config: Config) -> int:
    if not config.embedded_issuer:
        print("casetrail token needs the embedded issuer (CASETRAIL_OAUTH_JWKS_URL is set)", file=sys.stderr)
        return 2
    unknown = sorted(set(args.roles) - ROLES)
    if unknown:
        print(f"unknown role(s) {unknown}; roles are {sorted(ROLES)}", file=sys.stderr)
        return 2
    if args.ttl is not None and not 0 < args.ttl <= config.token_ttl_seconds:
        # A retired key stays published for one configured lifetime: a longer-lived
        # token would stop verifying after a rotation.
        print(f"--ttl must be between 1 and {config.token_ttl_seconds} (CASETRAIL_TOKEN_TTL)", file=sys.stderr)
        return 2
    keys = SigningKeys(config.var_dir / "keys", config.token_ttl_seconds)
    token_issuer = TokenIssuer(keys, config.issuer, config.oauth_audience, config.token_ttl_seconds)
    extra = {"countries": args.countries} if args.countries else None
    print(token_issuer.issue(args.sub, args.org, args.roles, client_id="cli", ttl_seconds=args.ttl, extra=extra))
    return 0


COMMANDS: dict[str, Command] = {
    "serve": (_serve_args, _serve),
    "token": (_token_args, _token),
    "org": (issuer.org_args, issuer.org),
    "client": (issuer.client_args, issuer.client),
    "rotate-keys": (issuer.rotate_keys_args, issuer.rotate_keys),
    "demo": (demo.demo_args, demo.demo),
    **views.COMMANDS,  # project, rebuild-views
    **audit.COMMANDS,  # verify, export-case, checkpoint, rotate-master-key
}


def _safe_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(parsed.password, "***")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="casetrail", description="Casetrail case management")
    sub = parser.add_subparsers(dest="command", required=True)
    runners = {}
    for name, (configure, run) in COMMANDS.items():
        configure(sub.add_parser(name))
        runners[name] = run
    args = parser.parse_args(argv)
    return runners[args.command](args, Config.from_env())


if __name__ == "__main__":
    sys.exit(main())
