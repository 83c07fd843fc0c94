"""The browser side: log-in, clerk console, display board, supervisor dashboard."""
