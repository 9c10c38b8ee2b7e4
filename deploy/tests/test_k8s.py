"""deploy/k8s renders (base and each overlay) into valid, safe objects for every service."""

import re
import textwrap

import kubernetes_validate
import pytest
import yaml

from conftest import REPO
from kustomize import KustomizeError, render

K8S = REPO / "deploy/k8s"
KUBERNETES_VERSION = "1.35.0"
LAYERS = ["base", "overlays/dev", "overlays/prod"]
# Decided in docs/operations.md "Scaling": these scale out, the others run a fixed 2.
SCALE_OUT = {"intake", "router", "supervision", "knowledge", "gateway"}


@pytest.fixture(scope="module", params=LAYERS)
def rendered(request):
    return request.param, render(K8S / request.param)


def of_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_every_object_validates_against_the_kubernetes_schema(rendered):
    layer, objects = rendered
    assert objects
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{layer}: {obj['kind']}/{obj['metadata']['name']}: {error.message}")


def test_one_deployment_per_service(rendered, services):
    _, objects = rendered
    assert sorted(of_kind(objects, "Deployment")) == services


def test_deployments_have_probes_limits_and_run_as_non_root(rendered):
    layer, objects = rendered
    for name, deployment in of_kind(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 65532
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            where = f"{layer}: {name}/{container['name']}"
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert ports["ops"] == 9090, where
            for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"), ("startupProbe", "/healthz")):
                assert container[probe]["httpGet"] == {"path": path, "port": "ops"}, (where, probe)
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), (where, bound)
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where


def test_every_service_has_a_pdb_a_network_policy_and_a_service(rendered):
    layer, objects = rendered
    pdbs = of_kind(objects, "PodDisruptionBudget").values()
    policies = of_kind(objects, "NetworkPolicy").values()
    services = of_kind(objects, "Service").values()
    for name, deployment in of_kind(objects, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment["spec"]["selector"]["matchLabels"], labels)
        assert any(selects(p["spec"]["selector"]["matchLabels"], labels) for p in pdbs), (layer, name)
        assert any(
            selects(p["spec"]["podSelector"].get("matchLabels"), labels) and "ingress" in p["spec"]
            for p in policies
        ), (layer, name)
        assert any(
            selects(s["spec"]["selector"], labels) and any(p["name"] == "ops" for p in s["spec"]["ports"])
            for s in services
        ), (layer, name)


def test_network_policies_deny_by_default_and_allow_only_nats_postgres_otel_dns(rendered):
    _, objects = rendered
    policies = of_kind(objects, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    egress = policies["hotline-egress"]["spec"]
    assert egress["podSelector"]["matchLabels"] == {"app.kubernetes.io/part-of": "hotline"}
    ports = sorted(p["port"] for rule in egress["egress"] for p in rule["ports"])
    assert ports == [53, 53, 4222, 4318, 5432]
    for name, policy in policies.items():
        for rule in policy["spec"].get("egress", []):
            assert rule.get("to"), f"{name}: an egress rule without `to` opens every destination"
            if name not in ("hotline-egress",):
                assert [p["port"] for p in rule["ports"]] == [8081], name  # gateway -> intake
        for rule in policy["spec"].get("ingress", []):
            if "from" not in rule:  # from anywhere: only the gateway's public port
                assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "gateway"
                assert [p["port"] for p in rule["ports"]] == [8080]


def test_autoscalers_target_deployments_that_exist_and_only_those_that_scale_out(rendered):
    layer, objects = rendered
    deployments = of_kind(objects, "Deployment")
    hpas = of_kind(objects, "HorizontalPodAutoscaler")
    assert set(hpas) == SCALE_OUT
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["apiVersion"] == "apps/v1"
        assert target["name"] in deployments, (layer, name)
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_config_and_secret_references_resolve(rendered, users):
    layer, objects = rendered
    config_maps = of_kind(objects, "ConfigMap")
    secrets = of_kind(objects, "Secret")
    documented = (REPO / "deploy/k8s/README.md").read_text()
    for name, deployment in of_kind(objects, "Deployment").items():
        env = {}
        for source in deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]:
            if "configMapRef" in source:
                env.update(config_maps[source["configMapRef"]["name"]]["data"])
            else:
                secret = source["secretRef"]["name"]
                assert f"`{secret}`" in documented, f"{secret} is not documented"
                if layer == "overlays/dev":
                    env.update(secrets[secret]["stringData"])
        assert env["HOTLINE_NATS__USER"] in users, (layer, name)
        assert env["HOTLINE_OPS__LISTEN"] == "0.0.0.0:9090"
        if layer == "overlays/dev":
            assert env["HOTLINE_DATABASE__URL"].startswith(f"postgres://hotline_{name.replace('-', '_')}:")
            assert "HOTLINE_NATS__PASSWORD" in env
            if name == "intake":
                assert {"HOTLINE_INTAKE__VAULT__KEYS", "HOTLINE_INTAKE__VAULT__ACTIVE_KEY", "HOTLINE_INTAKE__PHONE_HASH_KEY"} <= set(env)


def test_prod_replicates_streams_three_times_and_pins_images():
    objects = render(K8S / "overlays/prod")
    assert of_kind(objects, "ConfigMap")["hotline-common"]["data"]["HOTLINE_STREAM_REPLICAS"] == "3"
    assert not of_kind(objects, "Secret"), "prod Secrets are created out of band"
    for name, deployment in of_kind(objects, "Deployment").items():
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert re.fullmatch(rf"registry\.example\.org/hotline/{name}:\d+\.\d+\.\d+", image), image
        assert deployment["metadata"]["namespace"] == "hotline"
        assert deployment["spec"]["replicas"] >= 2


def test_base_keeps_one_stream_replica_for_a_single_server():
    objects = render(K8S / "base")
    assert of_kind(objects, "ConfigMap")["hotline-common"]["data"]["HOTLINE_STREAM_REPLICAS"] == "1"


# --- the renderer itself -------------------------------------------------------------------

def write(directory, name, text):
    (directory / name).write_text(textwrap.dedent(text))


@pytest.fixture
def tiny(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    write(base, "kustomization.yaml", "resources: [app.yaml]\n")
    write(base, "app.yaml", """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: app}
        spec:
          replicas: 1
          selector: {matchLabels: {a: b}}
          template:
            metadata: {labels: {a: b}}
            spec: {containers: [{name: app, image: "hotline/app:latest"}]}
        """)
    return tmp_path


def test_renderer_applies_namespace_images_replicas_labels_and_patches(tiny):
    write(tiny, "kustomization.yaml", """\
        resources: [base]
        namespace: ns
        images: [{name: hotline/app, newName: reg/app, newTag: "1.2.3"}]
        replicas: [{name: app, count: 3}]
        labels: [{pairs: {env: x}, includeTemplates: true}]
        patches:
          - target: {group: apps, version: v1, kind: Deployment, name: app}
            patch: |-
              - op: add
                path: /spec/template/spec/containers/0/args
                value: [serve]
        """)
    [obj] = render(tiny)
    assert obj["metadata"] == {"name": "app", "namespace": "ns", "labels": {"env": "x"}}
    assert obj["spec"]["replicas"] == 3
    assert obj["spec"]["selector"] == {"matchLabels": {"a": "b"}}
    assert obj["spec"]["template"]["metadata"]["labels"] == {"a": "b", "env": "x"}
    assert obj["spec"]["template"]["spec"]["containers"][0] == {"name": "app", "image": "reg/app:1.2.3", "args": ["serve"]}


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [base]\nconfigMapGenerator: []\n",
        "resources: [base]\npatchesStrategicMerge: [x.yaml]\n",
        "resources: [base]\npatches: [{path: p.yaml}]\n",
        "resources: [base]\npatches: [{target: {kind: Deployment, name: nope}, patch: '[]'}]\n",
        "resources: [base]\npatches: [{target: {kind: Deployment, labelSelector: a=b}, patch: '[]'}]\n",
        "resources: [base]\npatches: [{target: {kind: Deployment}, patch: 'spec: {replicas: 2}'}]\n",
        "resources: [base]\npatches: [{target: {kind: Deployment}, patch: '[{op: move, from: /a, path: /b}]'}]\n",
        "resources: [base]\npatches: [{target: {kind: Deployment}, patch: '[{op: replace, path: /spec/nope, value: 1}]'}]\n",
        "resources: [base]\nimages: [{name: hotline/other, newTag: x}]\n",
        "resources: [base]\nimages: [{name: hotline/app, digest: 'sha256:0'}]\n",
        "resources: [base]\nreplicas: [{name: other, count: 2}]\n",
        "resources: [base, missing.yaml]\n",
    ],
)
def test_renderer_refuses_what_it_does_not_support_or_what_matches_nothing(tiny, kustomization):
    write(tiny, "kustomization.yaml", kustomization)
    with pytest.raises(KustomizeError):
        render(tiny)


def test_overlays_use_only_the_supported_keys():
    for path in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(path.read_text())
        assert set(spec) <= {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "labels", "commonLabels", "patches"}, path
