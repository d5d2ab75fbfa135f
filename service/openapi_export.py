"""Write the OpenAPI document to openapi/openapi.yaml (or the path given):
`python -m service.openapi_export [PATH]`. A test fails when the committed file
differs from what the code generates, so run this after changing the API."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from service.app import close_app, create_app
from service.config import Config

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.yaml"


def generate() -> str:
    # The document does not depend on the database: a throw-away SQLite one will do.
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(database_url=f"sqlite:///{tmp}/spec.sqlite", var_dir=Path(tmp) / "var",
                        run_projections_in_process=False)
        app = create_app(config)
        try:
            spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
        finally:
            close_app(app)
    return yaml.safe_dump(spec, sort_keys=True, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
