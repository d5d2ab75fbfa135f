"""The use cases: one method per use case over the Case aggregate (cases.py),
idempotency keys, the access log and the demo data set."""
