"""A QR code as a Kivy image: what the kiosk shows beside a number it could not print.

Separate from the screens because it is the one place that turns text into a texture
(qrcode → PNG in memory → Kivy texture); the printer draws its own QR codes.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
from kivy.core.image import Image as CoreImage
from kivy.uix.image import Image


def qr_image(content: str, **kw: Any) -> Image:
    """An ``Image`` of ``content``'s QR code, sharp at any size (tid ``ticket-qr``)."""
    buf = io.BytesIO()
    qrcode.make(content, border=2).save(buf, format="PNG")
    buf.seek(0)
    texture = CoreImage(buf, ext="png").texture
    texture.mag_filter = "nearest"
    img = Image(texture=texture, fit_mode="contain", **kw)
    img.tid = "ticket-qr"
    return img
