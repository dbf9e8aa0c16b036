"""The pure parts of ``app logs|top``: quantities, durations, timestamps, prefixes, the chart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kapstan.actions.podlogs import LogLine, LogNotice, since_seconds, sort_key, split_stamp
from kapstan.actions.usage import PodUsage, ServiceUsage
from kapstan.errors import InputError
from kapstan.model.quantities import (
    cpu_millicores,
    format_cpu,
    format_memory,
    memory_bytes,
    parse_quantity,
)
from kapstan.web.daytwo import html_event
from kapstan.web.usagechart import usage_svg


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", Decimal("0.250")),
        ("2", Decimal(2)),
        ("1.5", Decimal("1.5")),
        ("128Mi", Decimal(128 * 1024**2)),
        ("1Gi", Decimal(1024**3)),
        ("1G", Decimal(10**9)),
        ("12e3", Decimal(12000)),
        ("1E3", Decimal(1000)),
        ("1E", Decimal(10**18)),
        ("500n", Decimal("0.0000005")),
        ("3k", Decimal(3000)),
    ],
)
def test_quantities_parse_exactly(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "m", "1.2.3", "5mi", "1e", "ten", "1 Gi"])
def test_not_a_quantity_names_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        parse_quantity(text)


def test_cpu_and_memory_figures_as_kubectl_top_prints_them() -> None:
    assert cpu_millicores("1500u") == 1.5 and cpu_millicores("2") == 2000.0
    assert memory_bytes("1.5Ki") == 1536 and memory_bytes("0.5") == 1  # bytes round up
    assert format_cpu(249.6) == "250m" and format_memory(64 * 1024**2) == "64Mi"
    assert format_memory(1000) == "1Ki"


def test_since_is_a_duration_in_whole_seconds() -> None:
    assert [since_seconds(v) for v in ("30s", "10m", "1h30m", "45", "1.2")] == [
        30,
        600,
        5400,
        45,
        2,
    ]
    for bad in ("soon", "10x", "-5m", "0.5s"):
        with pytest.raises(InputError, match=r"not a duration|under a second"):
            since_seconds(bad)


def test_kubelet_timestamps_split_and_sort_whatever_their_fraction() -> None:
    assert split_stamp("2026-12-06T02:47:33.5Z hello world") == (
        "2026-12-06T02:47:33.5Z",
        "hello world",
    )
    assert split_stamp("no stamp here") == ("", "no stamp here")
    stamps = ["2026-12-06T02:47:33.5Z", "2026-12-06T02:47:33.123456789Z", "2026-12-06T02:47:33Z"]
    assert sorted(stamps, key=sort_key) == [stamps[2], stamps[1], stamps[0]]


def test_a_line_names_its_container_only_when_the_pod_has_several() -> None:
    one = LogLine("api", "api-1", "api", "", "x")
    two = LogLine("worker", "worker-1", "sidecar", "", "x", containers=2)
    assert one.source == "api/api-1" and two.source == "worker/worker-1/sidecar"


def test_console_log_lines_are_escaped() -> None:
    line = LogLine("api", "api-1", "api", "2026-12-06T02:47:33.5Z", "<script>x</script>")
    html = str(html_event(line).data)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert '<span class="src">[api/api-1]</span>' in html and ">02:47:33</time>" in html
    notice = str(html_event(LogNotice("api", "p<1>", "", "no logs")).data)
    assert "p&lt;1&gt;: no logs" in notice


def test_usage_chart_scales_each_kind_to_its_largest_and_escapes_names() -> None:
    services = [
        ServiceUsage("api", [PodUsage("a1", 400.0, 200 * 1024**2), PodUsage("a2", 100.0, 0)]),
        ServiceUsage("<w>", [PodUsage("w1", 250.0, 50 * 1024**2), PodUsage("w2", None, None)]),
    ]
    svg = usage_svg(services)
    assert svg.startswith("<svg") and "<w>" not in svg and 'data-service="&lt;w&gt;"' in svg
    assert 'class="cpu" x="140" y="38" width="220.0"' in svg  # api: 500m, the largest
    assert 'class="cpu" x="140" y="72" width="110.0"' in svg  # <w>: 250m, half of it
    assert ">500m</text>" in svg and ">200Mi</text>" in svg and ">50Mi</text>" in svg
    assert "<script" not in svg and "style=" not in svg
