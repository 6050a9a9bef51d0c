"""View-models of the case pages: what a template shows, already resolved and formatted, nothing more.

Moments stay datetimes: templates show them with the `when` filter, in the one configured zone
(api/local_time.py), like every other page.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Option(BaseModel):
    """A choice in a filter or a form: its value and its label."""

    value: str
    label: str
    selected: bool = False


class SlaView(BaseModel):
    """The deadline as the page shows it."""

    due: datetime | None = None   # the deadline (None when the type has no SLA)
    left: str = ""                # '3 h 10 min' left, or how long ago it passed
    breached: bool = False
    soon: bool = False            # under a quarter of the budget left
    paused: bool = False          # the clock stands while the case waits


class CaseRow(BaseModel):
    """One line of the case list."""

    id: str
    label: str
    request_type: str
    state: str                    # the state's value (CSS class, filter)
    state_label: str
    priority: str
    priority_label: str
    store: str
    group: str
    assignee: str
    opened: datetime
    sla: SlaView


class CaseListView(BaseModel):
    """The lean case list: filters, one page of rows, the link to the next page."""

    title: str
    rows: list[CaseRow]
    states: list[Option]
    types: list[Option]
    overdue: bool
    next_query: str | None        # query string of the next page, None on the last
    scope: str                    # whose cases these are: 'store 00042', 'groups quality, logistics', 'all'
    store: str | None = None      # the store filter's value; None: not offered (store staff see one store)


class CommentView(BaseModel):
    """A staff comment."""

    author: str
    at: datetime
    text: str


class AttachmentView(BaseModel):
    """An attachment and where it can be downloaded."""

    name: str
    size: str
    added_by: str
    at: datetime
    url: str | None               # our download link, or the file's own URL (kept by reference)


class HopView(BaseModel):
    """One stay on the route map."""

    group: str
    assignee: str
    entered: datetime
    left: datetime | None         # None while the case is still there
    spent: str                    # wall-clock time at this hop
    working: str                  # of it, working hours in the group's calendar
    reason: str
    current: bool


class HistoryView(BaseModel):
    """One entry of the audit trail."""

    at: datetime
    actor: str
    what: str
    reason: str


class CustomerView(BaseModel):
    """Who the case is for, in one line each."""

    name: str
    contacts: list[str]
    channel: str


class ActionView(BaseModel):
    """What the viewer may do now."""

    take: bool = False
    release: bool = False
    wait: bool = False
    resume: bool = False
    solve: bool = False
    close: bool = False
    reopen: bool = False
    move: bool = False
    comment: bool = False
    attach: bool = False


class CasePageView(BaseModel):
    """Everything the case page shows."""

    id: str
    label: str
    request_type: str
    state: str
    state_label: str
    waiting_for: str
    priority: str
    priority_label: str
    description: str
    store: str
    store_detail: str
    group: str
    assignee: str
    opened: datetime
    opened_by: str
    solution: str
    fields: list[tuple[str, str]]
    conversation_url: str | None  # the operator inbox's page of the linked conversation, for those who may open it
    customer: CustomerView
    sla: SlaView
    attachments: list[AttachmentView]
    comments: list[CommentView]
    route: list[HopView]
    history: list[HistoryView]
    actions: ActionView
    groups: list[Option]          # where the case may be moved
    links: list[tuple[str, str, str]]  # related cases: (relation, their label, url)
    max_file: str                 # the upload limit, '10.0 MB' (the request body limit may be lower)
    file_types: str
