"""The contract between motcua devices and the server.

Pydantic message models, the MQTT topic tree, and the MQTT client wrapper with its
durable outbox. Imports only pydantic, paho-mqtt and the standard library: kiosks and
pads import this package, so it must never pull in Kivy, FastAPI or SQLAlchemy.

docs/mqtt.md, the contract a device maker reads, is partly generated from this package
(`protocol.contract_doc`).
"""

from typing import Final

#: The ``schema`` every message carries (`Final`, so the type checker reads it as
#: ``Literal[1]``, the type of the messages' field).
SCHEMA_VERSION: Final = 1
