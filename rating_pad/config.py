"""Pad configuration (``config/pad.example.yaml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from protocol.text import Identifier
from touch_ui.device_config import DeviceConfig


class PadRating(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Faces on the pad: 3 (official: Rất hài lòng / Hài lòng / Không hài lòng), 4 or 5.
    scale: Literal[3, 4, 5] = 3
    # The pad's UI timings (tests set them short instead of sleeping past them).
    #: Presses closer together than this are ignored (double taps, a leaning hand).
    min_gap_s: float = Field(1.0, ge=0, le=5)
    #: With no touch for this long, the level alone is sent (partial) and the pad idles.
    idle_timeout_s: float = Field(30, ge=5, le=300)
    #: How long "Xin cảm ơn ông/bà" stays.
    thanks_s: float = Field(4, ge=1, le=30)


class PadConfig(DeviceConfig):
    #: The desk this pad stands on (as in the site config).
    desk_id: Identifier
    rating: PadRating = PadRating()
    #: Seconds between health reports.
    health_every_s: float = Field(30, ge=5, le=3600)
