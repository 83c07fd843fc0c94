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

from protocol.config_errors import format_validation_error, yaml_error_message
from server.config.base import ConfigError
from server.config.site import SiteConfig


def parse_site_config(data: Any, source: str = "<config>") -> SiteConfig:
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as e:
        message = format_validation_error(
            source,
            e,
            "site configuration",
            what_vi="cấu hình đơn vị",
            data=data,
            model=SiteConfig,
        )
        raise ConfigError(message) from None


def load_site_config(path: str | Path) -> SiteConfig:
    """Read and validate a site YAML; `ConfigError` names the file, field and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: không tìm thấy tệp / file not found") from None
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: tệp không phải UTF-8 (byte {e.start}): lưu lại với mã UTF-8 / "
            f"not UTF-8 text (byte {e.start}): save it as UTF-8"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(yaml_error_message(path, e)) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: tệp phải là các nhóm khoá: giá trị (site:, services: …) / "
            "expected a mapping at the top level (site:, services: …)"
        )
    return parse_site_config(data, str(path))
