"""The production command, as the Dockerfile, the Kubernetes API Deployment and the
gunicorn test all run it: one definition, checked against the files."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUNICORN_COMMAND = ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
PROJECTION_COMMAND = ["casetrail", "project"]
