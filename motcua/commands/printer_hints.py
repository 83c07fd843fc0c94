"""What ``motcua printer status`` says when the printer does not answer.

``offline`` alone does not tell an installer which port was tried nor what to look at;
these lines name the link (serial device, host:port, USB ids or file) and what to check
for that kind of link, Vietnamese first.
"""

from __future__ import annotations

from ticket_printer import PrinterProfile

#: What to check, by transport kind.
_CHECKS: dict[str, str] = {
    "serial": (
        "Kiểm tra: máy in đã bật và cắm cáp; đúng cổng (ls /dev/ttyUSB* /dev/ttyS*; "
        "chọn bằng --device); người dùng thuộc nhóm dialout; đúng tốc độ --baud. / "
        "Check: printer on and cabled; the right port (ls /dev/ttyUSB* /dev/ttyS*; "
        "choose with --device); the user is in group dialout; the right --baud."
    ),
    "tcp": (
        "Kiểm tra: máy in đã bật, cùng mạng LAN; đúng địa chỉ IP và cổng (thường 9100) "
        "trong --tcp; ping được máy in. / Check: printer on and on the LAN; the right "
        "IP address and port (usually 9100) in --tcp; the printer answers ping."
    ),
    "usb": (
        "Kiểm tra: máy in đã bật và cắm USB; đúng VID:PID trong --usb (lsusb); quyền "
        "truy cập thiết bị USB (quy tắc udev). / Check: printer on and plugged in; the "
        "right VID:PID in --usb (lsusb); permission on the USB device (udev rule)."
    ),
    "file": (
        "Kiểm tra: tệp hoặc thiết bị tồn tại (vd ls /dev/usb/lp*) và người dùng có quyền "
        "ghi (nhóm lp). / Check: the file or device exists (e.g. ls /dev/usb/lp*) and the "
        "user may write to it (group lp)."
    ),
}


def link_name(profile: PrinterProfile) -> str:
    """The link as an installer would name it: device path, host:port, USB ids, file."""
    t = profile.transport
    if t.kind == "serial":
        return f"cổng nối tiếp / serial port {t.device}"
    if t.kind == "tcp":
        return f"máy in mạng / network printer {t.host}:{t.port}"
    if t.kind == "usb":
        return f"máy in USB / USB printer {t.vendor_id:04x}:{t.product_id:04x}"
    return f"tệp / file {t.path}"


def offline_lines(profile: PrinterProfile, fault: Exception | None) -> list[str]:
    """Lines explaining an ``offline`` status: which link, why (if known), what to check."""
    lines = [f"Không liên lạc được máy in / printer not reachable: {link_name(profile)}"]
    if fault is not None:
        lines.append(f"Lý do / reason: {fault}")
    lines.append(_CHECKS[profile.transport.kind])
    return lines
