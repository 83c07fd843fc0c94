"""Defaults of the place motcua is made for: Vietnam.

One constant read by the server's site configuration and the devices' configuration,
so the default time zone is written once. (``ticket_printer`` keeps its own copy: it is
a library that imports nothing of this project.)
"""

from __future__ import annotations

from typing import Final

#: Time zone of a site or device that does not name one (UTC+7, no daylight saving).
DEFAULT_TZ: Final = "Asia/Ho_Chi_Minh"
