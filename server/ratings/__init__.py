"""Citizens' ratings: the rules that decide which ratings count (`server.ratings.rules`).

A package of its own because the rules are domain, like the queue: the MQTT ingest (via
`server.services.ratings`), the history simulation and the tests all apply the same
rules, and none of them should need the ingest to do so.
"""
