"""Access tokens, the embedded issuer, and the access policy."""
