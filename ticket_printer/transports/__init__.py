"""Links to the printer: serial, TCP (port 9100), USB, file or device node.

One transport per module, as in python-escpos; :func:`open_transport` picks the one a
profile's ``transport`` settings describe. The contract they share is in ``base.py``.
"""

from __future__ import annotations

from ..errors import PrinterConfigError
from ..profile import FileSettings, SerialSettings, TcpSettings, TransportSettings, UsbSettings
from .base import Transport
from .file import FileTransport
from .serial import SerialTransport
from .tcp import TcpTransport
from .usb import UsbTransport

__all__ = [
    "FileTransport",
    "SerialTransport",
    "TcpTransport",
    "Transport",
    "UsbTransport",
    "open_transport",
]


def open_transport(settings: TransportSettings) -> Transport:
    """The (not yet opened) transport for a profile's ``transport`` settings."""
    if isinstance(settings, SerialSettings):
        return SerialTransport(settings)
    if isinstance(settings, TcpSettings):
        return TcpTransport(settings)
    if isinstance(settings, UsbSettings):
        return UsbTransport(settings)
    if isinstance(settings, FileSettings):
        return FileTransport(settings)
    raise PrinterConfigError(f"unknown transport settings {settings!r}")
