"""Settings every touch device (kiosk, pad) has, and loading a device YAML file.

A wrong file stops the app with a message naming the file, the field and the problem,
like the server's site configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from protocol.config_errors import format_validation_error, yaml_error_message
from protocol.locale import DEFAULT_TZ
from protocol.settings import BrokerSettings
from protocol.text import Identifier

M = TypeVar("M", bound="DeviceConfig")


class DeviceConfigError(Exception):
    """A device configuration that cannot be used; the message says where and why."""


class ScreenSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Kiosk mode: fullscreen, no window controls, cursor hidden, close refused.
    kiosk_mode: bool = True
    #: Window size when not fullscreen (development, tests, screenshots).
    width: int = Field(1920, ge=320, le=7680)
    height: int = Field(1080, ge=240, le=4320)
    language: Literal["vi", "en"] = "vi"
    #: Back to the first screen after this long without a touch.
    idle_timeout_s: float = Field(45, ge=5, le=600)
    #: argon2 hash of the PIN that, after the admin gesture, lets staff leave the app.
    #: Make one with ``motcua user hash-pin``. Without it nobody can leave from the screen.
    admin_pin_hash: str | None = Field(None, max_length=200)


class DeviceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: Identifier
    site: Identifier
    broker: BrokerSettings = BrokerSettings()
    #: Environment variable holding the broker password when ``broker.password`` is unset.
    password_env: str = "MOTCUA_DEVICE_PASSWORD"
    #: Where the device keeps its outbox and cached state (created if missing).
    state_dir: Path = Path("var")
    #: Local time zone of the office: day boundaries and printed times.
    timezone: str = DEFAULT_TZ
    screen: ScreenSettings = ScreenSettings()

    @model_validator(mode="after")
    def _default_username(self) -> DeviceConfig:
        if self.broker.username is None:
            self.broker = self.broker.model_copy(update={"username": self.device_id})
        if self.broker.password is None and os.environ.get(self.password_env):
            self.broker = self.broker.model_copy(
                update={"password": SecretStr(os.environ[self.password_env])}
            )
        return self


def require_password(config: DeviceConfig) -> None:
    """Stop at start when the broker password is nowhere: without it the broker refuses
    every connection ("Not authorized") and the device would retry forever.

    ``broker.password: ""`` in the YAML is an explicit choice (a broker open to
    anonymous clients, as on a test bench) and passes.
    """
    if config.broker.password is None:
        var, dev = config.password_env, config.device_id
        raise DeviceConfigError(
            f"Thiếu biến môi trường {var} (mật khẩu MQTT của thiết bị {dev}) / "
            f"{var} is not set (the MQTT password of device {dev})"
        )


def load_device_config(path: str | Path, model: type[M]) -> M:
    """Read and validate a device YAML; the error names the file, field and problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeviceConfigError(f"{path}: không tìm thấy tệp / file not found") from None
    except UnicodeDecodeError as e:
        raise DeviceConfigError(
            f"{path}: tệp không phải UTF-8 (byte {e.start}) / not UTF-8 text (byte {e.start})"
        ) from None
    except yaml.YAMLError as e:
        raise DeviceConfigError(yaml_error_message(path, e)) from None
    if not isinstance(data, dict):
        raise DeviceConfigError(
            f"{path}: tệp phải là các nhóm khoá: giá trị / expected a mapping at the top level"
        )
    try:
        return model.model_validate(data)
    except ValidationError as e:
        device = data.get("device_id")
        named = isinstance(device, str) and bool(device)
        message = format_validation_error(
            str(path),
            e,
            f"configuration of device {device}" if named else "device configuration",
            what_vi=f"cấu hình thiết bị {device}" if named else "cấu hình thiết bị",
            data=data,
            model=model,
        )
        raise DeviceConfigError(message) from None
