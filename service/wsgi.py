"""The entry point of gunicorn workers: the app, built after the fork.

A worker that raises while it boots makes gunicorn halt the whole server (its
WORKER_BOOT_ERROR), so a database that is briefly unreachable when a worker is
replaced (a restart, a fail-over, a catalogue lock held by a concurrent DDL) would
take every other worker down with it. Building the app waits for the database
instead, for a bounded time, then gives up as before.
"""
from __future__ import annotations

import logging
import sqlite3
import time

import psycopg
import psycopg_pool
from eventsourcing.persistence import PersistenceError
from flask import Flask

from service.app import create_app

log = logging.getLogger("casetrail.wsgi")
_TRANSIENT = (psycopg.Error, psycopg_pool.PoolTimeout, PersistenceError, sqlite3.OperationalError)


def create_app_waiting_for_database(deadline_seconds: float = 60.0) -> Flask:
    give_up_at = time.monotonic() + deadline_seconds
    wait = 0.5
    while True:
        try:
            return create_app()
        except _TRANSIENT as exc:
            if time.monotonic() + wait > give_up_at:
                raise
            log.warning("database not ready while booting (%s); retrying in %.1f s", type(exc).__name__, wait)
            time.sleep(wait)
            wait = min(wait * 2, 8.0)
