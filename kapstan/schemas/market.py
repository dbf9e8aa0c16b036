"""Request and response models of ``/api/v1/market`` (the market's part of ``schemas``)."""

from __future__ import annotations

from pydantic import Field

from kapstan.schemas import (
    ApplicationOut,
    ConfigVersionOut,
    EnvironmentOut,
    JsonScalar,
    Model,
    TemplateVersionOut,
)


class MarketTemplateOut(Model):
    catalog: str
    name: str
    description: str
    secrets: list[str]


class MarketInstall(Model):
    template: str = Field(min_length=1, max_length=200, description="NAME or CATALOG/NAME.")
    environment: str
    app: str | None = Field(None, description="Application name (default: the template's).")
    values: dict[str, JsonScalar] = Field(
        {}, description="Config values; the template's secret keys are stored as secrets."
    )


class MarketInstallOut(Model):
    catalog: str
    name: str
    template: TemplateVersionOut
    template_created: bool
    config: ConfigVersionOut
    config_created: bool
    application: ApplicationOut
    environment: EnvironmentOut
    generated: list[str] = Field(description="Secret keys given a random value.")


class CatalogIn(Model):
    name: str = Field(min_length=1, max_length=100, description="A name for the catalog.")
    source: str = Field(
        min_length=1,
        max_length=4096,
        description="A directory on the server's machine, or a git URL the server clones.",
    )


class CatalogOut(Model):
    name: str
    source: str
    path: str = Field(description="Where the server reads it (a clone for a git URL).")
    templates: int | None = Field(None, description="How many templates it holds (on add).")
