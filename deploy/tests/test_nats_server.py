"""The pinned nats-server accepts docker-compose's command line with the .env example."""

import os
import subprocess
from pathlib import Path

from conftest import REPO, load_yaml


def nats_server() -> Path:
    # scripts/test exports HOTLINE_NATS_SERVER_BIN; scripts/install-tools puts it in .tools/.
    path = Path(os.environ.get("HOTLINE_NATS_SERVER_BIN") or REPO / ".tools/bin/nats-server")
    assert path.is_file(), f"{path} missing: run scripts/install-tools"
    return path


def env_example() -> dict[str, str]:
    lines = (REPO / "deploy/compose.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def config_test(tmp_path, env):
    """`nats-server -t` with compose's arguments, the config directory where compose mounts it."""
    command = load_yaml("docker-compose.yml")["services"]["nats"]["command"]
    args = [a.replace("/etc/nats", str(REPO / "deploy/nats")).replace("/data", str(tmp_path)) for a in command]
    return subprocess.run(
        [str(nats_server()), *args, "-t"],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_server_conf_and_auth_conf_load_with_the_example_passwords(tmp_path):
    result = config_test(tmp_path, env_example())
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_password_variable_is_refused(tmp_path):
    env = env_example()
    del env["NATS_ROUTER_PASSWORD"]
    result = config_test(tmp_path, env)
    assert result.returncode != 0
    assert "NATS_ROUTER_PASSWORD" in result.stdout + result.stderr
