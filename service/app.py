"""The app factory: reads configuration once, builds the services (service/wiring.py)
once per process (call it after gunicorn forks), wires authentication, hardening
and metrics, registers the blueprints and, last, the error handlers."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from service import authentication, hardening, json_guard, metrics
from service.api import (
    audit,
    case,
    case_list,
    erasure,
    health,
    history,
    identification,
    oauth,
    ownership,
    referrals,
    regularization,
    returns,
    stats,
)
from service.config import Config
from service.errors import register_error_handlers
from service.logs import configure_logging, init_request_logging
from service.openapi import docs, make_api
from service.wiring import Services, open_services

API_VERSION = "1.0.0"
BLUEPRINTS = (health, case, identification, referrals, regularization, returns, ownership, oauth, case_list,
              stats, history, erasure, audit)


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
    # The database, the use cases, the side tables and the views; the runner
    # thread too unless it runs as `casetrail project`.
    services = open_services(config, run_projections=config.run_projections_in_process,
                             observer=metrics.CaseMetrics())
    app.extensions.update({
        "casetrail.config": config,
        "casetrail.services": services,
        "casetrail.database": services.database,
        "casetrail.cases": services.cases,
        "casetrail.idempotency": services.idempotency,
        "casetrail.checkpoints": services.checkpoints,
    })

    init_request_logging(app)
    metrics.init_app(app)  # before authentication, so refused requests are counted too
    _refuse_oversized_bodies(app, config.max_body_bytes)
    # The embedded issuer, or the external provider's keys (CASETRAIL_OAUTH_JWKS_URL).
    authentication.init_app(app, config, services.database, services.signing_keys)
    hardening.init_app(app, config)  # after authentication: rate limits key on the client
    json_guard.init_app(app)  # after authentication: anonymous bodies are not even parsed
    api = make_api(app)
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    app.register_blueprint(docs)  # the /docs page: not an API operation
    # After flask-smorest, whose own handler would otherwise answer HTTP errors.
    register_error_handlers(app)
    return app


def close_app(app: Flask) -> None:
    """Stop the app's runner thread and close its connections (tests, scripts)."""
    services: Services = app.extensions["casetrail.services"]
    services.close()


def _refuse_oversized_bodies(app: Flask, limit: int) -> None:
    # Werkzeug enforces MAX_CONTENT_LENGTH only when a view reads the body; refuse
    # up front so no route, authenticated or not, is handed an oversized request.
    @app.before_request
    def _check_length() -> None:
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge(f"request bodies are limited to {limit} bytes")
