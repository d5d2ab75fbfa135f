"""Prometheus metrics, safe under gunicorn's several worker processes.

With PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py and the container do),
prometheus-client keeps each worker's values in files there and /metrics sums them,
so a scrape sees the whole server whichever worker answers it. Without it the
process's default registry is served (the embedded `casetrail serve`, tests).

Labels carry only bounded, non-personal values: the URL rule (`/cases/<uuid:case_id>`,
never the raw path with its ids), the status, event type names, rule names and
token rejection reasons.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Iterable

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from application.cases import Observer
from projections.positions import lag

REQUESTS = Counter("casetrail_http_requests_total", "HTTP requests answered, by route and status",
                   ["method", "route", "status"])
LATENCY = Histogram("casetrail_http_request_duration_seconds", "Time to answer a request, by route",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
EVENTS_APPENDED = Counter("casetrail_events_appended_total", "Events written to the event store, by type",
                          ["event_type"])
VERSION_CONFLICTS = Counter("casetrail_version_conflicts_total",
                            "Saves that lost a race with another writer of the same case")
RULE_REFUSALS = Counter("casetrail_rule_refusals_total", "Commands refused by a domain rule", ["rule"])
AUTH_FAILURES = Counter("casetrail_authentication_failures_total", "Rejected access tokens, by reason",
                        ["reason"])
RATE_LIMITED = Counter("casetrail_rate_limited_total", "Requests refused by a rate limit, by route",
                       ["route"])

# A callable returning {projection name: {"events": n, "seconds": s}} (or just n).
# Default: projections.positions.lag over this app's database. Computed at scrape
# time, so it is right whichever worker answers (or none runs the projection).
LagProvider = Callable[[], dict]
LAG_FAMILIES = ("casetrail_projection_lag_events", "casetrail_projection_lag_seconds")
_UNMATCHED = "<unmatched>"


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def route_label() -> str:
    # The rule, not the path: raw paths carry case ids and would grow without bound.
    rule = request.url_rule
    return rule.rule if rule is not None else _UNMATCHED


class CaseMetrics(Observer):
    """What the use cases report, counted (injected into `Cases` by the wiring)."""

    def events_saved(self, recordings: Iterable) -> None:
        for recording in recordings:
            EVENTS_APPENDED.labels(type(recording.domain_event).__name__).inc()

    def version_conflict(self) -> None:
        VERSION_CONFLICTS.inc()


def count_rule_refusal(rule: str) -> None:
    RULE_REFUSALS.labels(rule).inc()


def count_auth_failure(reason: str) -> None:
    AUTH_FAILURES.labels(reason).inc()


def count_rate_limited() -> None:
    RATE_LIMITED.labels(route_label()).inc()


def set_projection_lag_provider(app: Flask, provider: LagProvider) -> None:
    app.extensions["casetrail.projection_lag"] = provider


def _default_lag_provider() -> LagProvider:
    extensions = current_app.extensions
    return lambda: lag(extensions["casetrail.database"], extensions["casetrail.cases"])


class _ProjectionLag:
    """Collects the lag when scraped; a failing provider leaves the gauges empty
    rather than failing the whole scrape."""

    def __init__(self, provider: LagProvider | None):
        self.provider = provider

    def collect(self):
        events = GaugeMetricFamily(LAG_FAMILIES[0], "Events recorded but not yet in the view",
                                   labels=["projection"])
        seconds = GaugeMetricFamily(LAG_FAMILIES[1], "Age of the oldest event not yet in the view",
                                    labels=["projection"])
        try:
            for name, behind in sorted((self.provider() if self.provider else {}).items()):
                behind = behind if isinstance(behind, dict) else {"events": behind}
                events.add_metric([name], float(behind["events"]))
                if "seconds" in behind:
                    seconds.add_metric([name], float(behind["seconds"]))
        except Exception:  # noqa: BLE001 - the other metrics still matter
            current_app.logger.warning("projection lag unavailable")
        yield events
        yield seconds


class _Without:
    """Another registry's families minus the lag: a gauge set in some process at
    some past moment must not stand beside the value computed now."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self):
        for family in self.registry.collect():
            if family.name not in LAG_FAMILIES:
                yield family


def exposition() -> bytes:
    scrape = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        workers = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(workers, path=directory)
        scrape.register(_Without(workers))
    else:
        scrape.register(_Without(REGISTRY))
    provider = current_app.extensions.get("casetrail.projection_lag") or _default_lag_provider()
    scrape.register(_ProjectionLag(provider))
    return generate_latest(scrape)


def init_app(app: Flask) -> None:
    """Call before the authentication hook is registered, so refused requests
    (401, 429) are timed and counted too."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _record(response):
        route = route_label()
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    def metrics_view() -> Response:
        return Response(exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
