"""The JSON API's routes, one module per resource, all under ``/api``.

Each route takes typed dependencies (`server.http.deps`) and raises refusals that
`server.http.errors` translates; none imports the runtime or the pages.
"""
