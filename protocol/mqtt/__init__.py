"""The parts of the MQTT link, one job per module; `protocol.link.MqttLink` composes them.

* `message`: `Message`, what a subscriber's handler receives (no paho type leaves
  ``protocol``);
* `connection`: the paho client, TLS, reconnect, subscriptions and presence;
* `delivery`: durable publishing through the SQLite outbox, confirmed by receipt or PUBACK;
* `requests`: request/response correlated by ``msg_id``;
* `errors`: what the link raises.
"""
