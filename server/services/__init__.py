"""The use cases of the server: what a clerk, a kiosk or a pad may ask of it.

This strict point of cut-off provides a clear design separation between the ways a
request arrives (the HTTP routes, the MQTT ingest) and the queue domain underneath (the
engine, the rating rules). Each use case is one recipe, written once here: open the
transaction, check who may do it, apply the domain rules, and hand the `Changes` to the
publisher only once they are committed. Neither the routes nor the ingest handlers run
SQL, check ownership or publish on their own; they decode, call a service, and reply.

- `server.services.unit`: the unit of work (a session and its `Changes`) the use cases
  share, and the transaction that publishes after its commit;
- `server.services.desks`: a clerk's desk actions (open, call, serve, close, …);
- `server.services.tickets`: issuing numbers, merging offline ones, kiosk reserves;
- `server.services.ratings`: storing citizens' ratings;
- `server.services.housekeeping`: closing the day and letting rating windows lapse.

MQTT ingest applies a whole batch of device messages in one transaction, so the use
cases it calls take the batch's `Unit` instead of opening their own; the ingest worker
commits it and publishes.
"""
