"""Gap registrations (udekkede behov): where patients fall through, and the measures that close the gaps.

- `access`: who may read, write, delete and comment (REHABKART_PUBLIC_GAPS; the municipality-editor rule).
- `records`: a gap as the API shows it (one builder), "today" in Norway, what counts as overdue.
- `checks`: the fields' rules that need the database, each problem at its field path.
- `writes`: create, change, soft delete.
- `workflow`: the status, changed only by transitions, with their preconditions on the measures.
- `measures`: a gap's measures, with their own versions.
- `comments`: comments, and the history of a gap (audit events and comments in time order).
- `from_coverage`: a missing step of the coverage heat map registered as a gap, once while it is open.
- `queries`: the list's filters and the summary of open gaps.
- `export`: CSV for Excel.
- `overdue`: overdue measures across gaps (front page, an owner's page).

Audit entity types: `gap` (in the change feed), `gap_measure` and `gap_comment` (not in the feed: they have
no URL of their own; a gap's history shows them).
"""

from app.domain.gaps.access import may_read
from app.domain.gaps.comments import add_comment, history, list_comments
from app.domain.gaps.export import gaps_csv
from app.domain.gaps.from_coverage import AlreadyRegistered, may_register, open_registrations, register_from_coverage
from app.domain.gaps.measures import create_measure, delete_measure, get_measure, list_measures, update_measure
from app.domain.gaps.overdue import overdue_measures
from app.domain.gaps.queries import GapFilter, get, list_gaps, summary
from app.domain.gaps.records import COMMENT_ENTITY, ENTITY, MEASURE_ENTITY, STATUS_LABELS
from app.domain.gaps.workflow import ALLOWED, needs_reason, transition
from app.domain.gaps.writes import create, delete_gap, update

__all__ = [
    "ALLOWED",
    "COMMENT_ENTITY",
    "ENTITY",
    "MEASURE_ENTITY",
    "STATUS_LABELS",
    "AlreadyRegistered",
    "GapFilter",
    "add_comment",
    "create",
    "create_measure",
    "delete_gap",
    "delete_measure",
    "gaps_csv",
    "get",
    "get_measure",
    "history",
    "list_comments",
    "list_gaps",
    "list_measures",
    "may_read",
    "may_register",
    "needs_reason",
    "open_registrations",
    "overdue_measures",
    "register_from_coverage",
    "summary",
    "transition",
    "update",
    "update_measure",
]
