"""Shared facts for the deployment tests: where things are, and what the code says."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def workspace_services() -> list[str]:
    """The service names (services/<name>) among the Cargo workspace members."""
    members = tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["members"]
    return sorted(m.split("/", 1)[1] for m in members if m.startswith("services/"))


def nats_users() -> dict[str, str]:
    """user -> password variable, from deploy/nats/auth.conf."""
    text = (REPO / "deploy/nats/auth.conf").read_text()
    return dict(re.findall(r"user:\s*\"?([\w-]+)\"?\s*,\s*password:\s*\$(\w+)", text))


def load_yaml(relative: str):
    return yaml.safe_load((REPO / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def services() -> list[str]:
    found = workspace_services()
    assert len(found) >= 8, found
    return found


@pytest.fixture(scope="session")
def users() -> dict[str, str]:
    found = nats_users()
    assert found, "no users parsed from deploy/nats/auth.conf"
    return found
