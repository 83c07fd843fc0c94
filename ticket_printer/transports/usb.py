"""A USB printer class device through pyusb, an optional dependency imported on use."""

from __future__ import annotations

import contextlib
from typing import Any

from ..errors import PrinterConfigError
from ..profile import UsbSettings
from .base import Transport, gone_error, timeout_error


class UsbTransport(Transport):
    """USB printer class device through pyusb (``pip install pyusb``, plus libusb).

    On Linux the ``usblp`` kernel driver also exposes the printer as ``/dev/usb/lp0``;
    :class:`FileTransport` on that node needs no extra library.
    """

    def __init__(self, settings: UsbSettings) -> None:
        self.settings = settings
        self.write_timeout_s = settings.write_timeout_s
        self._dev: Any = None  # usb.core.Device (pyusb has no type information)
        self._out: int | None = None
        self._in: int | None = None

    @property
    def name(self) -> str:
        return f"usb {self.settings.vendor_id:04x}:{self.settings.product_id:04x}"

    @property
    def is_open(self) -> bool:
        return self._dev is not None

    def open(self) -> None:
        if self._dev is not None:
            return
        try:
            import usb.core
            import usb.util
        except ImportError as exc:
            raise PrinterConfigError(
                "Cần cài pyusb để dùng máy in USB / USB printers need pyusb: pip install pyusb"
            ) from exc
        s = self.settings
        try:
            dev = usb.core.find(idVendor=s.vendor_id, idProduct=s.product_id)
        except usb.core.NoBackendError as exc:
            raise PrinterConfigError(
                "Thiếu thư viện libusb / libusb is missing: apt-get install libusb-1.0-0"
            ) from exc
        if dev is None:
            raise gone_error(self.name, "không tìm thấy thiết bị / device not found")
        try:
            if dev.is_kernel_driver_active(s.interface):
                dev.detach_kernel_driver(s.interface)
        except (NotImplementedError, usb.core.USBError):
            pass
        with contextlib.suppress(usb.core.USBError):  # already configured
            dev.set_configuration()
        intf = dev.get_active_configuration()[(s.interface, 0)]
        out_ep = s.out_endpoint or next(
            e.bEndpointAddress
            for e in intf
            if usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT
        )
        in_eps = [
            e.bEndpointAddress
            for e in intf
            if usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN
        ]
        self._dev, self._out = dev, out_ep
        self._in = s.in_endpoint or (in_eps[0] if in_eps else None)
        self.can_read = self._in is not None

    def close(self) -> None:  # pragma: no cover - needs hardware and pyusb
        dev, self._dev = self._dev, None
        if dev is not None:
            import usb.util

            with contextlib.suppress(Exception):
                usb.util.dispose_resources(dev)

    def write(self, data: bytes, timeout: float | None = None) -> None:  # pragma: no cover
        import usb.core

        if self._dev is None:
            raise gone_error(self.name, "chưa mở / not open")
        timeout = timeout or self.write_timeout_s
        try:
            for offset in range(0, len(data), 4096):
                self._dev.write(self._out, data[offset : offset + 4096], int(timeout * 1000))
        except usb.core.USBTimeoutError as exc:
            raise timeout_error(self.name, timeout) from exc
        except usb.core.USBError as exc:
            self.close()
            raise gone_error(self.name, exc) from exc

    def read(self, size: int, timeout: float) -> bytes:  # pragma: no cover
        import usb.core

        if self._dev is None or self._in is None:
            return b""
        try:
            return bytes(self._dev.read(self._in, max(size, 64), int(timeout * 1000)))[:size]
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            self.close()
            raise gone_error(self.name, exc) from exc
