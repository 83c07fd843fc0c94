"""One handler per kind of device topic: tickets (kiosks), ratings (pads and kiosks),
devices (status and health of every device).

A handler decodes the payload into the topic's model, checks the sender
(`server.ingest.admission`), deduplicates (`server.ingest.dedup`), calls a use case
(`server.services`) and records the reply; it raises `Refused` (or lets the domain's
`MotcuaError` through) for anything it will not apply. It never commits, acknowledges
or publishes: the worker does, for the batch.
"""
