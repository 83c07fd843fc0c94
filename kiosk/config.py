"""Kiosk configuration (``config/kiosk.example.yaml``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ticket_printer import PrinterProfile
from touch_ui.device_config import DeviceConfig


class KioskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Wait this long for the server's answer before issuing from the reserve block.
    request_timeout_s: float = Field(3.0, ge=0.5, le=30)
    #: The ticket screen goes back to the welcome screen after this long.
    ticket_screen_s: float = Field(12, ge=3, le=120)
    #: When the printer failed, the number stays on screen this long (or until a touch).
    fault_screen_s: float = Field(60, ge=10, le=600)
    #: Offer the priority categories (người cao tuổi, …) after the service.
    ask_priority: bool = True
    #: Offer "rate a visit" (Đánh giá cán bộ) on the welcome screen.
    rate_visit: bool = True
    #: Seconds between health reports (also sent at once when the printer state changes).
    health_every_s: float = Field(30, ge=5, le=3600)
    # UI timings (tests set them short instead of sleeping past them).
    #: Presses on the service and priority buttons closer together than this are ignored:
    #: a double tap must not take two numbers.
    press_guard_s: float = Field(0.8, ge=0, le=5)
    #: A touch ends the ticket screen, but not in its first seconds: a second tap on the
    #: service button must not hide the number just shown.
    touch_lock_s: float = Field(1.5, ge=0, le=10)
    #: "Rate a visit": presses closer together than this are ignored (the pad's
    #: ``rating.min_gap_s``), and how long "Xin cảm ơn ông/bà" stays.
    rating_gap_s: float = Field(1.0, ge=0, le=5)
    rating_thanks_s: float = Field(4, ge=1, le=30)


class KioskConfig(DeviceConfig):
    kiosk: KioskSettings = KioskSettings()
    #: The ticket printer; leave it out for a kiosk that only shows the number.
    printer: PrinterProfile | None = None
