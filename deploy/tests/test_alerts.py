"""deploy/prometheus/alerts.yml parses, and alerts only on metrics that exist."""

import re

import pytest

from conftest import REPO, load_yaml

RULES = [rule for group in load_yaml("deploy/prometheus/alerts.yml")["groups"] for rule in group["rules"]]

# Metrics not exported by our code, each from a named component the deployment runs.
EXTERNAL = {
    "up": "Prometheus, per scrape target",
    "probe_success": "blackbox exporter probing /readyz",
    "jetstream_consumer_num_pending": "prometheus-nats-exporter -jsz=all",
    "nats_jetstream_consumer_num_pending": "the Helm chart's exporter (prefix nats_)",
}
PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan",
}
MACRO = re.compile(r'(?:counter|gauge|histogram)!\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"')


def code_metric_names() -> set[str]:
    """Every metric name passed to the metrics macros in shared/ and services/."""
    names = set()
    for top in ("shared", "services"):
        for path in (REPO / top).rglob("*.rs"):
            names.update(MACRO.findall(path.read_text(encoding="utf-8")))
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions and label names excluded)."""
    names = set(re.findall(r'__name__\s*=~?\s*"([^"]*)"', expr))
    expr = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # ranges
    expr = re.sub(r"\boffset\s+\w+", " ", expr)
    for token in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        is_function = expr[token.end() :].lstrip().startswith("(")
        if not is_function and token.group(0) not in PROMQL_WORDS:
            names.add(token.group(0))
    return names


def test_the_code_exports_the_metrics_this_test_expects_to_find():
    names = code_metric_names()
    assert {"hotline_dead_letters_total", "hotline_outbox_publish_errors_total"} <= names


def test_the_extractor_sees_metrics_and_not_functions():
    found = metric_names('sum by (service) (rate(hotline_a_total{outcome=~"x|y"}[5m])) > 0.1 unless on (service) b')
    assert found == {"hotline_a_total", "b"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r["alert"])
def test_alert_uses_only_metrics_that_exist(rule):
    exported = code_metric_names()
    for name in metric_names(rule["expr"]):
        if name in exported or name in EXTERNAL:
            continue
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if base in exported:
            continue
        if any(re.fullmatch(name, known) for known in EXTERNAL):  # a __name__ regex
            continue
        pytest.fail(f"{rule['alert']}: metric {name!r} is exported by nothing we run")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r["alert"])
def test_alert_is_complete_and_documented(rule):
    assert re.fullmatch(r"Hotline[A-Z]\w+", rule["alert"])
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    operations = (REPO / "docs/operations.md").read_text()
    assert f"`{rule['alert']}`" in operations, f"docs/operations.md does not explain {rule['alert']}"


def test_the_alerts_that_matter_are_there():
    names = {rule["alert"] for rule in RULES}
    assert {
        "HotlineServiceDown",
        "HotlineServiceNotReady",
        "HotlineOutboxPublishErrors",
        "HotlineConsumerBacklog",
        "HotlineConsumerRedeliveries",
        "HotlineDeadLetters",
        "HotlineOverdueSpike",
    } <= names
