"""The contract between motcua devices and the server.

Pydantic message models, the MQTT topic tree, and the MQTT client wrapper with its
durable outbox. Imports only pydantic, paho-mqtt and the standard library: kiosks and
pads import this package, so it must never pull in Kivy, FastAPI or SQLAlchemy.
"""

SCHEMA_VERSION = 1
