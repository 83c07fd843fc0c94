"""The motcua server: queue engine, storage, MQTT gateway, HTTP app, embedded broker.

The program's version is `protocol.version.VERSION` (read from the installed
distribution), not a constant here.
"""
