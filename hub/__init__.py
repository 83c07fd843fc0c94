"""The hub of many offices (issue 16, docs/hub.md): workers that store every office's
forwarded facts into PostgreSQL, the hub broker's accounts, and the province's pages.

Imports `protocol` and `server` (the schema, the reports); the office server never
imports the hub.
"""
