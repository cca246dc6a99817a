"""Read-only exports of the catalogue in health-IT standards: HL7 FHIR R4 and Open Referral HSDS 3.0.

Both read through the catalogue's own queries (live services only: deleted services and draft pathway
templates are never exported) and build plain dicts, so a page costs little more than the native list.
"""
