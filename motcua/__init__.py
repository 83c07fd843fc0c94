"""motcua — queue numbers and satisfaction ratings for Vietnamese one-stop desks."""

from server import __version__

__all__ = ["__version__"]
