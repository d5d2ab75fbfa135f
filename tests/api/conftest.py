"""Callers for the API tests: `api_as(sub, org, *roles)` -> an Api client."""
import pytest

from tests.api.casework import Api


@pytest.fixture
def api_as(client, auth_header):
    def make(sub: str, org: str, *roles: str) -> Api:
        return Api(client, auth_header(sub, org, *roles))
    return make


@pytest.fixture
def caseworker(api_as) -> Api:
    return api_as("officer-1", "sms", "caseworker")


@pytest.fixture
def supervisor(api_as) -> Api:
    return api_as("chief-1", "sms", "supervisor")
