"""The rating pad at one desk: shows who serves, asks the citizen for a rating when the
clerk marks the visit done. ``rating_pad.core`` (no Kivy) and ``rating_pad.app``, with
its idle screen in ``rating_pad.screens`` (layout in ``rating_pad/kv``)."""
