"""Blueprints, one per resource."""
from flask import current_app

from service.cases import Cases


def cases() -> Cases:
    return current_app.extensions["casetrail.cases"]
