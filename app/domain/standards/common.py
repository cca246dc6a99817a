"""Rules both exports share: the public base URL, status mapping, what is exported, timestamps."""

from datetime import UTC, date, datetime
from typing import Any

from app.models.rehab_service import ServiceStatus
from app.settings import get_settings

# Every status of a live service is exported (deleted services never are); FHIR marks only `active` active.
EXPORTED_STATUSES = tuple(ServiceStatus)

HSDS_STATUS = {
    ServiceStatus.active.value: "active",
    ServiceStatus.paused.value: "temporarily closed",
    ServiceStatus.planned.value: "inactive",
    ServiceStatus.discontinued.value: "defunct",
}

# Norwegian identifier systems (HL7 Norway no-basis).
ORGNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"  # Enhetsregisteret, organisasjonsnummer
MUNICIPALITY_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.3402"  # Volven 3402, kommunenummer
HELSEHJELPSOMRADE_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.8655"  # Volven 8655
IPLOS_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.9151"  # Volven 9151, IPLOS tjenestetype
OMSORGSNIVA_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.8406"  # Volven 8406, omsorgsnivå
ICD10_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.7110"  # ICD-10 (Norwegian edition)


def base_url(request_base: str) -> str:
    """The installation's public base URL (REHABKART_PUBLIC_BASE_URL), else the request's, without a slash."""
    configured = get_settings().public_base_url
    return (configured or request_base).rstrip("/")


def instant(value: Any) -> str:
    """An ISO 8601 UTC instant with a Z (FHIR instant / HSDS date-time) from a datetime or stored text."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    text = str(value)
    if text.endswith("Z") or "+" in text[10:]:
        return text
    return text.replace(" ", "T") + "Z"


def day(value: Any) -> str | None:
    """An ISO date from a date or stored text, or None."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]
