"""Prometheus /metrics through the test client (the default registry; the
multiprocess mode is exercised by tests/deploy/test_production_server.py)."""
from prometheus_client import REGISTRY

from service import metrics
from tests.api.casework import future


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_is_public_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert b"casetrail_http_requests_total" in response.data


def test_requests_are_counted_by_url_rule_never_by_raw_path(client, caseworker):
    case_id = caseworker.open_case()["id"]
    caseworker.get(f"/cases/{case_id}")
    body = client.get("/metrics").get_data(as_text=True)
    assert case_id not in body  # no ids (and so no personal data) in labels
    rule = next(r.rule for r in client.application.url_map.iter_rules()
                if r.rule.startswith("/cases/<") and r.rule.count("<") == 1 and "GET" in r.methods)
    assert f'route="{rule}"' in body
    assert value("casetrail_http_request_duration_seconds_count", method="GET", route=rule) >= 1


def test_unmatched_paths_share_one_label(client, auth_header):
    before = value("casetrail_http_requests_total", method="GET", route="<unmatched>", status="404")
    client.get("/no-such-thing/12345", headers=auth_header("u1", "sms", "caseworker"))
    assert value("casetrail_http_requests_total", method="GET", route="<unmatched>", status="404") == before + 1


def test_appended_events_are_counted_by_type(caseworker):
    before = value("casetrail_events_appended_total", event_type="CaseOpened")
    caseworker.open_case()
    assert value("casetrail_events_appended_total", event_type="CaseOpened") == before + 1


def test_rule_refusals_are_counted_by_rule(caseworker):
    case_id = caseworker.open_case()["id"]  # asylum intention expressed: claim pending
    before = value("casetrail_rule_refusals_total", rule="non-refoulement")
    response = caseworker.post(f"/cases/{case_id}/returns",
                               {"kind": "forced", "destination_country": "AFG", "planned_date": future(10)})
    assert response.status_code == 409
    assert value("casetrail_rule_refusals_total", rule="non-refoulement") == before + 1


def test_authentication_failures_are_counted_by_reason(client):
    missing = value("casetrail_authentication_failures_total", reason="missing")
    malformed = value("casetrail_authentication_failures_total", reason="malformed")
    client.get("/cases")
    client.get("/cases", headers={"Authorization": "Basic abc"})
    assert value("casetrail_authentication_failures_total", reason="missing") == missing + 1
    assert value("casetrail_authentication_failures_total", reason="malformed") == malformed + 1


def test_version_conflicts_are_counted(app, caseworker):
    before = value("casetrail_version_conflicts_total")
    metrics.CaseMetrics().version_conflict()  # the race itself is tested in tests/integration
    assert value("casetrail_version_conflicts_total") == before + 1


def test_projection_lag_gauge_comes_from_the_registered_provider(app, client):
    metrics.set_projection_lag_provider(app, lambda: {"case_summaries": 3})
    assert 'casetrail_projection_lag_events{projection="case_summaries"} 3.0' in client.get("/metrics").get_data(
        as_text=True)


def test_projection_lag_is_reported_once_per_family(client, caseworker):
    caseworker.open_case()
    body = client.get("/metrics").get_data(as_text=True)
    type_lines = [line for line in body.splitlines() if line.startswith("# TYPE ")]
    assert len(type_lines) == len(set(type_lines))  # Prometheus refuses a family twice
    assert body.count("# TYPE casetrail_projection_lag_events gauge") == 1
