"""motcua — queue numbers and satisfaction ratings for Vietnamese one-stop desks."""

from protocol.version import VERSION as __version__

__all__ = ["__version__"]
