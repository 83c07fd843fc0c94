"""The queue: numbering, calling policy, ETA, the ticket lifecycle and desk sessions.

`engine.QueueEngine` is a façade over the modules; `states` holds the lifecycle as data.
"""
