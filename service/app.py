"""The app factory: reads configuration once, builds one application object per
process (call it after gunicorn forks), registers blueprints and error handlers."""
from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api
from werkzeug.exceptions import RequestEntityTooLarge

from auth import flask_auth
from auth import setup as auth_setup
from projections import embedded as embedded_projections
from service import hardening, json_guard, metrics
from service.api import (
    audit, case, case_list, erasure, health, history, identification, oauth, ownership, referrals,
    regularization, returns, stats,
)
from service.cases import Cases
from service.config import Config
from service.database import Database, persistence_env
from service.errors import register_error_handlers
from service.logs import configure_logging, init_request_logging
from service.openapi import docs, make_api
from service.storage import case_keys_for

API_VERSION = "1.0.0"


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    configure_logging()
    app = Flask("casetrail")
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        API_TITLE="Casetrail",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.extensions["casetrail.config"] = config
    config.var_dir.mkdir(parents=True, exist_ok=True)

    database = Database(config.database_url)
    # Case keys live beside the events, wrapped by the master key (service/storage).
    case_keys = case_keys_for(config.database_url, config.master_key, config.retired_master_keys,
                              config.var_dir, database)
    cases = Cases(env=persistence_env(config.database_url), reflection_days=config.reflection_days,
                  retries=config.command_retries, case_keys=case_keys)
    app.extensions["casetrail.database"] = database
    app.extensions["casetrail.cases"] = cases
    # Read views: tables always; the runner thread unless it runs as `casetrail project`.
    embedded_projections.init_app(app, config, database, cases)

    # The embedded issuer, or the external provider's keys (CASETRAIL_OAUTH_JWKS_URL).
    validator = auth_setup.init_app(app, config, database)

    init_request_logging(app)
    metrics.init_app(app)  # before authentication, so refused requests are counted too
    _refuse_oversized_bodies(app, config.max_body_bytes)
    flask_auth.init_app(app, validator)
    hardening.init_app(app, config)  # after authentication: rate limits key on the client
    json_guard.init_app(app)  # after authentication: anonymous bodies are not even parsed
    api = make_api(app)
    _register_blueprints(api)
    # After flask-smorest, whose own handler would otherwise answer HTTP errors.
    register_error_handlers(app)
    return app


def _refuse_oversized_bodies(app: Flask, limit: int) -> None:
    # Werkzeug enforces MAX_CONTENT_LENGTH only when a view reads the body; refuse
    # up front so no route, authenticated or not, is handed an oversized request.
    @app.before_request
    def _check_length() -> None:
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge(f"request bodies are limited to {limit} bytes")


def _register_blueprints(api: Api) -> None:
    # Opening and reading first: their blueprint creates the side tables.
    for module in (health, case, identification, referrals, regularization, returns, ownership, oauth,
                   case_list, stats, history, erasure, audit):
        api.register_blueprint(module.blp)
    api._app.register_blueprint(docs)  # the /docs page: not an API operation
