"""ESC/POS bytes read back: what the printer would make of a job.

* ``tokens.py``: the byte stream cut into commands (all the runtime needs);
* ``decoded.py``: the decoded job (text lines, QR codes, images, cuts);
* ``decoder.py``: the interpreter, with the printer's state, for the tests and the
  virtual printer.

Nothing is imported here, so that importing ``tokens`` does not load the decoder.
"""
