"""The touchscreen kiosk where citizens take a number (and rate a visit).

``kiosk.core`` does the work without Kivy (talks to the server, issues offline numbers
from the reserve, prints); ``kiosk.app`` is the Kivy front end on top of it, with one
module per screen in ``kiosk.screens`` (layouts in ``kiosk/kv``) and taking and printing a
number in ``kiosk.flow``.
"""
