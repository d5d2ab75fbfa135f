"""The baseline a team would otherwise build: a plain Flask + psycopg endpoint that
inserts one row per request (POST /plain) and selects one row (GET /plain/<id>).
Served by the same gunicorn settings as the service (deploy/gunicorn.conf.py), on the
same psycopg build, so the ratios compare the service's work and nothing else."""
from __future__ import annotations

import json
import os
import uuid

from flask import Flask, abort, request
from psycopg_pool import ConnectionPool

DDL = ("CREATE TABLE IF NOT EXISTS plain_items (id BIGSERIAL PRIMARY KEY, ref UUID NOT NULL,"
       " body JSONB NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())")


def create_app() -> Flask:
    url = os.environ["BENCH_PLAIN_DATABASE_URL"]
    schema = os.environ.get("BENCH_PLAIN_SCHEMA")
    kwargs = {"options": f"-c search_path={schema}"} if schema else {}
    pool = ConnectionPool(url, min_size=1, max_size=10, open=True, kwargs=kwargs)
    app = Flask("plain")

    @app.post("/plain")
    def insert():
        body = request.get_json()
        with pool.connection() as conn:
            (row_id,) = conn.execute("INSERT INTO plain_items (ref, body) VALUES (%s, %s) RETURNING id",
                                     (uuid.uuid4(), json.dumps(body))).fetchone()
        return {"id": row_id}, 201

    @app.get("/plain/<int:row_id>")
    def select(row_id: int):
        with pool.connection() as conn:
            row = conn.execute("SELECT id, ref, body, created_at FROM plain_items WHERE id = %s",
                               (row_id,)).fetchone()
        if row is None:
            abort(404)
        return {"id": row[0], "ref": str(row[1]), "body": row[2], "created_at": row[3].isoformat()}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
