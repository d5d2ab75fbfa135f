"""panva's oidc-provider (tests/oidc_provider/), a real OpenID provider that
Casetrail must trust by configuration alone. Installed with `npm ci` from the
committed lock file when node_modules is missing; a failed install fails the
test (it is never skipped)."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.support.ports import free_port, stop, wait_for_http

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc_provider"


def ensure_installed() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"npm ci failed in {PROVIDER_DIR}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    audience: str

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    def token(self, client_id: str, secret: str, resource: str | None = None) -> str:
        """A client_credentials access token (RFC 6749 s4.4, RFC 8707 `resource`)."""
        form = {"grant_type": "client_credentials", **({"resource": resource} if resource else {})}
        credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        request = urllib.request.Request(f"{self.issuer}/token", data=urllib.parse.urlencode(form).encode(),
                                         headers={"Authorization": f"Basic {credentials}"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())["access_token"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"the provider refused: {exc.code} {exc.read()!r}") from None


@contextmanager
def oidc_provider(audience: str, log_path: Path) -> Iterator[RunningProvider]:
    ensure_installed()
    port = free_port()
    env = {**os.environ, "PORT": str(port), "AUDIENCE": audience}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(["node", "server.js"], cwd=PROVIDER_DIR, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{issuer}/.well-known/openid-configuration", process)
    except BaseException:
        stop(process)
        raise RuntimeError(f"oidc-provider did not start:\n{log_path.read_text()[-3000:]}") from None
    try:
        yield RunningProvider(issuer, audience)
    finally:
        stop(process)
