"""Norwegian (bokmål) labels for the codes shown on the pages, marked for translation."""

from gettext import gettext as _

from app.domain.gaps.records import MEASURE_STATUS_LABELS, STATUS_LABELS

LEVELS = {"municipal": _("Kommunal"), "specialist": _("Spesialisthelsetjeneste")}
FORMS = {
    "inpatient": _("Døgn"),
    "day": _("Dag"),
    "outpatient": _("Poliklinisk"),
    "ambulatory": _("Ambulant"),
    "home_based": _("Hverdagsrehabilitering"),
    "learning_and_mastery": _("Lærings- og mestringstilbud"),
    "digital": _("Digital / telerehabilitering"),
}
STATUSES = {"planned": _("Planlagt"), "active": _("Aktiv"), "paused": _("Satt på pause"), "discontinued": _("Avviklet")}
AGE_GROUPS = {"children": _("Barn"), "adults": _("Voksne"), "elderly": _("Eldre")}
CAPACITY_UNITS = {
    "beds": _("senger"),
    "day_places": _("dagplasser"),
    "course_seats_per_year": _("kursplasser per år"),
    "consultations_per_year": _("konsultasjoner per år"),
    "places": _("plasser"),
}
REFERRERS = {
    "gp": _("Fastlege"),
    "hospital": _("Sykehus"),
    "self_referral": _("Egenhenvisning"),
    "municipality": _("Kommunen"),
}
SOURCES = {
    "manual": _("Registrert manuelt"),
    "integration": _("Integrasjon"),
    "import": _("Import"),
    "demo": _("Eksempeldata"),
}
FIELDS = {
    "name": _("Navn"),
    "description": _("Beskrivelse"),
    "level": _("Nivå"),
    "forms": _("Form"),
    "patient_groups": _("Pasientgrupper"),
    "age_groups": _("Aldersgrupper"),
    "capacity_number": _("Kapasitet"),
    "capacity_unit": _("Enhet for kapasitet"),
    "waiting_time_days": _("Ventetid (dager)"),
    "waiting_time_reported_on": _("Ventetid rapportert"),
    "catchment": _("Opptaksområde"),
    "catchment_inherited": _("Opptaksområde arvet"),
    "referrers": _("Hvem kan henvise"),
    "referral_criteria": _("Henvisningskriterier"),
    "contact_name": _("Kontaktperson"),
    "contact_phone": _("Telefon"),
    "contact_email": _("E-post"),
    "website": _("Nettside"),
    "status": _("Status"),
    "valid_from": _("Gyldig fra"),
    "valid_to": _("Gyldig til"),
    "last_verified_on": _("Sist verifisert"),
    "external_id": _("Ekstern ID"),
    "helsehjelpsomrade_8655": _("Helsehjelpsområde (8655)"),
    "iplos_9151": _("IPLOS tjenestetype (9151)"),
    "omsorgsniva_8406": _("Omsorgsnivå (8406)"),
    "provider_id": _("Tilbyder"),
    "source": _("Kilde"),
    "deleted_at": _("Slettet"),
}

KINDS = {
    "municipality": _("Kommune"),
    "district": _("Bydel"),
    "health_trust": _("Helseforetak"),
    "private_institution": _("Privat institusjon"),
    "user_organisation": _("Brukerorganisasjon"),
    "education": _("Utdanningsinstitusjon"),
    "regional_authority": _("Regionalt helseforetak"),
    "other": _("Annen"),
}

IMPORT_KINDS = {"rehab-services": _("Tilbud"), "municipal-survey": _("Kommuneundersøkelse")}
# What a municipality reported in a survey year (MunicipalProfile), in the order the survey asks.
PROFILE_FIELDS = {
    "has_cancer_coordinator": _("Kreftkoordinator"),
    "coordinating_unit_contact": _("Kontakt til koordinerende enhet"),
    "rehab_in_municipal_plan": _("Rehabilitering i kommuneplanen"),
    "overview_of_rehab_needs": _("Oversikt over brukere med rehabiliteringsbehov"),
    "overview_of_waiting_times": _("Oversikt over ventetid"),
    "everyday_rehab_team": _("Hverdagsrehabiliteringsteam"),
    "rehab_places": _("Rehabiliteringsplasser"),
}

# Pathway templates (pasientforløp): the lanes of the drawing, statuses, roles, hand-overs and checklists.
LANES = {"municipal": _("Kommune"), "specialist": _("Spesialisthelsetjenesten")}
PATHWAY_STATUSES = {"draft": _("Utkast"), "published": _("Publisert"), "retired": _("Trukket tilbake")}
RESPONSIBLE_ROLES = {
    "coordinating_unit": _("Koordinerende enhet"),
    "coordinator": _("Koordinator"),
    "cancer_coordinator": _("Kreftkoordinator"),
    "gp": _("Fastlege"),
    "hospital_team": _("Team i sykehuset"),
    "home_care_service": _("Hjemmetjenesten"),
    "rehabilitation_team": _("Rehabiliteringsteam"),
    "patient_and_next_of_kin": _("Pasient og pårørende"),
    "other": _("Annen"),
}
HANDOVER_ITEMS = {
    "discharge_summary": _("Epikrise"),
    "medication_list": _("Legemiddelliste"),
    "individual_plan": _("Individuell plan"),
    "rehabilitation_report": _("Rehabiliteringsrapport"),
    "plo_message": _("PLO-melding"),
    "referral": _("Henvisning"),
    "nursing_report": _("Sykepleierapport"),
    "other": _("Annet"),
}
CHECKLIST = {
    "what_matters_asked": _("«Hva er viktig for deg?» er spurt"),
    "individual_plan_offered": _("Individuell plan er tilbudt"),
    "coordinator_assigned": _("Koordinator er oppnevnt"),
    "next_of_kin_involved": _("Pårørende er involvert"),
}
PATHWAY_FIELDS = {
    "series": _("Serie"),
    "title": _("Tittel"),
    "description": _("Beskrivelse"),
    "owner_id": _("Eier"),
    "patient_groups": _("Pasientgrupper"),
    "source": _("Kilde"),
    "source_title": _("Kildens tittel"),
    "source_url": _("Kildens nettadresse"),
    "source_date": _("Kildens dato"),
    "steps": _("Steg"),
    "status": _("Status"),
}
STEP_FIELDS = {
    "key": _("Nøkkel"),
    "title": _("Tittel"),
    "description": _("Beskrivelse"),
    "levels": _("Spor"),
    "forms": _("Form"),
    "responsible_role": _("Ansvarlig"),
    "general_services_count": _("Generelle tilbud teller"),
    "start_day": _("Startdag"),
    "duration_days": _("Varighet (dager)"),
    "handover": _("Overlevering"),
    "handover_to_level": _("Overleveres til"),
    "handover_items": _("Følger med"),
    "handover_note": _("Merknad til overleveringen"),
    "checklist": _("Sjekkliste"),
    "checklist_codes": _("Sjekkliste"),
    "checklist_text": _("Andre punkter i sjekklisten"),
    "position": _("Plass"),
}
# Coverage: a cell's state and, for a missing step, its nearest miss (short for the table, long for the detail).
COVERAGE_REASONS = {
    "not_active": _("Ikke aktivt"),
    "wrong_form": _("Feil form"),
    "wrong_level": _("Feil nivå"),
    "outside_catchment": _("Utenfor opptaksområdet"),
    "no_service": _("Ingen tilbud"),
}
COVERAGE_EXPLANATIONS = {
    "covered": _("Dekket: minst ett aktivt tilbud passer steget og tar imot pasienter fra hele kommunen."),
    "partial": _("Delvis dekket: tilbudene som passer steget, tar bare imot pasienter fra noen bydeler i kommunen."),
    "not_active": _(
        "Et tilbud som ville dekket steget, er satt på pause, planlagt, avviklet eller utenfor gyldighetsperioden."
    ),
    "wrong_form": _(
        "Et aktivt tilbud for pasientgruppen på riktig nivå tar imot pasienter fra kommunen, men ikke i en form "
        "steget kan gis i."
    ),
    "wrong_level": _(
        "Et aktivt tilbud for pasientgruppen tar imot pasienter fra kommunen, men på et annet nivå enn steget krever."
    ),
    "outside_catchment": _("Et passende tilbud finnes i regionen, men kommunen er ikke i opptaksområdet."),
    "no_service": _("Ingen tilbud i regionen passer steget."),
}
STEP_CHANGES = {"added": _("Lagt til"), "removed": _("Fjernet"), "moved": _("Flyttet"), "changed": _("Endret")}

# Gap registrations (udekkede behov) and their measures (tiltak). Statuses reuse the domain's own words.
GAP_STATUSES = {status.value: text.capitalize() for status, text in STATUS_LABELS.items()}
MEASURE_STATUSES = {status.value: text.capitalize() for status, text in MEASURE_STATUS_LABELS.items()}
GAP_CATEGORIES = {
    "missing_service": _("Manglende tilbud"),
    "capacity": _("Kapasitet"),
    "waiting_time": _("Ventetid"),
    "handover": _("Overlevering"),
    "competence": _("Kompetanse"),
    "information": _("Informasjon"),
    "other": _("Annet"),
}
GAP_SEVERITIES = {"low": _("Lav"), "medium": _("Middels"), "high": _("Høy"), "critical": _("Kritisk")}
GAP_SOURCES = {
    "dialogue_meeting": _("Dialogmøte"),
    "deviation_report": _("Avviksmelding"),
    "survey": _("Kartlegging"),
    "coverage": _("Dekningskartet"),
    "user_organisation": _("Brukerorganisasjon"),
    "other": _("Annet"),
}
GAP_FIELDS = {
    "title": _("Tittel"),
    "description": _("Beskrivelse"),
    "category": _("Kategori"),
    "severity": _("Alvorlighet"),
    "status": _("Status"),
    "status_reason": _("Begrunnelse for status"),
    "patient_group": _("Pasientgruppe"),
    "municipalities": _("Kommuner"),
    "region": _("Hel region"),
    "source": _("Kilde"),
    "source_reference": _("Kildereferanse"),
    "owner_id": _("Eier (følger opp)"),
    "pathway_step": _("Forløpssteg"),
    "service_id": _("Tilbud"),
    "version": _("Versjon"),
    "reason": _("Begrunnelse"),
    "to": _("Ny status"),
}
MEASURE_FIELDS = {
    "what": _("Tiltak"),
    "responsible_id": _("Ansvarlig"),
    "due_on": _("Frist"),
    "status": _("Status"),
    "done_on": _("Fullført dato"),
    "note": _("Merknad"),
    "text": _("Kommentar"),
}

# Networks (fagnettverk, fagråd, læringsnettverk, samhandlingsutvalg), members, meetings, plans and reports.
NETWORK_KINDS = {
    "professional_network": _("Fagnettverk"),
    "advisory_council": _("Fagråd"),
    "learning_network": _("Læringsnettverk"),
    "collaboration_committee": _("Samhandlingsutvalg"),
    "other": _("Annet"),
}
MEMBER_ROLES = {
    "leader": _("Leder"),
    "secretary": _("Sekretær"),
    "member": _("Medlem"),
    "secretariat_contact": _("Kontakt i sekretariatet"),
}
MEETING_KINDS = {"meeting": _("Møte"), "dialogue_meeting": _("Dialogmøte"), "seminar": _("Seminar")}
PLAN_STATUSES = {"draft": _("Utkast"), "submitted": _("Sendt inn"), "approved": _("Godkjent")}
REPORT_STATUSES = {"draft": _("Utkast"), "submitted": _("Sendt inn")}
DEADLINE_KINDS = {"plan": _("Handlingsplan"), "report": _("Årsrapport"), "aggregate": _("Samlet rapport")}
DEADLINE_STATES = {"due": _("Frist"), "soon": _("Frist snart"), "overdue": _("Forfalt"), "done": _("Levert")}
NETWORK_FIELDS = {
    "name": _("Navn"),
    "kind": _("Type"),
    "owner_id": _("Eier / sekretariat"),
    "parent_id": _("Rapporterer til (samhandlingsutvalg)"),
    "region": _("Hel region"),
    "municipalities": _("Kommuner"),
    "patient_groups": _("Pasientgrupper"),
    "series": _("Forløpsserier nettverket følger"),
    "mandate": _("Mandat"),
    "plan_due": _("Frist for handlingsplan"),
    "report_due": _("Frist for årsrapport"),
    "aggregate_due": _("Frist for samlet rapport"),
}
MEMBER_FIELDS = {
    "organisation_id": _("Organisasjon"),
    "role": _("Rolle"),
    "representative_name": _("Representant"),
    "representative_title": _("Tittel"),
    "representative_email": _("E-post"),
}
MEETING_FIELDS = {
    "held_on": _("Dato"),
    "kind": _("Type møte"),
    "title": _("Tittel"),
    "agenda": _("Saksliste"),
    "minutes": _("Referat"),
    "decisions": _("Vedtak"),
}
PLAN_MEASURE_FIELDS = {
    "measure_id": _("Tiltak fra et av nettverkets behov"),
    "area": _("Område"),
    "what": _("Tiltak"),
    "responsible_id": _("Ansvarlig"),
    "due_on": _("Frist"),
    "status": _("Status"),
    "done_on": _("Fullført dato"),
    "time_frame": _("Tidsramme"),
    "contact": _("Kontakt"),
    "note": _("Merknad"),
    "position": _("Plass"),
    "gap": _("Behov"),
    "sections": _("Kapitler"),
    "text": _("Fritekst"),
    "measure_notes": _("Begrunnelse"),
}

ALL = {
    "kinds": KINDS,
    "levels": LEVELS,
    "forms": FORMS,
    "statuses": STATUSES,
    "age_groups": AGE_GROUPS,
    "capacity_units": CAPACITY_UNITS,
    "referrers": REFERRERS,
    "sources": SOURCES,
    "fields": FIELDS,
    "import_kinds": IMPORT_KINDS,
    "profile_fields": PROFILE_FIELDS,
    "lanes": LANES,
    "pathway_statuses": PATHWAY_STATUSES,
    "responsible_roles": RESPONSIBLE_ROLES,
    "handover_items": HANDOVER_ITEMS,
    "checklist": CHECKLIST,
    "pathway_fields": PATHWAY_FIELDS,
    "step_fields": STEP_FIELDS,
    "step_changes": STEP_CHANGES,
    "coverage_reasons": COVERAGE_REASONS,
    "coverage_explanations": COVERAGE_EXPLANATIONS,
    "gap_statuses": GAP_STATUSES,
    "measure_statuses": MEASURE_STATUSES,
    "gap_categories": GAP_CATEGORIES,
    "gap_severities": GAP_SEVERITIES,
    "gap_sources": GAP_SOURCES,
    "gap_fields": GAP_FIELDS,
    "measure_fields": MEASURE_FIELDS,
    "network_kinds": NETWORK_KINDS,
    "member_roles": MEMBER_ROLES,
    "meeting_kinds": MEETING_KINDS,
    "plan_statuses": PLAN_STATUSES,
    "report_statuses": REPORT_STATUSES,
    "deadline_kinds": DEADLINE_KINDS,
    "deadline_states": DEADLINE_STATES,
    "network_fields": NETWORK_FIELDS,
    "member_fields": MEMBER_FIELDS,
    "meeting_fields": MEETING_FIELDS,
    "plan_measure_fields": PLAN_MEASURE_FIELDS,
}
