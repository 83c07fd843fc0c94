"""The hub's web app (``motcua hub web``): log-in, the province overview, the read-only
drill-down into one office, and the reports across offices."""
