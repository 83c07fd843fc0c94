"""The HTTP side: JSON API now; clerk console, board and dashboard pages later."""
