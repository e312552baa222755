"""The production stack's compose file is valid and has the services the README promises."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.compose


def test_compose_file_is_valid_with_web_worker_beat_postgres_and_redis():
    if shutil.which("docker-compose") is None:
        pytest.skip("needs Debian's docker-compose (v1) to validate the file: apt-get install docker-compose")
    env = {**os.environ, "SECRET_KEY": "x" * 60}
    check = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"],  # noqa: S607
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    assert "migrate" in " ".join(services["web"]["command"])
    assert "gunicorn" in " ".join(services["web"]["command"])


def test_compose_refuses_to_start_without_a_secret_key():
    if shutil.which("docker-compose") is None:
        pytest.skip("needs Debian's docker-compose (v1) to validate the file: apt-get install docker-compose")
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    check = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"],  # noqa: S607
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode != 0
    assert "SECRET_KEY" in check.stderr
