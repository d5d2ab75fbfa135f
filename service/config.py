"""Configuration, read once from the environment (see the README's table). Every
setting's default is here or, where a lower layer owns the value, imported from it
(`DEFAULT_...`): no default is written twice."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from application.cases import DEFAULT_COMMAND_RETRIES
from auth.keys import DEFAULT_TOKEN_TTL_SECONDS
from domain.rules import DEFAULT_REFLECTION_DAYS
from projections.stats_query import DEFAULT_K

EMBEDDED_ISSUER = "casetrail"  # the `iss` of the embedded issuer's tokens unless configured
DEFAULT_AUDIENCE = "casetrail"
MAX_BODY_BYTES = 1024 * 1024


def _var_dir() -> Path:
    return Path(os.environ.get("CASETRAIL_VAR_DIR", "var")).resolve()


def _limit(value: str) -> str:
    # "off" (or empty) disables a rate limit; anything else is a limits string ("30/minute").
    return "" if value.strip().lower() in ("", "off", "0", "none") else value.strip()


@dataclass(frozen=True)
class Config:
    database_url: str
    var_dir: Path
    reflection_days: int = DEFAULT_REFLECTION_DAYS
    max_body_bytes: int = MAX_BODY_BYTES
    command_retries: int = DEFAULT_COMMAND_RETRIES
    stats_k: int = DEFAULT_K
    # OAuth: the embedded issuer is on unless an external issuer is configured.
    oauth_issuer: str | None = None
    oauth_jwks_url: str | None = None
    oauth_audience: str = DEFAULT_AUDIENCE
    oauth_org_claim: str = "org"
    oauth_roles_claim: str = "roles"
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS
    run_projections_in_process: bool = True
    # Wraps the per-case data keys (base64 of 32 bytes); None: a key file under var/.
    master_key: str | None = None
    retired_master_keys: str | None = None  # comma-separated, until rotate-master-key ran
    # Hardening (service/hardening.py). Rate limits are off unless set: from_env
    # turns them on with the production defaults below.
    cors_origins: tuple[str, ...] = ()
    ratelimit_storage: str = "memory://"
    ratelimit_token: str = ""
    ratelimit_writes: str = ""
    trusted_proxies: int = 0

    @property
    def embedded_issuer(self) -> bool:
        # An empty CASETRAIL_OAUTH_JWKS_URL (compose's `${VAR:-}`) means unset too.
        return not self.oauth_jwks_url

    @property
    def issuer(self) -> str:
        """The issuer tokens must name, and audit documents are signed as."""
        return self.oauth_issuer or EMBEDDED_ISSUER

    @classmethod
    def from_env(cls, **overrides) -> Config:
        env = os.environ
        var_dir = Path(overrides.pop("var_dir", None) or _var_dir())
        values = dict(
            database_url=env.get("CASETRAIL_DATABASE_URL") or f"sqlite:///{var_dir / 'casetrail.sqlite'}",
            var_dir=var_dir,
            reflection_days=int(env.get("CASETRAIL_REFLECTION_DAYS", DEFAULT_REFLECTION_DAYS)),
            stats_k=int(env.get("CASETRAIL_STATS_K", DEFAULT_K)),
            oauth_issuer=env.get("CASETRAIL_OAUTH_ISSUER"),
            oauth_jwks_url=env.get("CASETRAIL_OAUTH_JWKS_URL"),
            oauth_audience=env.get("CASETRAIL_OAUTH_AUDIENCE", DEFAULT_AUDIENCE),
            oauth_org_claim=env.get("CASETRAIL_OAUTH_ORG_CLAIM", "org"),
            oauth_roles_claim=env.get("CASETRAIL_OAUTH_ROLES_CLAIM", "roles"),
            token_ttl_seconds=int(env.get("CASETRAIL_TOKEN_TTL", DEFAULT_TOKEN_TTL_SECONDS)),
            master_key=env.get("CASETRAIL_MASTER_KEY") or None,
            retired_master_keys=env.get("CASETRAIL_RETIRED_MASTER_KEYS") or None,
            run_projections_in_process=env.get("CASETRAIL_INPROCESS_PROJECTIONS", "1") not in ("0", "false", "no"),
            cors_origins=tuple(o.strip() for o in env.get("CASETRAIL_CORS_ORIGINS", "").split(",") if o.strip()),
            ratelimit_storage=env.get("CASETRAIL_RATELIMIT_STORAGE", "memory://"),
            ratelimit_token=_limit(env.get("CASETRAIL_RATELIMIT_TOKEN", "30/minute")),
            ratelimit_writes=_limit(env.get("CASETRAIL_RATELIMIT_WRITES", "1200/minute")),
            trusted_proxies=int(env.get("CASETRAIL_TRUSTED_PROXIES", "0")),
        )
        values.update(overrides)
        return cls(**values)
