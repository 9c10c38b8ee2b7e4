"""A renderer for exactly the kustomize subset deploy/k8s uses, and nothing more.

CI has no kustomize binary (nothing may be downloaded outside the package registries), so the
tests render the overlays themselves. Supported, with kustomize's semantics:

* ``resources``: YAML files (multi-document) and directories holding a kustomization.yaml;
* ``namespace``: set on every object;
* ``images``: ``name`` + ``newName`` / ``newTag`` on containers and init containers;
* ``replicas``: ``name`` + ``count`` on Deployments and StatefulSets;
* ``labels`` (``pairs``, ``includeSelectors``, ``includeTemplates``) and ``commonLabels``
  (labels, templates and selectors);
* ``patches`` with a ``target`` (``group``, ``version``, ``kind``, ``name``) and an inline
  JSON6902 ``patch`` (``add``, ``remove``, ``replace``, ``test``).

Anything else (another kustomization key, a strategic-merge patch, a patch file, a target
by label selector, an image digest, an op like ``move``) is refused with
:class:`KustomizeError`, and so is a patch, image or replica entry that matches nothing:
a typo must fail the tests rather than be ignored.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION_KEYS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "images",
    "replicas",
    "labels",
    "commonLabels",
    "patches",
}
TARGET_KEYS = {"group", "version", "kind", "name"}
IMAGE_KEYS = {"name", "newName", "newTag"}
REPLICA_KEYS = {"name", "count"}
LABEL_KEYS = {"pairs", "includeSelectors", "includeTemplates"}
PATCH_OPS = {"add", "remove", "replace", "test"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
}


class KustomizeError(Exception):
    """The kustomization uses something outside the supported subset, or is wrong."""


def render(directory: Path | str) -> list[dict[str, Any]]:
    """Renders the kustomization in ``directory`` into a list of objects."""
    directory = Path(directory)
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(spec, dict):
        raise KustomizeError(f"{path}: not a mapping")
    unknown = set(spec) - KUSTOMIZATION_KEYS
    if unknown:
        raise KustomizeError(f"{path}: unsupported keys {sorted(unknown)}")
    if spec.get("kind", "Kustomization") != "Kustomization":
        raise KustomizeError(f"{path}: kind must be Kustomization")

    objects: list[dict[str, Any]] = []
    for resource in spec.get("resources", []):
        target = (directory / resource).resolve()
        if target.is_dir():
            objects.extend(render(target))
        elif target.is_file():
            objects.extend(_load_objects(target))
        else:
            raise KustomizeError(f"{path}: resource {resource} does not exist")
    objects = copy.deepcopy(objects)

    for patch in spec.get("patches", []):
        _apply_patch(path, patch, objects)
    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = spec["namespace"]
    for entry in spec.get("labels", []):
        unknown = set(entry) - LABEL_KEYS
        if unknown:
            raise KustomizeError(f"{path}: unsupported labels keys {sorted(unknown)}")
        _add_labels(
            objects,
            _pairs(path, entry.get("pairs")),
            selectors=bool(entry.get("includeSelectors", False)),
            templates=bool(entry.get("includeTemplates", False)),
        )
    if "commonLabels" in spec:
        _add_labels(objects, _pairs(path, spec["commonLabels"]), selectors=True, templates=True)
    for image in spec.get("images", []):
        _set_image(path, image, objects)
    for replica in spec.get("replicas", []):
        _set_replicas(path, replica, objects)

    seen: set[tuple[str, str, str]] = set()
    for obj in objects:
        key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"{path}: duplicate object {key}")
        seen.add(key)
    return objects


def _load_objects(path: Path) -> list[dict[str, Any]]:
    objects = []
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if doc is None:
            continue
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise KustomizeError(f"{path}: a document is not a Kubernetes object")
        if doc["kind"] == "Kustomization":
            raise KustomizeError(f"{path}: a Kustomization listed as a resource")
        objects.append(doc)
    return objects


def _pairs(path: Path, pairs: Any) -> dict[str, str]:
    if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
        raise KustomizeError(f"{path}: label pairs must map names to strings")
    return pairs


def _add_labels(objects, pairs, *, selectors: bool, templates: bool) -> None:
    for obj in objects:
        obj["metadata"].setdefault("labels", {}).update(pairs)
        spec = obj.get("spec") or {}
        if obj["kind"] in WORKLOADS and (templates or selectors):
            spec["template"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if not selectors:
            continue
        if obj["kind"] in WORKLOADS or obj["kind"] == "PodDisruptionBudget":
            spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)
        elif obj["kind"] == "Service":
            spec.setdefault("selector", {}).update(pairs)
        elif obj["kind"] == "NetworkPolicy":
            spec.setdefault("podSelector", {}).setdefault("matchLabels", {}).update(pairs)


def _matches(target: dict[str, str], obj: dict[str, Any]) -> bool:
    api = obj["apiVersion"]
    group, version = api.split("/", 1) if "/" in api else ("", api)
    return (
        target.get("group", group) == group
        and target.get("version", version) == version
        and target.get("kind", obj["kind"]) == obj["kind"]
        and target.get("name", obj["metadata"]["name"]) == obj["metadata"]["name"]
    )


def _apply_patch(path: Path, patch: Any, objects: list[dict[str, Any]]) -> None:
    if not isinstance(patch, dict) or set(patch) != {"target", "patch"}:
        raise KustomizeError(f"{path}: a patch needs exactly `target` and an inline `patch`")
    target = patch["target"]
    unknown = set(target) - TARGET_KEYS
    if unknown or not target.get("kind"):
        raise KustomizeError(f"{path}: patch target needs kind; unsupported keys {sorted(unknown)}")
    ops = yaml.safe_load(patch["patch"])
    if not isinstance(ops, list):
        raise KustomizeError(f"{path}: only JSON6902 patches (a list of operations) are supported")
    matched = [obj for obj in objects if _matches(target, obj)]
    if not matched:
        raise KustomizeError(f"{path}: patch target {target} matches no object")
    for obj in matched:
        for op in ops:
            _json6902(path, obj, op)


def _pointer(path: Path, pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise KustomizeError(f"{path}: JSON pointer {pointer!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _json6902(path: Path, obj: dict[str, Any], op: Any) -> None:
    if not isinstance(op, dict) or op.get("op") not in PATCH_OPS or "path" not in op:
        raise KustomizeError(f"{path}: unsupported JSON6902 operation {op!r}")
    kind = op["op"]
    if kind != "remove" and "value" not in op:
        raise KustomizeError(f"{path}: {kind} at {op['path']} needs a value")
    parts = _pointer(path, op["path"])
    parent: Any = obj
    for part in parts[:-1]:
        parent = _step(path, parent, part, op["path"])
    last = parts[-1]
    where = f"{obj['kind']}/{obj['metadata']['name']}{op['path']}"
    if isinstance(parent, list):
        if kind == "add" and last == "-":
            parent.append(copy.deepcopy(op["value"]))
            return
        index = _index(path, parent, last, where, allow_end=(kind == "add"))
        if kind == "add":
            parent.insert(index, copy.deepcopy(op["value"]))
        elif kind == "remove":
            parent.pop(index)
        elif kind == "replace":
            parent[index] = copy.deepcopy(op["value"])
        elif parent[index] != op["value"]:
            raise KustomizeError(f"{path}: test failed at {where}")
        return
    if not isinstance(parent, dict):
        raise KustomizeError(f"{path}: {where}: parent is not an object or array")
    if kind in ("remove", "replace", "test") and last not in parent:
        raise KustomizeError(f"{path}: {where} does not exist")
    if kind in ("add", "replace"):
        parent[last] = copy.deepcopy(op["value"])
    elif kind == "remove":
        del parent[last]
    elif parent[last] != op["value"]:
        raise KustomizeError(f"{path}: test failed at {where}")


def _step(path: Path, node: Any, part: str, pointer: str) -> Any:
    if isinstance(node, list):
        return node[_index(path, node, part, pointer, allow_end=False)]
    if isinstance(node, dict) and part in node:
        return node[part]
    raise KustomizeError(f"{path}: {pointer}: {part!r} does not exist")


def _index(path: Path, array: list, part: str, where: str, *, allow_end: bool) -> int:
    if not part.isdigit():
        raise KustomizeError(f"{path}: {where}: {part!r} is not an array index")
    index = int(part)
    if index > len(array) or (index == len(array) and not allow_end):
        raise KustomizeError(f"{path}: {where}: index {index} out of range")
    return index


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj["kind"] not in WORKLOADS:
        return []
    pod = obj["spec"]["template"]["spec"]
    return pod.get("containers", []) + pod.get("initContainers", [])


def _split_image(image: str) -> tuple[str, str | None]:
    if "@" in image:
        raise KustomizeError(f"image digests are not supported: {image}")
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return image, None
    return name, tag


def _set_image(path: Path, image: Any, objects: list[dict[str, Any]]) -> None:
    if not isinstance(image, dict) or set(image) - IMAGE_KEYS or "name" not in image:
        raise KustomizeError(f"{path}: images entries take name, newName, newTag only")
    found = False
    for obj in objects:
        for container in _containers(obj):
            name, tag = _split_image(container["image"])
            if name != image["name"]:
                continue
            found = True
            name = image.get("newName", name)
            tag = str(image["newTag"]) if "newTag" in image else tag
            container["image"] = f"{name}:{tag}" if tag else name
    if not found:
        raise KustomizeError(f"{path}: image {image['name']} is used by no container")


def _set_replicas(path: Path, replica: Any, objects: list[dict[str, Any]]) -> None:
    if not isinstance(replica, dict) or set(replica) != REPLICA_KEYS:
        raise KustomizeError(f"{path}: replicas entries take name and count")
    if not isinstance(replica["count"], int) or replica["count"] < 0:
        raise KustomizeError(f"{path}: replica count must be a non-negative integer")
    found = False
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet") and obj["metadata"]["name"] == replica["name"]:
            obj["spec"]["replicas"] = replica["count"]
            found = True
    if not found:
        raise KustomizeError(f"{path}: replicas: no Deployment named {replica['name']}")
