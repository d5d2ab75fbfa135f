"""Blueprints, one per resource."""
from flask import current_app

from application.cases import Cases


def cases() -> Cases:
    return current_app.extensions["casetrail.cases"]
