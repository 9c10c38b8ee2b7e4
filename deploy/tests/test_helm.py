"""deploy/nats/helm-values.yaml: a 3-node JetStream cluster on disk, durable, with our auth."""

import re

from conftest import REPO, load_yaml

VALUES = load_yaml("deploy/nats/helm-values.yaml")


def test_three_clustered_servers():
    cluster = VALUES["config"]["cluster"]
    assert cluster["enabled"] is True
    assert cluster["replicas"] == 3


def test_jetstream_on_file_storage_with_a_volume_and_fsync_always():
    jetstream = VALUES["config"]["jetstream"]
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True
    assert jetstream["fileStore"]["pvc"]["enabled"] is True
    assert re.fullmatch(r"\d+Gi", jetstream["fileStore"]["pvc"]["size"])
    assert jetstream["memoryStore"]["enabled"] is False
    # Jepsen: acknowledged writes survive a power loss only with fsync before the ack.
    assert jetstream["merge"]["sync_interval"] == "always"


def test_auth_conf_is_included_from_a_mounted_configmap_with_passwords_from_a_secret():
    includes = {k: v for k, v in VALUES["config"]["merge"].items() if k.endswith("$include")}
    assert list(includes.values()) == ["hotline/auth.conf"]
    mounts = [p["value"] for p in VALUES["container"]["patch"] if p["path"] == "/volumeMounts/-"]
    assert any(m["mountPath"] == "/etc/nats-config/hotline" for m in mounts)
    volumes = [p["value"] for p in VALUES["podTemplate"]["patch"] if p["path"] == "/spec/volumes/-"]
    assert {m["name"] for m in mounts} == {v["name"] for v in volumes}
    assert VALUES["container"]["merge"]["envFrom"][0]["secretRef"]["name"]


def test_disruption_budget_and_the_pinned_server():
    assert VALUES["podDisruptionBudget"]["enabled"] is True
    pinned = re.search(r'^NATS_VERSION="([\d.]+)"', (REPO / "scripts/lib.sh").read_text(), re.M)
    assert VALUES["container"]["image"]["tag"].startswith(pinned.group(1))
