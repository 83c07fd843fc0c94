"""What the two Kivy apps (kiosk, rating pad) share.

Import order matters with Kivy: call :func:`touch_ui.boot.configure` before anything
imports ``kivy.core.window`` (importing Kivy's window opens it). The modules here
that do not need a window (``device_config``, ``i18n``) never import Kivy.
"""
