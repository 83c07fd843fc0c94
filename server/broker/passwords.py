"""Password hashing.

* Device (MQTT) passwords use Mosquitto's own ``$7$`` format (PBKDF2-SHA512), so the
  same hash in the site YAML serves the embedded broker and the password file written
  for Mosquitto by ``motcua broker-config``.
* People's passwords (clerks, supervisors) use argon2id: `server.auth.passwords`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from server.config.devices import MOSQUITTO_HASH

_ITERATIONS = 101  # Mosquitto 2.0's default for $7$ hashes


def hash_device_password(password: str, iterations: int = _ITERATIONS) -> str:
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_device_password(password: str, stored: str) -> bool:
    m = MOSQUITTO_HASH.match(stored)
    if not m:
        return False
    iterations, salt, digest = int(m[1]), base64.b64decode(m[2]), base64.b64decode(m[3])
    candidate = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return hmac.compare_digest(candidate, digest)
