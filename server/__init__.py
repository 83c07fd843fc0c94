"""The motcua server: queue engine, storage, MQTT gateway, HTTP app, embedded broker."""

__version__ = "0.1.0"
