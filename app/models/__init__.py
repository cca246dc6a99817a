"""SQLModel tables and API schemas; importing this package registers every table on the metadata."""

from app.models.audit import AuditEvent
from app.models.auth import ApiToken, LoginFailure, User, UserOrganisation, UserSession
from app.models.base import Tracked
from app.models.gap import Gap, GapComment, GapMunicipality, Measure
from app.models.geography import Municipality, Region
from app.models.imports import ImportBatch, ImportProfile, MunicipalProfile, PendingImport
from app.models.network import (
    ActionPlan,
    ActionPlanMeasure,
    AnnualReport,
    Network,
    NetworkMeeting,
    NetworkMember,
    NetworkMunicipality,
    NetworkPatientGroup,
    NetworkSeries,
)
from app.models.organisation import Catchment, Organisation
from app.models.pathway import PathwayTemplate, PathwayTemplatePatientGroup
from app.models.patient_group import PatientGroup
from app.models.rehab_service import (
    RehabService,
    RehabServiceCatchment,
    RehabServiceForm,
    RehabServicePatientGroup,
)

__all__ = [
    "ActionPlan",
    "ActionPlanMeasure",
    "AnnualReport",
    "ApiToken",
    "AuditEvent",
    "Catchment",
    "Gap",
    "GapComment",
    "GapMunicipality",
    "ImportBatch",
    "ImportProfile",
    "LoginFailure",
    "Measure",
    "MunicipalProfile",
    "Municipality",
    "Network",
    "NetworkMeeting",
    "NetworkMember",
    "NetworkMunicipality",
    "NetworkPatientGroup",
    "NetworkSeries",
    "Organisation",
    "PathwayTemplate",
    "PathwayTemplatePatientGroup",
    "PatientGroup",
    "PendingImport",
    "Region",
    "RehabService",
    "RehabServiceCatchment",
    "RehabServiceForm",
    "RehabServicePatientGroup",
    "Tracked",
    "User",
    "UserOrganisation",
    "UserSession",
]
