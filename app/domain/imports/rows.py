"""One row's cells parsed into a service, a municipality profile or an unmet need, every problem a RowError on
its column with a stable code and a Norwegian message, every default applied a note.

Messages are built only when a row has a problem (or a default is applied): a clean row pays for none."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import geography, taxonomy
from app.domain.codes import code_list
from app.domain.errors import RowError
from app.domain.imports import columns as c
from app.domain.vocabulary import term_key
from app.models import Municipality, Organisation
from app.models.gap import GapCategory, GapCreate, GapSeverity, GapSource
from app.models.rehab_service import (
    AgeGroup,
    CapacityUnit,
    Referrer,
    RehabServiceFields,
    ServiceForm,
    ServiceLevel,
    ServiceStatus,
)


@dataclass
class ServiceRow:
    row: int
    provider_id: int
    external_id: str
    fields: RehabServiceFields


@dataclass
class ProfileRow:
    row: int
    values: dict[str, Any]


# Words a name may end with that say what kind of body it is, not which: "Stord kommune", "Helse Fonna HF".
_SUFFIXES = {"kommune", "kommunen", "hf", "rhf", "as", "asa", "sa", "iks", "ks", "stiftelse", "stiftelsen"}


def name_keys(*names: str) -> set[str]:
    """The forms a name is compared in: without case, accents, spaces or punctuation, with and without a
    last word such as "kommune" or "HF"."""
    out = set()
    for name in names:
        if not name:
            continue
        out.add(term_key(name))
        words = name.split()
        if len(words) > 1 and words[-1].casefold().strip(".") in _SUFFIXES:
            out.add(term_key(" ".join(words[:-1])))
    return out - {""}


class Lookups:
    """What rows are checked against (municipalities, patient groups, organisations), loaded once per import."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.municipalities = geography.municipality_numbers(session)
        self.taxonomy = taxonomy.get_taxonomy(session)
        orgs = session.execute(
            select(
                col(Organisation.id),
                col(Organisation.orgnr),
                col(Organisation.municipality_number),
                col(Organisation.kind),
                col(Organisation.name),
            )
        ).all()
        self.org_ids = {o.id for o in orgs}
        self.org_kinds: dict[int, str] = {o.id: o.kind for o in orgs}
        self.org_names: dict[int, str] = {o.id: o.name for o in orgs}
        self.by_orgnr: dict[str, int] = {o.orgnr: o.id for o in orgs if o.orgnr}
        self.by_municipality: dict[str, int] = {
            o.municipality_number: o.id for o in orgs if o.kind == "municipality" and o.municipality_number
        }
        self.municipality_of: dict[int, str] = {
            o.id: o.municipality_number for o in orgs if o.kind == "municipality" and o.municipality_number
        }

    @cached_property
    def municipality_names(self) -> dict[str, tuple[str, set[str]]]:
        """Number → (name, the name keys a sheet may give it): the name, the official name and each of its
        parts (the Sami and Kven parallel names: "Trondheim - Tråante" gives "Tråante"), and the name with
        its county ("Herøy (Nordland)"). Loaded only for a sheet with a municipality name column."""
        rows = self.session.execute(
            select(
                col(Municipality.number),
                col(Municipality.name),
                col(Municipality.name_official),
                col(Municipality.county_name),
            )
        ).all()
        return {
            m.number: (
                m.name,
                name_keys(m.name, m.name_official, *m.name_official.split(" - "), f"{m.name} ({m.county_name})"),
            )
            for m in rows
        }

    def municipality_matches(self, number: str, name: str) -> bool:
        known = self.municipality_names.get(number)
        return known is not None and bool(name_keys(name) & known[1])

    def provider_matches(self, provider_id: int, name: str) -> bool:
        """Whether `name` is the organisation's name (or, for a municipality, one of its municipality's)."""
        keys = name_keys(name)
        if keys & name_keys(self.org_names.get(provider_id, "")):
            return True
        number = self.municipality_of.get(provider_id)
        return number is not None and self.municipality_matches(number, name)


def cell(cells: list[Any], columns: dict[str, int], name: str) -> Any:
    """The cell of field `name` (None when the column is absent or the row is short)."""
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def municipality_name_error(
    number: int, municipality: str, name_cell: Any, lookups: Lookups, column: str | None
) -> RowError | None:
    """A row error when the name column beside a municipality number names another municipality."""
    name = c.text(name_cell)
    if name is None or lookups.municipality_matches(municipality, name):
        return None
    known = lookups.municipality_names.get(municipality)
    message = f"kommunenummer {municipality} er {known[0] if known else 'ukjent'}, men kommunenavnet er «{name}»"
    return RowError(number, message, column, code="municipality_name_mismatch")


def _listed(mapping: dict[str, str], codes: set[str], what: str) -> Callable[[Any], list[str]]:
    return lambda value: [c.coded(v, mapping, codes, what) for v in c.items(value)]


def _national(name: str) -> Callable[[Any], str | None]:
    """A national code cell (Volven 8655, 9151, 8406): blank, or a code of its list."""
    number = name.rsplit("_", 1)[-1]

    def parse(value: Any) -> str | None:
        code = c.text(value)
        if code is not None and code not in code_list(name):
            raise c.CellError(f"«{code}» er ikke en kode i kodeverket {number}", "unknown_code")
        return code

    return parse


_LEVELS = {e.value for e in ServiceLevel}
_STATUSES = {e.value for e in ServiceStatus}
_FORMS = {e.value for e in ServiceForm}
_AGE_GROUPS = {e.value for e in AgeGroup}
_REFERRERS = {e.value for e in Referrer}
_UNITS = {e.value for e in CapacityUnit}
_TEXTS = ("description", "referral_criteria", "contact_name", "contact_phone", "contact_email", "website")
_NATIONAL = ("helsehjelpsomrade_8655", "iplos_9151", "omsorgsniva_8406")
_SERVICE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": c.required,
    **dict.fromkeys(_TEXTS, c.text),
    **{name: _national(name) for name in _NATIONAL},
    # blank: "municipal" for a municipality's service (with a note), else an error (ServiceParser)
    "level": lambda v: c.coded(t, c.LEVELS, _LEVELS, "level") if (t := c.text(v)) else None,
    "status": lambda v: c.coded(c.text(v) or "active", c.STATUSES, _STATUSES, "status"),
    "forms": lambda v: _listed(c.FORMS, _FORMS, "form")(c.required(v)),
    "age_groups": _listed(c.AGE_GROUPS, _AGE_GROUPS, "age group"),
    "referrers": _listed(c.REFERRERS, _REFERRERS, "referrer"),
    "capacity_unit": lambda v: c.coded(t, c.UNITS, _UNITS, "unit") if (t := c.text(v)) else None,
    **dict.fromkeys(("capacity_number", "waiting_time_days"), c.integer),
    **dict.fromkeys(("waiting_time_reported_on", "valid_from", "valid_to", "last_verified_on"), c.day),
}
# Left out when blank, so the model's defaults apply.
_DEFAULTED = ("description", "referral_criteria", "status")
_LISTS = ("forms", "age_groups", "referrers", "patient_groups", "catchment")


_FREE_TEXT = {"name", "description", "referral_criteria", "contact_name", "contact_phone", "contact_email", "website"}


def _remembered(parse: Callable[[Any], Any], limit: int = 20_000) -> Callable[[Any], Any]:
    """`parse` answering from memory for values seen before: coded columns repeat a few values on every row."""
    seen: dict[Any, tuple[bool, Any]] = {}

    def cached(value: Any) -> Any:
        try:
            ok, result = seen[value]
        except KeyError:
            try:
                ok, result = True, parse(value)
            except c.CellError as exc:
                ok, result = False, exc
            if len(seen) < limit:
                seen[value] = (ok, result)
        except TypeError:  # an unhashable cell
            return parse(value)
        if not ok:
            raise result
        return list(result) if isinstance(result, list) else result  # a copy: callers may change lists

    return cached


def patient_group(taxonomy_: taxonomy.Taxonomy, item: str) -> str:
    """A patient group as people write it (a code, a name in bokmål, nynorsk or English, an everyday term, an
    ICD-10 code) as its code; CellError `unknown_patient_group` (suggesting the closest term of the whole
    vocabulary, by its bokmål name) or `ambiguous_patient_group` (listing the candidates)."""
    found = taxonomy_.match(item)
    if found.code is not None:
        return found.code
    if found.ambiguous:
        names = ", ".join(f"«{taxonomy_.by_code[code].name_nb}»" for code in found.candidates)
        message = f"«{item}» kan bety flere pasientgrupper: {names}; skriv hvilken"
        raise c.CellError(message, "ambiguous_patient_group")
    message = f"ukjent pasientgruppe «{item}»"
    if found.suggestion_code is not None:
        message += f"; mente du «{taxonomy_.by_code[found.suggestion_code].name_nb}»?"
    raise c.CellError(message, "unknown_patient_group")


def patient_groups(taxonomy_: taxonomy.Taxonomy, value: Any) -> list[str]:
    """A list cell of patient groups (see `patient_group`) as codes, each once ("MS; G35" is one group)."""
    out: list[str] = []
    for item in c.items(value):
        code = patient_group(taxonomy_, item)
        if code not in out:
            out.append(code)
    return out


@dataclass
class Notes:
    """Where a table's notes go (a default applied, a value normalised), with the sheet they are on."""

    table: str
    out: list[RowError] = field(default_factory=list)

    def add(self, number: int, message: str, column: str | None, code: str) -> None:
        self.out.append(RowError(number, message, column, self.table or None, code))


class ServiceParser:
    """Turns one table's rows into checked services; the column lookups are worked out once per table.

    Defaults applied to a row (a capacity unit from its form, level `municipal` for a municipality's service)
    go to `notes` once the row is found clean."""

    def __init__(
        self, columns: dict[str, int], headers: list[str], lookups: Lookups, notes: Notes | None = None
    ) -> None:
        self.columns, self.headers, self.lookups = columns, headers, lookups
        self.notes = notes if notes is not None else Notes("")
        parsers = {
            **_SERVICE_PARSERS,
            "patient_groups": lambda v: patient_groups(lookups.taxonomy, v),
            "catchment": lambda v: [c.municipality(n, lookups.municipalities) for n in c.items(v)] or None,
        }
        self.fields: list[tuple[str, int, Callable[[Any], Any], str]] = [
            (name, index, parsers[name] if name in _FREE_TEXT else _remembered(parsers[name]), headers[index])
            for name, index in columns.items()
            if name in parsers
        ]
        self.width = len(headers)
        self.checks_names = "provider_name" in columns or "provider_municipality_name" in columns

    def header(self, name: str) -> str:
        """The column of field `name` as the file spells it (as the template does when the file has none)."""
        if name in self.columns:
            return self.headers[self.columns[name]]
        spec = c.SERVICE_COLUMNS.get(name)
        return spec[0] if spec else name

    def __call__(self, number: int, cells: list[Any]) -> ServiceRow | list[RowError]:
        errors: list[RowError] = []
        if self.width > 2:
            filled = [value for value in cells if value is not None and str(value).strip()]
            if len(filled) == 1 and any(sep in str(filled[0]) for sep in ",;\t"):
                message = (
                    f"raden har 1 celle, men overskriftsraden har {self.width}: "
                    "er den skilt med samme tegn som overskriftene?"
                )
                return [RowError(number, message, None, code="wrong_separator")]
        values: dict[str, Any] = {}
        size = len(cells)
        for name, index, parse, header in self.fields:
            try:
                values[name] = parse(cells[index] if index < size else None)
            except c.CellError as exc:
                errors.append(RowError(number, str(exc), header, code=exc.code))
        for name in _DEFAULTED:
            if values.get(name, 0) is None:
                del values[name]
        provider_id = find_provider(cells, self.columns, self.headers, self.lookups, number, errors)
        external_id = None
        try:
            external_id = c.guarded_text(cell(cells, self.columns, "external_id"))
        except c.CellError as exc:
            errors.append(RowError(number, str(exc), self.header("external_id"), code=exc.code))
        else:
            if external_id is None:
                message = "ekstern ID mangler (hver rad trenger tilbyderens egen nøkkel for tilbudet)"
                errors.append(RowError(number, message, self.header("external_id"), code="missing_value"))
        notes: list[tuple[str, str | None, str]] = []
        if provider_id is not None:
            if self.checks_names:
                self._check_names(number, cells, provider_id, errors)
            if "level" in values and values["level"] is None:
                self._default_level(number, provider_id, values, errors, notes)
        if values.get("capacity_number") is not None and values.get("capacity_unit") is None:
            self._default_unit(number, values, errors, notes)
        if errors:
            return errors
        try:
            fields = RehabServiceFields.model_validate(values)
        except ValidationError as exc:
            # A rule across fields (dates, repeats) fails the model as a whole: told on its column instead.
            whole = [self._schema_error(number, e) for e in exc.errors() if not e["loc"]]
            located = self._consistency_errors(number, values) if whole else []
            return [self._schema_error(number, e) for e in exc.errors() if e["loc"]] + (located or whole)
        assert provider_id is not None
        assert external_id is not None
        for message, column, code in notes:
            self.notes.add(number, message, column, code)
        return ServiceRow(number, provider_id, external_id[:100], fields)

    def _check_names(self, number: int, cells: list[Any], provider_id: int, errors: list[RowError]) -> None:
        """The name columns beside the provider's number: the same organisation or municipality, or an error
        that shows both."""
        if "provider_municipality_name" in self.columns:
            raw = c.text(cell(cells, self.columns, "provider_municipality"))
            municipality = raw.zfill(4) if raw and raw.isdigit() and len(raw) < 4 else raw
            if municipality in self.lookups.municipalities:
                name_cell = cell(cells, self.columns, "provider_municipality_name")
                column = self.header("provider_municipality_name")
                if (
                    error := municipality_name_error(number, municipality, name_cell, self.lookups, column)
                ) is not None:
                    errors.append(error)
        name = c.text(cell(cells, self.columns, "provider_name"))
        if name is not None and not self.lookups.provider_matches(provider_id, name):
            known = self.lookups.org_names.get(provider_id, "")
            if (orgnr := c.text(cell(cells, self.columns, "provider_orgnr"))) is not None:
                which = f"organisasjonsnummer {orgnr.replace(' ', '')}"
            elif c.text(cell(cells, self.columns, "provider_id")) is not None:
                which = f"tilbyder-ID {provider_id}"
            else:
                which = f"kommunenummer {self.lookups.municipality_of.get(provider_id, '')}"
            message = f"{which} er {known}, men tilbydernavnet er «{name}»"
            errors.append(RowError(number, message, self.header("provider_name"), code="provider_name_mismatch"))

    def _default_level(
        self,
        number: int,
        provider_id: int,
        values: dict[str, Any],
        errors: list[RowError],
        notes: list[tuple[str, str | None, str]],
    ) -> None:
        """A blank level: `municipal` when the provider is a municipality (a note), else an error."""
        if self.lookups.org_kinds.get(provider_id) == "municipality":
            values["level"] = ServiceLevel.municipal.value
            notes.append(
                (
                    "nivå mangler: satt til «kommunal» fordi tilbyderen er en kommune",
                    self.header("level"),
                    "default_level",
                )
            )
        else:
            message = "nivået mangler: skriv kommunal eller spesialist"
            errors.append(RowError(number, message, self.header("level"), code="missing_value"))

    def _default_unit(
        self, number: int, values: dict[str, Any], errors: list[RowError], notes: list[tuple[str, str | None, str]]
    ) -> None:
        """A capacity without a unit: the unit the form implies where only one fits (a note), else an error on
        the unit column (or the capacity column, when the sheet has no unit column)."""
        column = self.header("capacity_unit") if "capacity_unit" in self.columns else self.header("capacity_number")
        forms = values.get("forms")
        if not forms:  # the form is missing or wrong: that error is reported already
            return
        units = {c.UNIT_OF_FORM.get(form) for form in forms}
        if len(units) == 1 and None not in units:
            unit = units.pop()
            assert unit is not None
            values["capacity_unit"] = unit
            form = ", ".join(c.FORM_LABELS[f] for f in forms)
            message = f"kapasitetsenhet mangler: satt til «{c.UNIT_LABELS[unit]}» fordi formen er {form}"
            notes.append((message, column, "default_capacity_unit"))
            return
        form = ", ".join(c.FORM_LABELS[f] for f in forms)
        message = (
            f"kapasiteten mangler enhet, og formen ({form}) sier ikke hvilken: fyll inn "
            f"{c.SERVICE_COLUMNS['capacity_unit'][0]} ({c.WORDS['unit'][1]})"
        )
        errors.append(RowError(number, message, column, code="capacity_unit_missing"))

    def _consistency_errors(self, number: int, values: dict[str, Any]) -> list[RowError]:
        """What the schema refused across fields, told on the column to change (only on the error path)."""
        errors: list[RowError] = []
        frm, to = values.get("valid_from"), values.get("valid_to")
        if frm and to and to < frm:
            message = f"gyldig til ({to:%d.%m.%Y}) er før gyldig fra ({frm:%d.%m.%Y})"
            errors.append(RowError(number, message, self.header("valid_to"), code="invalid_date_range"))
        for name in _LISTS:
            items = values.get(name) or []
            if len(set(items)) != len(items):
                twice = next(item for item in items if items.count(item) > 1)
                message = f"samme verdi to ganger: {c.FORM_LABELS.get(twice, twice) if name == 'forms' else twice}"
                errors.append(RowError(number, message, self.header(name), code="repeated_value"))
        return errors

    def _schema_error(self, number: int, error: Any) -> RowError:
        name = str(error["loc"][0]) if error["loc"] else None
        code, message = schema_message(error)
        return RowError(number, message, self.header(name) if name in c.SERVICE_COLUMNS else None, code=code)


# pydantic's error types as Norwegian sentences (the schema's rules on lengths, patterns and bounds).
_SCHEMA_MESSAGES: dict[str, tuple[str, str]] = {
    "string_too_long": ("value_too_long", "er for lang: høyst {max_length} tegn"),
    "string_too_short": ("missing_value", "verdien mangler"),
    "too_long": ("too_many_values", "for mange verdier: høyst {max_length}"),
    "too_short": ("missing_value", "verdien mangler"),
    "string_pattern_mismatch": ("invalid_value", "har ugyldige tegn eller feil form"),
    "greater_than_equal": ("out_of_range", "må være minst {ge}"),
    "less_than_equal": ("out_of_range", "kan være høyst {le}"),
}
# the shared text types' own rules (app.models.types), in Norwegian
_VALUE_ERRORS = {
    "must be a single line without control characters": "må være én linje uten kontrolltegn",
    "must not contain control characters": "kan ikke inneholde kontrolltegn",
    "must be between 1900-01-01 and 2200-12-31": "må være mellom 01.01.1900 og 31.12.2200",
}


def schema_message(error: Any) -> tuple[str, str]:
    """A pydantic error as (code, a sentence for the person who filled in the file)."""
    if error["type"] == "personal_data":
        return "personal_data", str(error["msg"])
    known = _SCHEMA_MESSAGES.get(error["type"])
    if known is not None:
        return known[0], known[1].format(**(error.get("ctx") or {}))
    ctx = error.get("ctx") or {}
    text = str(ctx["error"]) if "error" in ctx else str(error["msg"])
    return "invalid_value", _VALUE_ERRORS.get(text, f"ugyldig verdi ({text})")


def find_provider(
    cells: list[Any], columns: dict[str, int], headers: list[str], lookups: Lookups, number: int, errors: list[RowError]
) -> int | None:
    """The provider by id, organisation number, or (for municipal services) municipality number.

    None when there is none, with the reason appended to `errors`.
    """
    if (raw := c.text(cell(cells, columns, "provider_id"))) is not None:
        if raw.isdigit() and int(raw) in lookups.org_ids:
            return int(raw)
        message = f"ingen organisasjon i Rehabkart har id «{raw}»"
        errors.append(RowError(number, message, headers[columns["provider_id"]], code="unknown_provider"))
        return None
    if (raw := c.text(cell(cells, columns, "provider_orgnr"))) is not None:
        raw = raw.replace(" ", "")
        if raw in lookups.by_orgnr:
            return lookups.by_orgnr[raw]
        message = f"ingen organisasjon i Rehabkart har organisasjonsnummer «{raw}»"
        errors.append(RowError(number, message, headers[columns["provider_orgnr"]], code="unknown_provider"))
        return None
    if "provider_municipality" in columns:
        column = headers[columns["provider_municipality"]]
        try:
            found = c.municipality(cell(cells, columns, "provider_municipality"), lookups.municipalities)
        except c.CellError as exc:
            if exc.code == "missing_value" and len(columns.keys() & {"provider_id", "provider_orgnr"}):
                exc = c.CellError(
                    "tilbyderen mangler: fyll inn organisasjonsnummer, tilbyder-ID eller kommunenummer", "missing_value"
                )
            errors.append(RowError(number, str(exc), column, code=exc.code))
            return None
        if found in lookups.by_municipality:
            return lookups.by_municipality[found]
        message = f"kommune {found} har ingen organisasjon i Rehabkart"
        errors.append(RowError(number, message, column, code="unknown_provider"))
        return None
    key = next((k for k in ("provider_orgnr", "provider_id") if k in columns), None)
    message = "tilbyderen mangler: fyll inn organisasjonsnummer, tilbyder-ID eller kommunenummer"
    errors.append(RowError(number, message, headers[columns[key]] if key else None, code="missing_value"))
    return None


def parse_profile(
    number: int, cells: list[Any], columns: dict[str, int], headers: list[str], lookups: Lookups
) -> ProfileRow | list[RowError]:
    """A municipality profile row (survey facts for one municipality and year), or its problems."""
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "municipality_number": lambda v: c.municipality(v, lookups.municipalities),
        "year": c.integer,
        "coordinating_unit_contact": c.guarded_text,
        "rehab_places": c.integer,
    }
    for name in columns:
        if name == "municipality_name":
            continue
        try:
            parser: Callable[[Any], Any] = parsers.get(name, c.boolean)
            values[name] = parser(cell(cells, columns, name))
        except c.CellError as exc:
            errors.append(RowError(number, str(exc), headers[columns[name]], code=exc.code))
    if values.get("municipality_number") and "municipality_name" in columns:
        name_cell = cell(cells, columns, "municipality_name")
        column = headers[columns["municipality_name"]]
        if error := municipality_name_error(number, values["municipality_number"], name_cell, lookups, column):
            errors.append(error)
    year = values.get("year")
    if "year" in values and year is None:
        errors.append(RowError(number, "året mangler", headers[columns["year"]], code="missing_value"))
    elif year is not None and not 2000 <= year <= 2100:
        message = "kartleggingsåret må være mellom 2000 og 2100"
        errors.append(RowError(number, message, headers[columns["year"]], code="out_of_range"))
    if values.get("rehab_places") is not None and not 0 <= values["rehab_places"] <= 100_000:
        message = "antall plasser må være mellom 0 og 100000"
        errors.append(RowError(number, message, headers[columns["rehab_places"]], code="out_of_range"))
    if values.get("coordinating_unit_contact") and len(values["coordinating_unit_contact"]) > 300:
        column = headers[columns["coordinating_unit_contact"]]
        errors.append(RowError(number, "er for lang: høyst 300 tegn", column, code="value_too_long"))
    return errors or ProfileRow(number, values)


@dataclass
class NeedRow:
    """An unmet need of a survey's "Behov" sheet, checked; `gap` is what a new gap registration would be."""

    row: int
    table: str
    year: int
    municipality_number: str
    patient_group: str | None
    category: str
    severity: str | None  # None: blank (medium for a new gap; an existing one keeps its own)
    description: str | None
    title: str | None  # None: blank (generated for a new gap; an existing one keeps its own)
    owner_id: int
    gap: GapCreate  # source_reference: need_reference(…), the key re-imports find the gap by
    headers: dict[str, str]  # field → its column's header as in the file

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def key(self) -> tuple[int, str, str | None, str]:
        return (self.year, self.municipality_number, self.patient_group, self.category)


def need_reference(year: int, municipality: str, patient_group: str | None, category: str) -> str:
    """A need's key as stored in its gap's `source_reference`: survey year, municipality, patient group (or
    "alle") and category, e.g. "kartlegging 2026: 4614 stroke missing_service". A re-import finds the gap
    by it (with source `survey`), so the same workbook updates the gaps instead of adding new ones."""
    return f"kartlegging {year}: {municipality} {patient_group or 'alle'} {category}"


_CATEGORIES = {e.value for e in GapCategory}
_SEVERITIES = {e.value for e in GapSeverity}


def _coded_nb(value: str, mapping: dict[str, str], codes: set[str], what: str, labels: dict[str, str]) -> str:
    try:
        return c.coded(value, mapping, codes, what)
    except c.CellError:
        known = ", ".join(labels.values())
        raise c.CellError(f"ukjent {what} «{value}»; bruk en av {known}", "unknown_code") from None


def need_title(category: str, group_name: str | None, municipality_name: str) -> str:
    """The generated title of a need without one: "Manglende tilbud – Hjerneslag i Stord"."""
    label = c.CATEGORY_LABELS[category]
    return f"{label} – {group_name} i {municipality_name}" if group_name else f"{label} i {municipality_name}"


def parse_need(
    number: int,
    table: str,
    cells: list[Any],
    columns: dict[str, int],
    headers: list[str],
    lookups: Lookups,
    survey_years: dict[str, set[int]],
) -> NeedRow | list[RowError]:
    """A "Behov" row as a gap to create or update, or its problems (in Norwegian, each on its column).

    The year: the row's own År; when blank, the year of the municipality's row in the Kommune sheet, or
    the one year all of the Kommune sheet's rows give."""
    errors: list[RowError] = []

    def header(name: str) -> str | None:
        return headers[columns[name]] if name in columns else None

    def fail(name: str, message: str, code: str) -> None:
        errors.append(RowError(number, message, header(name), code=code))

    number_cell = c.text(cell(cells, columns, "municipality_number"))
    municipality: str | None = None
    owner_id: int | None = None
    if number_cell is None:
        fail("municipality_number", "kommunenummeret mangler", "missing_value")
    else:
        try:
            municipality = c.municipality(number_cell, lookups.municipalities)
        except c.CellError:
            fail("municipality_number", f"ukjent kommunenummer «{number_cell}»", "unknown_municipality")
        else:
            owner_id = lookups.by_municipality.get(municipality)
            if owner_id is None:
                message = f"kommune {municipality} har ingen organisasjon i Rehabkart"
                fail("municipality_number", message, "unknown_provider")
            if "municipality_name" in columns:
                name_cell = cell(cells, columns, "municipality_name")
                column = header("municipality_name")
                if error := municipality_name_error(number, municipality, name_cell, lookups, column):
                    errors.append(error)

    year: int | None = None
    try:
        year = c.integer(cell(cells, columns, "year"))
    except c.CellError:
        fail("year", "året må være et helt tall", "not_a_number")
    else:
        if year is None and municipality is not None:
            own = survey_years.get(municipality, set())
            every = set().union(*survey_years.values()) if survey_years else set()
            year = next(iter(own)) if len(own) == 1 else next(iter(every)) if len(every) == 1 else None
            if year is None:
                fail("year", "året mangler: fyll inn År (kartleggingsåret)", "missing_value")
        elif year is not None and not 2000 <= year <= 2100:
            fail("year", "kartleggingsåret må være mellom 2000 og 2100", "out_of_range")
            year = None

    group: str | None = None
    group_name: str | None = None
    if (raw := c.text(cell(cells, columns, "patient_group"))) is not None:
        try:
            group = patient_group(lookups.taxonomy, raw)
        except c.CellError as exc:
            fail("patient_group", str(exc), exc.code)
        else:
            group_name = lookups.taxonomy.by_code[group].name_nb

    category: str | None = None
    if (raw := c.text(cell(cells, columns, "category"))) is None:
        fail("category", "kategorien mangler", "missing_value")
    else:
        try:
            category = _coded_nb(raw, c.CATEGORIES, _CATEGORIES, "kategori", c.CATEGORY_LABELS)
        except c.CellError as exc:
            fail("category", str(exc), exc.code)

    severity: str | None = None
    if (raw := c.text(cell(cells, columns, "severity"))) is not None:
        try:
            severity = _coded_nb(raw, c.SEVERITIES, _SEVERITIES, "alvorlighet", c.SEVERITY_LABELS)
        except c.CellError as exc:
            fail("severity", str(exc), exc.code)

    description = c.text(cell(cells, columns, "description"))
    title = c.text(cell(cells, columns, "title"))
    if errors or municipality is None or owner_id is None or year is None or category is None:
        return errors
    names = geography.municipality_names(lookups.session)
    body = {
        "title": title or need_title(category, group_name, names.get(municipality, municipality)),
        "description": description,
        "category": category,
        "severity": severity or GapSeverity.medium.value,
        "patient_group": group,
        "municipalities": [municipality],
        "source": GapSource.survey.value,
        "source_reference": need_reference(year, municipality, group, category),
        "owner_id": owner_id,
    }
    try:
        gap = GapCreate.model_validate(body)
    except ValidationError as exc:
        return [
            RowError(number, message, header(str(e["loc"][0])) if e["loc"] else None, code=code)
            for e in exc.errors()
            for code, message in [schema_message(e)]
        ]
    return NeedRow(
        number,
        table,
        year,
        municipality,
        group,
        category,
        severity,
        description,
        title,
        owner_id,
        gap,
        {name: headers[index] for name, index in columns.items()},
    )
