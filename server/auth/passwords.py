"""People's passwords (clerks, supervisors, admins, and the touch devices' admin PIN),
hashed with argon2id via argon2-cffi.

Apart from the devices' MQTT passwords (`server.broker.passwords`, Mosquitto's ``$7$``
format): those belong to the broker, these to the people who log in, and the pages and
the API must not depend on the broker.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_argon = PasswordHasher()


def hash_user_password(password: str) -> str:
    return _argon.hash(password)


def verify_user_password(password: str, stored: str) -> bool:
    try:
        return _argon.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
