"""deploy/Dockerfile builds every service binary there is, into a small non-root image."""

import re
import tomllib

from conftest import REPO

DOCKERFILE = (REPO / "deploy/Dockerfile").read_text()


def test_dockerfile_names_exactly_the_workspace_services(services):
    case = re.search(r'case "\$\{SERVICE\}" in\s*\\\s*\n\s*([\w|-]+)\)', DOCKERFILE)
    assert case, "the SERVICE check (case ... in a|b|c) is missing"
    assert sorted(case.group(1).split("|")) == services


def test_each_service_package_and_binary_is_hotline_dash_name(services):
    for service in services:
        manifest = tomllib.loads((REPO / "services" / service / "Cargo.toml").read_text())
        assert manifest["package"]["name"] == f"hotline-{service}"
        bins = manifest.get("bin", [])
        assert all(b.get("name") == f"hotline-{service}" for b in bins), bins
        assert (REPO / "services" / service / "src/main.rs").is_file()
    assert 'cargo build --release --locked -p "hotline-${SERVICE}"' in DOCKERFILE
    # installed under its own name, with the entrypoint's fixed name a symlink to it
    assert '"target/release/hotline-${SERVICE}" "/out/hotline-${SERVICE}"' in DOCKERFILE
    assert 'ln -s "hotline-${SERVICE}" /out/hotline-service' in DOCKERFILE
    assert "COPY --from=builder /out/ /usr/local/bin/" in DOCKERFILE


def test_builder_matches_the_workspace_toolchain():
    rust = tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["package"]["rust-version"]
    assert re.search(rf"^FROM rust:{re.escape(rust)}-bookworm AS builder$", DOCKERFILE, re.M)


def test_runtime_is_distroless_non_root_with_version_labels():
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert stages[-1] == "gcr.io/distroless/cc-debian12:nonroot"
    runtime = DOCKERFILE.split("FROM gcr.io/distroless/cc-debian12:nonroot", 1)[1]
    assert re.search(r"^USER 65532:65532$", runtime, re.M)
    assert "ARG VERSION" in runtime and "ARG COMMIT" in runtime
    assert 'org.opencontainers.image.version="${VERSION}"' in runtime
    assert 'org.opencontainers.image.revision="${COMMIT}"' in runtime
    assert re.search(r"^EXPOSE 9090$", runtime, re.M)
    assert re.search(r'^ENTRYPOINT \["/usr/local/bin/hotline-service"\]$', runtime, re.M)
    assert "HOTLINE_OPS__LISTEN=0.0.0.0:9090" in runtime


def test_dockerignore_keeps_the_build_context_small_but_complete():
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"target", ".git", ".tools"} <= ignored
    # include_str! reads data/ and docs/data/; every workspace member's manifest is needed.
    for needed in ("data", "docs", "services", "shared", "tests", "Cargo.lock"):
        assert needed not in ignored
