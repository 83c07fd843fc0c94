"""What ``motcua broker-config tls`` tells the operator: which file goes where, and the
YAML to add to the site and device configurations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from server.broker.certificates import Issued

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def _day(when: dt.datetime) -> str:
    return when.astimezone(LOCAL).strftime("%d/%m/%Y")


def _device_host(hosts: list[str]) -> str:
    """What to suggest to devices: a LAN address (needs no DNS), else a name."""
    remote = [h for h in hosts if h not in ("localhost", "127.0.0.1", "::1")]
    addresses = [h for h in remote if h.replace(".", "").isdigit() or ":" in h]
    return (addresses or remote or hosts)[0]


def report(issued: Issued, plain_port: int, tls_port: int = 8883) -> str:
    f = issued.files
    ca_state = (
        "MỚI / NEW: copy ca.crt to every device"
        if issued.new_ca
        else "giữ nguyên / kept: devices need nothing new"
    )
    device_host = _device_host(issued.hosts)
    return f"""\
CA:       {f.ca_cert} ({ca_state}; hết hạn / valid until {_day(issued.ca_not_after)})
          {f.ca_key} — giữ kín, chỉ trên máy chủ / keep secret, on this server only
Máy chủ / server: {f.cert}, {f.key}
          tên / names: {", ".join(issued.hosts)}
          hết hạn / valid until {_day(issued.not_after)} (renew: run this command again)

Chép sang mỗi máy lấy số / bảng đánh giá CHỈ tệp ca.crt (không bao giờ tệp .key) /
copy ONLY ca.crt to each kiosk and pad (never a .key file), e.g. to /etc/motcua/ca.crt,
and add to its device YAML:

broker:
  host: {device_host}          # one of the names above
  port: {tls_port}
  tls_ca_file: /etc/motcua/ca.crt

Thêm vào cấu hình đơn vị / add to the site YAML (server.broker and, for HTTPS, server.http):

server:
  broker:
    tls:
      port: {tls_port}
      cert_file: {f.cert.resolve()}
      key_file: {f.key.resolve()}
      ca_file: {f.ca_cert.resolve()}
      local_plain: true   # plain port {plain_port} kept on 127.0.0.1 for the server only
  http:
    tls_cert_file: {f.cert.resolve()}   # optional: HTTPS from the server itself
    tls_key_file: {f.key.resolve()}

Then: `motcua broker-config write --out …` and restart Mosquitto (or the one-box server).
Mosquitto's user must be able to read server.key (e.g. sudo chgrp mosquitto {f.key};
sudo chmod 640 {f.key})."""
