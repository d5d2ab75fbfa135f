"""A stand-in OAuth provider that only serves a JWKS, which tests can change,
take down, or make answer garbage, and which counts the fetches."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from joserfc.jwk import KeySet


class FakeJwksProvider:
    def __init__(self):
        self.keys: list = []
        self.mode = "up"  # "up", "down" (503), "garbage" (HTML)
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                provider.fetches += 1
                if provider.mode == "down":
                    self.send_response(503)
                    self.end_headers()
                    return
                if provider.mode == "garbage":
                    body = b"<html>maintenance</html>"
                else:
                    body = json.dumps(KeySet(provider.keys).as_dict(private=False)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
