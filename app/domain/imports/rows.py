"""One row's cells parsed into a service or a municipality profile, every problem a RowError on its column."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import geography, taxonomy
from app.domain.errors import RowError
from app.domain.imports import columns as c
from app.models import Organisation
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
            )
        ).all()
        self.org_ids = {o.id for o in orgs}
        self.by_orgnr: dict[str, int] = {o.orgnr: o.id for o in orgs if o.orgnr}
        self.by_municipality: dict[str, int] = {
            o.municipality_number: o.id for o in orgs if o.kind == "municipality" and o.municipality_number
        }


def cell(cells: list[Any], columns: dict[str, int], name: str) -> Any:
    """The cell of field `name` (None when the column is absent or the row is short)."""
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _listed(mapping: dict[str, str], codes: set[str], what: str) -> Callable[[Any], list[str]]:
    return lambda value: [c.coded(v, mapping, codes, what) for v in c.items(value)]


_LEVELS = {e.value for e in ServiceLevel}
_STATUSES = {e.value for e in ServiceStatus}
_FORMS = {e.value for e in ServiceForm}
_AGE_GROUPS = {e.value for e in AgeGroup}
_REFERRERS = {e.value for e in Referrer}
_UNITS = {e.value for e in CapacityUnit}
_TEXTS = (
    "description",
    "referral_criteria",
    "contact_name",
    "contact_phone",
    "contact_email",
    "website",
    "helsehjelpsomrade_8655",
    "iplos_9151",
    "omsorgsniva_8406",
)
_SERVICE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": c.required,
    **dict.fromkeys(_TEXTS, c.text),
    "level": lambda v: c.coded(c.required(v), c.LEVELS, _LEVELS, "level"),
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


class ServiceParser:
    """Turns one table's rows into checked services; the column lookups are worked out once per table."""

    def __init__(self, columns: dict[str, int], headers: list[str], lookups: Lookups) -> None:
        self.columns, self.headers, self.lookups = columns, headers, lookups
        parsers = {
            **_SERVICE_PARSERS,
            "patient_groups": self._groups,
            "catchment": lambda v: [c.municipality(n, lookups.municipalities) for n in c.items(v)] or None,
        }
        self.fields: list[tuple[str, int, Callable[[Any], Any], str]] = [
            (name, index, parsers[name] if name in _FREE_TEXT else _remembered(parsers[name]), headers[index])
            for name, index in columns.items()
            if name in parsers
        ]
        self.width = len(headers)

    def _groups(self, value: Any) -> list[str]:
        out = []
        for item in c.items(value):
            group = self.lookups.taxonomy.resolve(item)
            if group is None:
                hint = self.lookups.taxonomy.suggest(item)
                raise c.CellError(f"unknown patient group '{item}'" + (f"; did you mean '{hint}'?" if hint else ""))
            out.append(group.code)
        return out

    def header(self, name: str) -> str:
        return self.headers[self.columns[name]] if name in self.columns else name

    def __call__(self, number: int, cells: list[Any]) -> ServiceRow | list[RowError]:
        errors: list[RowError] = []
        if self.width > 2:
            filled = [value for value in cells if value is not None and str(value).strip()]
            if len(filled) == 1 and any(sep in str(filled[0]) for sep in ",;\t"):
                message = f"the row has 1 cell but the header has {self.width}: is it separated like the header?"
                return [RowError(number, message, None)]
        values: dict[str, Any] = {}
        size = len(cells)
        for name, index, parse, header in self.fields:
            try:
                values[name] = parse(cells[index] if index < size else None)
            except c.CellError as exc:
                errors.append(RowError(number, str(exc), header))
        for name in _DEFAULTED:
            if values.get(name, 0) is None:
                del values[name]
        provider_id = find_provider(cells, self.columns, self.headers, self.lookups, number, errors)
        external_id = None
        try:
            external_id = c.guarded_text(cell(cells, self.columns, "external_id"))
        except c.CellError as exc:
            errors.append(RowError(number, str(exc), self.header("external_id")))
        else:
            if external_id is None:
                message = "external ID is missing (each row needs the provider's own key)"
                errors.append(RowError(number, message, self.header("external_id")))
        if errors:
            return errors
        try:
            fields = RehabServiceFields.model_validate(values)
        except ValidationError as exc:
            return [
                RowError(number, _message(e), self.header(str(e["loc"][0])) if e["loc"] else None) for e in exc.errors()
            ]
        assert provider_id is not None
        assert external_id is not None
        return ServiceRow(number, provider_id, external_id[:100], fields)


def _message(error: Any) -> str:
    """A pydantic error as a sentence for the person who filled in the file."""
    ctx = error.get("ctx") or {}
    if "error" in ctx:
        return str(ctx["error"])
    return str(error["msg"])


def find_provider(
    cells: list[Any], columns: dict[str, int], headers: list[str], lookups: Lookups, number: int, errors: list[RowError]
) -> int | None:
    """The provider by id, organisation number, or (for municipal services) municipality number.

    None when there is none, with the reason appended to `errors`.
    """
    if (raw := c.text(cell(cells, columns, "provider_id"))) is not None:
        if raw.isdigit() and int(raw) in lookups.org_ids:
            return int(raw)
        errors.append(RowError(number, f"no organisation with id '{raw}'", headers[columns["provider_id"]]))
        return None
    if (raw := c.text(cell(cells, columns, "provider_orgnr"))) is not None:
        raw = raw.replace(" ", "")
        if raw in lookups.by_orgnr:
            return lookups.by_orgnr[raw]
        errors.append(
            RowError(number, f"no organisation with organisation number '{raw}'", headers[columns["provider_orgnr"]])
        )
        return None
    if "provider_municipality" in columns:
        try:
            return lookups.by_municipality[
                c.municipality(cell(cells, columns, "provider_municipality"), lookups.municipalities)
            ]
        except c.CellError as exc:
            errors.append(RowError(number, str(exc), headers[columns["provider_municipality"]]))
            return None
    errors.append(RowError(number, "the provider is missing (organisation number, id or municipality number)", None))
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
        try:
            parser: Callable[[Any], Any] = parsers.get(name, c.boolean)
            values[name] = parser(cell(cells, columns, name))
        except c.CellError as exc:
            errors.append(RowError(number, str(exc), headers[columns[name]]))
    year = values.get("year")
    if "year" in values and (year is None or not 2000 <= year <= 2100):
        errors.append(RowError(number, "the survey year must be between 2000 and 2100", headers[columns["year"]]))
    if values.get("rehab_places") is not None and not 0 <= values["rehab_places"] <= 100_000:
        errors.append(
            RowError(number, "the number of places must be between 0 and 100000", headers[columns["rehab_places"]])
        )
    if values.get("coordinating_unit_contact") and len(values["coordinating_unit_contact"]) > 300:
        errors.append(RowError(number, "at most 300 characters", headers[columns["coordinating_unit_contact"]]))
    return errors or ProfileRow(number, values)
