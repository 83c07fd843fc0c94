"""The queue engine: numbering, calling policy, ETA and the ticket lifecycle."""
