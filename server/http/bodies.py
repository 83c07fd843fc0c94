"""The base of every JSON request body the API takes.

Unknown fields are refused (a typo is an error, not a silently ignored field) and every
string is bounded, so a body cannot carry more than its fields allow.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)
