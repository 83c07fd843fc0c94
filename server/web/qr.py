"""QR codes as small SVG images, made on the server (the pages load nothing from
elsewhere): the display board's "Góp ý, phản ánh" code for the suggestion box.

Dark modules on a white square with a quiet zone, so the code scans on a dark board too.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

#: Modules of white around the code (the standard asks for 4; phones cope with 2).
QUIET = 2


@lru_cache(maxsize=8)
def qr_svg(data: str) -> str:
    """The QR code of ``data`` as an SVG document (scales to any size)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    size = len(matrix) + 2 * QUIET
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start + QUIET},{y + QUIET}h{x - start}v1h-{x - start}z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
