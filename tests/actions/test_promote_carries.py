"""What was tested travels with a promotion: the template's promoted keys (``promote:``,
else its image references' keys) are set in the target to the source's values, listed in
the promotion's plan and recorded (config version, audit entry, approval payload)."""

from __future__ import annotations

import pytest

from kapstan.actions import applications, configs, templates
from kapstan.actions.approvals import promotion_of
from kapstan.actions.gates import ApprovalPending
from kapstan.actions.promote import Carried, plan_promotion, promote
from kapstan.actions.refs import Ref
from kapstan.errors import TemplateError
from kapstan.model.values import SecretValue, Value
from kapstan.render.promotion import promoted_keys
from kapstan.store import Store
from kapstan.templates.parser import parse_template

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
      - {name: init, image: "shop/migrate:${migrate.tag:-1.0}"}
      containers:
      - name: web
        image: "shop/web:${web.image.tag:-1.0}"
        env: [{name: MODE, value: "${web.mode:-fast}"}]
"""


def _files(promote: str = "") -> dict[str, str]:
    head = "name: shop\nservices:\n  web: {manifests: [web.yaml], env: [web.token]}\n"
    return {"kapstan.yaml": head + promote, "web.yaml": DEPLOYMENT}


def test_without_a_list_the_image_references_keys_travel() -> None:
    assert promoted_keys(parse_template(_files())) == ("migrate.tag", "web.image.tag")


def test_a_template_lists_the_keys_that_travel() -> None:
    template = parse_template(_files("promote: [web.mode, web.image.tag]\n"))
    assert promoted_keys(template) == ("web.mode", "web.image.tag")
    assert parse_template(_files("promote: []\n")).promote == ()  # nothing travels


def test_a_promote_key_the_template_does_not_use_is_refused_by_line() -> None:
    with pytest.raises(TemplateError, match=r"kapstan.yaml:5:3: promote key 'web.tga'"):
        parse_template(_files("promote:\n- web.tga\n"))


@pytest.fixture
def world(store: Store) -> Store:
    """``shop`` in dev, where web.image.tag 1.1 (and a secret) was tested; prod beside it."""
    templates.save_files(store, _files(), author="a")
    tested: dict[str, Value] = {"web.image.tag": "1.1", "web.token": SecretValue("dev-t")}
    configs.set_values(store, "dev", tested, author="a")
    configs.set_values(store, "prod", {"web.token": SecretValue("prod-t")}, author="a")
    for env in ("dev", "prod"):
        store.create_environment(
            env, kubeconfig="/nonexistent", context=None, namespace=env, config=env
        )
    applications.create_app(store, "shop", template=Ref("shop"), environment="dev", author="a")
    return store


def test_the_plan_lists_what_changes_and_the_promotion_sets_and_records_it(world: Store) -> None:
    plan = plan_promotion(world, "shop", "prod", None)
    assert plan.carried == (Carried("web.image.tag", "1.0", "1.1"),)  # migrate.tag: same
    assert plan.payload()["carried"] == [{"key": "web.image.tag", "from": "1.0", "to": "1.1"}]
    done = promote(world, plan, author="ana", deploy=False)
    assert done.carried == plan.carried
    prod = world.get_config("prod")
    assert prod.values["web.image.tag"] == "1.1"
    assert prod.values["web.token"] == SecretValue("prod-t")  # a secret stays each env's own
    assert prod.message == "promoted shop to shop-prod: carries web.image.tag: 1.0 -> 1.1"
    (entry,) = world.list_audit(kind="config", name="prod", limit=1)
    assert (entry.actor, entry.action, entry.details["application"]) == (
        "ana",
        "config.set",
        "shop-prod",
    )
    assert entry.details["carried"] == plan.payload()["carried"]
    again = plan_promotion(world, "shop", "prod", None)  # done: nothing left to carry
    assert again.carried == ()


def test_a_pinned_target_is_moved_to_the_version_that_carries_them(world: Store) -> None:
    first = world.get_config("prod").version
    applications.create_app(
        world,
        "shop-prod",
        template=Ref("shop"),
        environment="prod",
        config=Ref("prod", first),
        author="a",
    )
    done = promote(world, plan_promotion(world, "shop", "prod", None), author="ana", deploy=False)
    assert done.application.config_version == first + 1
    assert world.get_config("prod", first + 1).values["web.image.tag"] == "1.1"


def test_an_approval_keeps_what_it_will_carry(world: Store) -> None:
    world.set_environment_approval("prod", True)
    world.create_user("ana", password=None)
    world.grant_role("ana", "prod", "deployer")
    with pytest.raises(ApprovalPending):
        promote(world, plan_promotion(world, "shop", "prod", None), author="ana")
    (pending,) = world.list_approvals(status="pending")
    assert promotion_of(pending).carried == (Carried("web.image.tag", "1.0", "1.1"),)


def test_a_value_that_renders_the_same_text_does_not_travel(world: Store) -> None:
    """``config set web.image.tag=1.0`` stores a number; the default ``1.0`` is text. Both make
    the image ``shop/web:1.0``, so promoting carries nothing and makes no config version."""
    configs.set_values(world, "dev", {"web.image.tag": 1.0, "migrate.tag": 1.0}, author="a")
    applications.update_app(world, "shop")
    before = world.get_config("prod").version
    plan = plan_promotion(world, "shop", "prod", None)
    assert plan.carried == ()
    done = promote(world, plan, author="ana", deploy=False)
    assert done.application.config_version == before
