"""The suggestion box for supervisors: list the suggestions
(``GET /api/sites/{site}/suggestions``) and mark one handled with a note
(``POST …/suggestions/{id}/handled``). Citizens post theirs on the public page
``/gop-y`` (`server.web.routes.suggestions`); nobody else reads them here.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from protocol.refusals import Reason
from server.http.bodies import StrictBody
from server.http.deps import Config, Context, Db, Supervisor, check_site
from server.http.errors import body
from server.readmodels.suggestions import State, SuggestionView, open_count, suggestion_views
from server.services.suggestions import NOTE_MAX, SuggestionRefused, SuggestionService

router = APIRouter(prefix="/api", tags=["suggestions"])


def _service(context: Context) -> SuggestionService:
    return context.suggestions


Suggestions = Annotated[SuggestionService, Depends(_service)]


class SuggestionList(BaseModel):
    site: str
    #: How many are open in all (the list may be cut at ``limit``).
    open: int
    suggestions: list[SuggestionView]


class HandledBody(StrictBody):
    #: How it was handled (checked by the service: 1–1000 characters, no control
    #: characters; the bound here is on what is sent, before NFC and trimming).
    note: str = Field(max_length=4 * NOTE_MAX)


@router.get("/sites/{site}/suggestions")
def list_suggestions(
    site: str,
    config: Config,
    db: Db,
    user: Supervisor,
    state: State = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SuggestionList:
    """The suggestion box: ``open`` ones oldest first (the default), ``handled`` or
    ``all`` newest first. Supervisors and admins only: a contact is personal data."""
    check_site(config, site)
    with db.read() as s:
        return SuggestionList(
            site=site,
            open=open_count(s, site),
            suggestions=suggestion_views(s, config, state, limit),
        )


@router.post("/sites/{site}/suggestions/{suggestion_id}/handled", response_model=None)
def mark_handled(
    site: str,
    suggestion_id: uuid.UUID,
    data: HandledBody,
    config: Config,
    user: Supervisor,
    suggestions: Suggestions,
) -> SuggestionView | JSONResponse:
    """Mark a suggestion handled, with a note saying how (once: again is a 409)."""
    check_site(config, site)
    try:
        return suggestions.mark_handled(suggestion_id, data.note, user.username)
    except SuggestionRefused as e:
        if e.code is Reason.INVALID:  # the note: a bad request body, as pydantic's
            return JSONResponse(body(e), status_code=422)
        raise
