"""What the MQTT link raises, in a module of its own so that every part of the link (and
every caller) can name these errors without importing the parts that raise them."""

from __future__ import annotations


class LinkError(RuntimeError):
    """The MQTT link could not do what was asked."""


class NotConnected(LinkError):
    """The broker is unreachable right now."""


class RequestTimeout(LinkError):
    """No response arrived in time."""
