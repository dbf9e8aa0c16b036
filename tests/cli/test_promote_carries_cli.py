"""``app promote`` prints what travels with it (the tested image tags), locally: no cluster."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Run


def test_promote_prints_and_records_the_image_tags_it_carries(shop: Run, kubeconfig: Path) -> None:
    kapstan = shop
    for step in (
        ("config", "set", "dev", "catalog.image.tag=1.2.0"),
        ("app", "update", "shop"),  # dev runs (and tests) config dev@3 now
        ("config", "set", "prod", "web.host=shop.example.com"),
        ("config", "set", "prod", "--secret", "db.password=p-2"),
        (
            "env",
            "create",
            "prod",
            "--kubeconfig",
            kubeconfig,
            "--namespace",
            "p",
            "--config",
            "prod",
        ),
    ):
        assert kapstan(*step).code == 0, step
    done = kapstan("app", "promote", "shop", "--to", "prod")
    assert done.code == 0, done.err
    assert done.out.splitlines()[0] == "carries catalog.image.tag: 1.0.0 -> 1.2.0"
    listed = kapstan("config", "get", "prod", "catalog.image.tag")
    assert listed.out.strip() == "1.2.0"
    again = kapstan("app", "promote", "shop", "--to", "prod", "-o", "json")
    assert again.code == 0 and again.json()["carried"] == []  # carried once, nothing left
