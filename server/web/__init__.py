"""The browser side: log-in, clerk console, display board (with its spoken calls),
supervisor dashboard, reports page, and their live stream (``/ws/live``).

* `app`: `mount_pages`, which the composition root (`server.app`) calls;
* `deps`: `WebContext` and the typed dependencies; `cookies`: the session cookie;
* `guards`: who may open which page and channel; `render`: templates, CSP, page data;
* `live`: `LiveHub`, the push to the pages; `board_calls`: the calls a board shows;
* `i18n`: the pages' words; `routes/`: one module per page.

The pages' scripts act through the JSON API (with the session cookie and the CSRF header).
Imports go one way: ``server.app`` → ``server.web`` → ``server.auth``, ``server.voice``
and the domain. ``server.web`` never imports ``server.http`` (the API) nor the runtime.
"""
