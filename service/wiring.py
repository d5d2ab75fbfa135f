"""The one place where the parts are built from the configuration: the database,
the case keys, the use cases, the side tables, the views, the audit key, and the
projection runner of the embedded default. `create_app` and every command of the
CLI start here, so a setting means the same everywhere."""
from __future__ import annotations

from dataclasses import dataclass

from application import access_log
from application.cases import Cases, Observer
from application.idempotency import IdempotencyStore
from auth.keys import SigningKeys
from projections import all_projections, embedded
from projections.runner import ensure_tables
from projections.service import ProjectionService
from service.config import Config
from store import case_keys_for
from store.checkpoints import Checkpoints
from store.database import Database, persistence_env


@dataclass
class Services:
    config: Config
    database: Database
    cases: Cases
    idempotency: IdempotencyStore
    checkpoints: Checkpoints
    signing_keys: SigningKeys  # signs checkpoints and bundles (and tokens, when embedded)
    projections: ProjectionService | None = None  # the in-process runner, if this process runs one

    def close(self) -> None:
        # The runner first: it uses the other two.
        if self.projections is not None:
            embedded.stop(self.projections)
            self.projections = None
        self.cases.close()
        self.database.close()


def signing_keys_for(config: Config) -> SigningKeys:
    """The key ring that signs audit documents: the embedded issuer's own, or with
    an external token provider, an audit key of this service's."""
    directory = "keys" if config.embedded_issuer else "audit-keys"
    return SigningKeys(config.var_dir / directory, config.token_ttl_seconds)


def open_store(config: Config, observer: Observer | None = None) -> tuple[Database, Cases]:
    """The database and the use cases over its event store (what every command needs)."""
    config.var_dir.mkdir(parents=True, exist_ok=True)
    database = Database(config.database_url)
    # Case keys live beside the events, wrapped by the master key (store/case_keys.py).
    case_keys = case_keys_for(config.database_url, config.master_key, config.retired_master_keys,
                              config.var_dir, database)
    cases = Cases(env=persistence_env(config.database_url), case_keys=case_keys,
                  reflection_days=config.reflection_days, retries=config.command_retries, observer=observer)
    return database, cases


def open_services(config: Config, *, run_projections: bool = False, observer: Observer | None = None) -> Services:
    """Everything the API serves from, its tables created; with `run_projections`
    the views follow the store in a thread of this process."""
    database, cases = open_store(config, observer)
    access_log.create_table(database)
    idempotency = IdempotencyStore(database, cases.mapper.case_keys)
    idempotency.create_table()
    ensure_tables(database, all_projections())
    signing_keys = signing_keys_for(config)
    checkpoints = Checkpoints(database, cases, signing_keys, config.issuer)
    services = Services(config, database, cases, idempotency, checkpoints, signing_keys)
    if run_projections:
        services.projections = embedded.start(database, cases)
    return services
