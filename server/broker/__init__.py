"""The MQTT broker as the server sees it: accounts, ACLs and Mosquitto's files.

* `acl`: who may publish and subscribe where, derived from `protocol.topics.SPECS`;
* `mosquitto_config`: ``mosquitto.conf``, ``passwd`` and ``acl`` for both broker shapes
  (the one an operator runs, and the one-box broker);
* `embedded`: the one-box broker, a Mosquitto the server starts and supervises;
* `passwords`: the devices' password hashes, in Mosquitto's own ``$7$`` format.

Apart from the rest of `server` because none of it touches the database or the queue:
it turns the site configuration into what the broker enforces.
"""
