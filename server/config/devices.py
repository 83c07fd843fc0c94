"""The devices of a site (kiosks, rating pads, boards, monitors) and their broker
credentials.

Apart from the office's sections because a device entry is also a broker account: its
password hash must be one Mosquitto reads, and the broker's files are written from it.
The hash's format is defined here (the broker package imports it): the configuration
is the lower layer, which the web and API code may read without the broker.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import field_validator, model_validator

from protocol.config_wording import config_problem
from protocol.text import Identifier, ShortText
from server.config.base import FrozenModel

DeviceKind = Literal["kiosk", "pad", "board", "monitor"]

#: Mosquitto's ``$7$`` password hash (PBKDF2-SHA512): ``$7$iterations$salt$digest``. The
#: broker package (`server.broker.passwords`) makes and checks such hashes.
MOSQUITTO_HASH = re.compile(r"^\$7\$(\d{1,7})\$([A-Za-z0-9+/=]{8,200})\$([A-Za-z0-9+/=]{16,200})$")


class Device(FrozenModel):
    id: Identifier
    kind: DeviceKind
    name: ShortText = ""
    #: Shown on the English dashboard; empty: ``name`` (or the kind and id).
    name_en: ShortText = ""
    #: For a pad: the desk it is bound to.
    desk: Identifier | None = None
    #: Mosquitto ``$7$`` PBKDF2 hash (``motcua broker-config hash`` makes one).
    password_hash: str

    @field_validator("password_hash")
    @classmethod
    def _mosquitto_hash(cls, v: str) -> str:
        if not MOSQUITTO_HASH.match(v):
            raise config_problem(
                "phải là mã băm $7$ của Mosquitto, không phải mật khẩu; tạo bằng "
                "`motcua broker-config hash`",
                "must be a Mosquitto $7$ hash; make one with `motcua broker-config hash`",
            )
        return v

    @model_validator(mode="after")
    def _pad_has_desk(self) -> Self:
        if self.kind == "pad" and not self.desk:
            raise config_problem(
                f"máy đánh giá {self.id} cần `desk`: quầy đặt máy",
                f"pad {self.id} needs `desk`: the desk it is bound to",
            )
        if self.kind != "pad" and self.desk:
            raise config_problem(
                f"chỉ máy đánh giá (pad) mới gắn với quầy; bỏ `desk` của {self.id}",
                f"only a pad is bound to a desk; remove `desk` from {self.id}",
            )
        return self
