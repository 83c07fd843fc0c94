"""What every part of the site configuration shares: the frozen, strict model base,
the error a loader raises, and the percentage type.

Separate so that each part of the configuration (office, devices, rating, letters,
hosting) can be read on its own without importing the others.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Percent = Annotated[float, Field(ge=0, le=100)]


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and why."""


class FrozenModel(BaseModel):
    """A configuration section: unknown keys are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
