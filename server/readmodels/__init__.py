"""Read models: what the server publishes and shows, built from the database.

Each module answers one question for the publisher (retained MQTT state), the JSON API
and the live dashboard, so all of them say the same thing: the queue of a service, the
state of a desk, a desk's day statistics, the devices, the latest ratings, the alerts.
They only read; every write goes through `server.queue` or the rating rules.
"""
