"""Who the people are and how they prove it: accounts, tokens, browser sessions and their
CSRF tokens, the log-in check and its rate limit.

Shared by the JSON API (`server.http`), the pages (`server.web`) and the CLI (``motcua
user …``), so it belongs to none of them: nothing here imports FastAPI, the runtime or
the pages. Imports go one way: ``server.app`` → ``server.http`` | ``server.web`` →
``server.auth`` → ``server.db``, ``server.config``.

* `users`: accounts (admin, supervisor, clerk, board);
* `passwords`: people's passwords, argon2id (the devices' are the broker's);
* `tokens`: API tokens (a browser session is one, in a cookie), revocation, board tokens;
* `sessions`: the session cookie and the CSRF token derived from it;
* `ratelimit`: failed log-ins counted per account and address;
* `login`: the log-in check both the API and the log-in form use.
"""
