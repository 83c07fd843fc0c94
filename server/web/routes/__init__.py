"""The pages' routes, one module per page (and the live stream's WebSocket).

Each takes typed dependencies (`server.web.deps`) and declares its guard
(`server.web.guards`); none imports the runtime or the JSON API.
"""
