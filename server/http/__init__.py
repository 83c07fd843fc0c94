"""The JSON API (OpenAPI at ``/docs``): health, log-in, queues, desks and the clerk's
actions, devices, refused messages, letters, reports.

* `app`: `mount_api`, which the composition root (`server.app`) calls;
* `deps`: `ApiContext` and the typed dependencies (the server's parts, who is asking);
* `errors`: the one translator from refusals to HTTP answers;
* `bodies`: the base of request bodies; `docs_page`: the offline API reference;
* `routes/`: one module per resource.

Imports go one way: ``server.app`` → ``server.http`` → ``server.auth``,
``server.services`` and the domain. ``server.http`` never imports ``server.web`` (the
pages) nor the runtime (``server.runtime``): what it needs comes typed from `deps`.
"""
