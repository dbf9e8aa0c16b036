"""The small pure pieces: compose fields, variables, references, names."""

from __future__ import annotations

import pytest

from kapstan.importers import composefields as fields
from kapstan.importers.composevars import Variables
from kapstan.importers.names import dns_label, key_part, split_image, unique
from kapstan.importers.references import referenced
from kapstan.importers.result import Report


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30s", 30), ("1m30s", 90), ("500ms", 1), ("1h", 3600), (15, 15), ("2.5s", 3)],
)
def test_durations(value: object, seconds: int) -> None:
    assert fields.seconds(value) == seconds


@pytest.mark.parametrize(("value", "cpu"), [("0.5", "500m"), (2, "2"), ("1.25", "1250m")])
def test_cpus(value: object, cpu: str) -> None:
    assert fields.cpu(value) == cpu


@pytest.mark.parametrize(
    ("value", "memory"),
    [("512M", "512Mi"), ("1g", "1Gi"), ("1.5g", "1536Mi"), ("64kb", "64Ki"), ("1000", "1000")],
)
def test_memory(value: object, memory: str) -> None:
    assert fields.memory(value) == memory


@pytest.mark.parametrize(
    ("value", "ports"),
    [
        ("80", [(80, "", "TCP")]),
        ("8080:80", [(80, "8080", "TCP")]),
        ("127.0.0.1:53:53/udp", [(53, "53", "UDP")]),
        ("[::1]:8080:80", [(80, "8080", "TCP")]),
        ("9000-9001", [(9000, "", "TCP"), (9001, "", "TCP")]),
        ({"target": 443, "published": 8443}, [(443, "8443", "TCP")]),
        (5672, [(5672, "", "TCP")]),
    ],
)
def test_ports(value: object, ports: list[tuple[int, str, str]]) -> None:
    assert [(p.target, p.published, p.protocol) for p in fields.ports(value)] == ports


@pytest.mark.parametrize(
    ("value", "kind", "source", "target", "ro"),
    [
        ("data:/var/lib", "volume", "data", "/var/lib", False),
        ("./conf:/etc/app:ro", "bind", "./conf", "/etc/app", True),
        ("/srv:/srv", "bind", "/srv", "/srv", False),
        ("/cache", "anonymous", "", "/cache", False),
        ({"type": "tmpfs", "target": "/run"}, "tmpfs", "", "/run", False),
    ],
)
def test_mounts(value: object, kind: str, source: str, target: str, ro: bool) -> None:
    assert fields.mount(value) == fields.Mount(kind, source, target, ro)


def test_probe_commands() -> None:
    assert fields.probe_command(["CMD", "curl", "-f", "x"]) == ["curl", "-f", "x"]
    assert fields.probe_command(["CMD-SHELL", "pg_isready"]) == ["/bin/sh", "-c", "pg_isready"]
    assert fields.probe_command("redis-cli ping") == ["/bin/sh", "-c", "redis-cli ping"]
    assert fields.probe_command(["NONE"]) is None
    with pytest.raises(fields.FieldError):
        fields.probe_command(["RUN", "x"])


def test_variables_become_placeholders_with_dotenv_values_as_config() -> None:
    report = Report()
    variables = Variables({"TAG": "2.0"}, report)
    assert variables.placeholders("app:${TAG:-1.0}", "w") == "app:${TAG:-1.0}"
    assert variables.placeholders("$$HOME ${X-d} $Y", "w") == "$HOME ${X:-d} ${Y}"
    assert variables.placeholders("$${literal}", "w") == "$${literal}"
    assert variables.resolve("${PORT:-80}", "w") == "80"
    assert variables.config == {"TAG": "2.0"}
    assert "w: variable Y has no default: set config key Y before deploying" in report.lines


@pytest.mark.parametrize(
    ("name", "value", "found"),
    [
        ("DATABASE_URL", "postgres://u:p@db:5432/x", ["db"]),
        ("DB_HOST", "db", ["db"]),
        ("MODE", "db", []),
        ("X", "db:5432", ["db"]),
        ("X", "db.shop.svc.cluster.local", ["db"]),
        ("X", "db.shop", ["db"]),
        ("X", "db.example.com", []),
        ("PEERS", "db:1,cache:2", ["db", "cache"]),
    ],
)
def test_references(name: str, value: str, found: list[str]) -> None:
    assert referenced(name, value, {"db": "db", "cache": "cache"}, {"shop"}) == found


def test_names() -> None:
    assert dns_label("Search_Engine.v2") == "search-engine-v2"
    assert dns_label("__") == "svc"
    taken: set[str] = {"web"}
    assert unique("web", taken) == "web-2" and "web-2" in taken
    assert key_part("discovery.type") == "discovery_type" and key_part("1x") == "_1x"
    assert split_image("reg:5000/a/b:1.2") == ("reg:5000/a/b", "1.2")
    assert split_image("nginx") == ("nginx", "latest")
    assert split_image("a@sha256:abc") == ("a@sha256:abc", None)
