"""Reading a site YAML file: `load_site_config` (a path) and `parse_site_config`
(already parsed data, e.g. from tests or the demo).

A wrong file stops start-up with one `ConfigError` naming the file, the field and the
problem; kept apart from the models so they stay plain pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from protocol.config_errors import format_validation_error
from server.config.base import ConfigError
from server.config.site import SiteConfig


def parse_site_config(data: Any, source: str = "<config>") -> SiteConfig:
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(source, e, "site configuration")) from None


def load_site_config(path: str | Path) -> SiteConfig:
    """Read and validate a site YAML; `ConfigError` names the file, field and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{path}: {where}YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_site_config(data, str(path))
