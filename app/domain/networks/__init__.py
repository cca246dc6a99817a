"""Networks (fagnettverk, fagråd, læringsnettverk, samhandlingsutvalg): who is in them, their meetings, and
(elsewhere in this package as it grows) their yearly action plans and reports.

- `access`: who may read a network, manage it (owner's editors, admins) and work in it (members' editors).
- `records`: a network, a member and a meeting as the API shows them (one builder each).
- `writes`: create, change and (softly) delete a network, with its places, patient groups and series.
- `members`: a network's members.
- `meetings`: a network's meetings.
- `queries`: the list and its filters.
- `plans`: the yearly action plan (revisions, sections, measures; draft → submitted → approved).
- `reports`: the annual report, pre-filled from the data, frozen with a snapshot when submitted.
- `deadlines`: plan, report and aggregate deadlines and where each network stands with them.
- `aggregate`: a collaboration committee's overview of its networks and their combined report.

Audit entity types: `network` (in the change feed), `network_member`, `network_meeting`, `action_plan` and
`annual_report`.
"""

from app.domain.networks import aggregate, deadlines, plans, reports
from app.domain.networks.aggregate import aggregate_document
from app.domain.networks.meetings import create_meeting, delete_meeting, list_meetings, read_meeting, update_meeting
from app.domain.networks.members import add_member, get_member, list_members, remove_member, update_member
from app.domain.networks.plans import plan_document
from app.domain.networks.queries import NetworkFilter, get, list_networks
from app.domain.networks.records import ENTITY, MEETING_ENTITY, MEMBER_ENTITY
from app.domain.networks.reports import report_document
from app.domain.networks.writes import create, delete_network, update

__all__ = [
    "ENTITY",
    "MEETING_ENTITY",
    "MEMBER_ENTITY",
    "NetworkFilter",
    "add_member",
    "aggregate",
    "aggregate_document",
    "create",
    "create_meeting",
    "deadlines",
    "delete_meeting",
    "delete_network",
    "get",
    "get_member",
    "list_meetings",
    "list_members",
    "list_networks",
    "plan_document",
    "plans",
    "read_meeting",
    "remove_member",
    "report_document",
    "reports",
    "update",
    "update_meeting",
    "update_member",
]
