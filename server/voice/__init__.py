"""Offline Vietnamese voice announcements for the waiting-room display board.

When a clerk calls a ticket the board plays a chime, then "Mời công dân có số A hai mươi
ba đến quầy số ba". No network and no online TTS: every word the sentence can contain (two
fixed phrases, the letter names, the number words — `server.voice.words.VOCABULARY`) is
synthesized once with espeak-ng's Vietnamese voice, trimmed of silence and cached on disk;
a call only joins cached clips in memory (well under a millisecond, no subprocess). If
espeak-ng is missing or fails, and the cache cannot stand in for it, the announcement is
the chime alone.

This is speech synthesis, not web code: the board's audio routes (`server.web`) only ask
the `Announcer` for WAV bytes. One module per job:

* `words`: how a call is read aloud (numbers, letters, the sentence) — pure functions;
* `pcm`: 16-bit mono PCM and WAV handling, silence trimming, the synthesized chime;
* `espeak`: the espeak-ng subprocess, its version record and the on-disk clip cache;
* `announcer`: `Announcer`, which joins the clips into one WAV per call, thread-safe.

Imports go one way: announcer → espeak → pcm, and announcer → words.
"""
