"""The sub-commands of ``motcua``, one module per group: `server`, `demo`, `db`,
`broker`, `users`, `devices` (kiosk, pad), `report`, `simulate` and `printer`.

`motcua.cli` mounts them. Each command imports what it runs inside its body, so
``motcua --help`` and a device's start stay quick and a machine without the server's
dependencies can still run its own commands.
"""
