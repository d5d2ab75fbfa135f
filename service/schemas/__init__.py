"""Marshmallow schemas of the HTTP edge, one module per area. They validate what
comes in (unknown fields refused) and shape what goes out; the OpenAPI document is
generated from them, so the contract and the checks cannot drift apart."""
