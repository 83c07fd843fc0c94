"""The office's uplink to its hub (issue 16, docs/hub.md): the forwarder of committed
facts (`forwarder`, `facts`) and the pulse (`pulse`). The bridge that carries them is
Mosquitto's own (`server.broker.bridge`)."""
