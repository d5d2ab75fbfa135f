"""The embedded issuer over HTTP: the token endpoint (RFC 6749 s3.2, client
credentials), its metadata (RFC 8414) and its public keys (RFC 7517).

The token endpoint answers in OAuth's own format, not problem+json: RFC 6749
s5.2 fixes the error body (`error`, `error_description`) that every OAuth client
library parses. With an external provider configured, these paths answer 404.
"""
from __future__ import annotations

import marshmallow as ma
from flask import current_app, jsonify, request
from flask_smorest import Blueprint

from auth.authorization_server import metadata
from service.errors import Problem

blp = Blueprint("oauth", __name__, description="Embedded OAuth 2.0 issuer (client credentials)")


class TokenResponseSchema(ma.Schema):
    access_token = ma.fields.String(required=True, metadata={"description": "RFC 9068 JWT access token"})
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "lifetime in seconds"})


class OAuthErrorSchema(ma.Schema):
    error = ma.fields.String(required=True, metadata={"example": "invalid_client"})
    error_description = ma.fields.String()


class JwkSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    kty = ma.fields.String(required=True)
    kid = ma.fields.String(required=True)
    use = ma.fields.String()
    alg = ma.fields.String()


class JwksSchema(ma.Schema):
    keys = ma.fields.List(ma.fields.Nested(JwkSchema), required=True)


class MetadataSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    issuer = ma.fields.String(required=True)
    token_endpoint = ma.fields.String(required=True)
    jwks_uri = ma.fields.String(required=True)
    grant_types_supported = ma.fields.List(ma.fields.String())
    response_types_supported = ma.fields.List(ma.fields.String())
    token_endpoint_auth_methods_supported = ma.fields.List(ma.fields.String())


_TOKEN_FORM = {
    "required": True,
    "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_id": {"type": "string", "description": "with client_secret_post only"},
            "client_secret": {"type": "string", "description": "with client_secret_post only"},
            "scope": {"type": "string", "description": "ignored: roles carry the rights"},
        },
    }}},
}
_NO_STORE = {"Cache-Control": {"schema": {"type": "string"}, "description": "no-store"}}


def _server():
    server = current_app.extensions.get("casetrail.oauth_server")
    if server is None:
        raise Problem(404, "not-found", "Not Found", "the embedded issuer is off (external provider configured)")
    return server


@blp.route("/oauth/token", methods=["POST"])
@blp.doc(requestBody=_TOKEN_FORM, security=[],
         description="Client credentials grant (RFC 6749 s4.4). Authenticate with HTTP Basic "
                     "(client id and secret) or with `client_id`/`client_secret` form fields.")
@blp.response(200, TokenResponseSchema, headers=_NO_STORE, description="An RFC 9068 JWT access token")
@blp.alt_response(400, schema=OAuthErrorSchema, content_type="application/json",
                  description="RFC 6749 s5.2 error: invalid_request, unsupported_grant_type, ...")
@blp.alt_response(401, schema=OAuthErrorSchema, content_type="application/json",
                  description="invalid_client: unknown client or wrong secret")
def token():
    """Issue an access token to a registered API client."""
    return _server().create_token_response(request)


@blp.route("/.well-known/oauth-authorization-server")
@blp.doc(security=[])
@blp.response(200, MetadataSchema, description="RFC 8414 authorization server metadata")
def authorization_server_metadata():
    """Where the token endpoint and the keys are."""
    _server()
    issuer = current_app.extensions["casetrail.issuer"].issuer
    return jsonify(metadata(issuer, request.url_root))


@blp.route("/.well-known/jwks.json")
@blp.doc(security=[])
@blp.response(200, JwksSchema, description="Public keys that verify the issuer's tokens")
def jwks():
    """The active signing key and those retired too recently for their tokens to have expired."""
    _server()
    response = jsonify(current_app.extensions["casetrail.signing_keys"].published().as_dict(private=False))
    # Short: after a rotation, resource servers must see the new key soon.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response

