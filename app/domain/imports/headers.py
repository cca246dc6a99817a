"""Which column holds which field (headers in Norwegian or English), and which tables of a file hold what."""

from collections.abc import Callable

from app.domain.imports import columns as c
from app.domain.imports import errors as import_errors
from app.domain.imports.errors import ImportFileError
from app.domain.imports.readers import Table
from app.models.imports import ImportKind

_SERVICE_SHEETS = {"tilbud", "services", "rehabiliteringstilbud", "rehabservices"}
_PROFILE_SHEETS = {"kommune", "kommunefakta", "fakta", "profil", "kommuneprofil", "municipality", "facts", "profile"}
_SERVICE_REQUIRED = ("external_id", "name", "level", "forms")
_PROVIDER_KEYS = {"provider_id", "provider_orgnr", "provider_municipality"}
_PROFILE_REQUIRED = ("municipality_number", "year")
_NEED_SHEETS = {"behov", "udekkedebehov", "udekketbehov", "needs", "unmetneeds", "gaps"}
_NEED_REQUIRED = ("municipality_number", "patient_group", "category")


def header_map(table: Table, spec: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Field → column index, for the headers of `table` that `spec` knows (any case, accents or spacing)."""
    aliases: dict[str, str] = {}
    for field, names in spec.items():  # a header two fields accept ("Kommune") is the first one's
        for alias in (field, *names):
            aliases.setdefault(c.norm(alias), field)
    found: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        name = table.mapped.get(index) or aliases.get(c.norm(header))  # the user's mapping comes first
        if name is None or name not in spec:
            continue
        if name in found:
            _name_beside_number(table, spec, found, name, index)
            continue
        found[name] = index
    return found


def _name_beside_number(
    table: Table, spec: dict[str, tuple[str, ...]], found: dict[str, int], name: str, index: int
) -> None:
    """A second column for `name`: when one of the two is a header the field's name column also accepts
    ("Kommunenr" and "Kommune"), that one is the name (checked against the number row by row); else
    ImportFileError (two columns mean the same thing). A column the user mapped stays where it was mapped."""
    partner = c.NAME_OF.get(name)
    if partner is not None and partner in spec and partner not in found:
        names = {c.norm(alias) for alias in (partner, *spec[partner])}
        if index not in table.mapped and c.norm(table.headers[index]) in names:
            found[partner] = index
            return
        if found[name] not in table.mapped and c.norm(table.headers[found[name]]) in names:
            found[partner], found[name] = found[name], index
            return
    raise import_errors.duplicate_column(table.headers[found[name]], table.headers[index])


def service_columns(table: Table) -> dict[str, int]:
    """The service fields' columns of `table`; ImportFileError when a required one is missing."""
    columns = header_map(table, c.SERVICE_COLUMNS)
    missing = [c.SERVICE_COLUMNS[n][0] for n in _SERVICE_REQUIRED if n not in columns]
    if not _PROVIDER_KEYS & columns.keys():
        missing.append("Tilbyder orgnr (eller Tilbyder ID / Kommunenr)")
    if missing:
        raise import_errors.missing_columns(missing, table.name or None)
    return columns


def profile_columns(table: Table) -> dict[str, int]:
    """The municipality profile fields' columns of `table`; ImportFileError when a required one is missing."""
    columns = header_map(table, c.PROFILE_COLUMNS)
    missing = [c.PROFILE_COLUMNS[n][0] for n in _PROFILE_REQUIRED if n not in columns]
    if missing:
        raise import_errors.missing_columns(missing, table.name or None)
    return columns


def need_columns(table: Table) -> dict[str, int]:
    """The unmet-need fields' columns of a "Behov" sheet; ImportFileError when a required one is missing."""
    columns = header_map(table, c.NEED_COLUMNS)
    missing = [c.NEED_COLUMNS[n][0] for n in _NEED_REQUIRED if n not in columns]
    if missing:
        raise import_errors.missing_columns(missing, table.name or None)
    return columns


def pick_needs(tables: list[Table], kind: ImportKind) -> list[Table]:
    """The unmet-need sheets ("Behov") of a municipal survey, by their name; none for other kinds. Optional."""
    if kind != ImportKind.municipal_survey:
        return []
    return [t for t in tables if c.norm(t.name) in _NEED_SHEETS]


def pick_tables(tables: list[Table], kind: ImportKind) -> tuple[list[Table], list[Table]]:
    """(service tables, municipality fact tables) of a file: sheets by their name, else by their headers.

    A survey's "Behov" sheet (see `pick_needs`) is neither; a survey with one may leave out the facts."""
    if kind == ImportKind.rehab_services:
        named = [t for t in tables if c.norm(t.name) in _SERVICE_SHEETS]
        return (named or _first_matching(tables)), []
    services = [t for t in tables if c.norm(t.name) in _SERVICE_SHEETS]
    facts = [t for t in tables if c.norm(t.name) in _PROFILE_SHEETS]
    needs = pick_needs(tables, kind)
    if not facts:
        by_header = [t for t in tables if t not in needs and "year" in header_map(t, c.PROFILE_COLUMNS)]
        facts = [t for t in by_header if t not in services]
    if not facts and not needs:
        raise import_errors.no_facts_sheet()
    return services, facts


# --- the sheet to read, the header row, and the user's column mapping -----------------------------------------


def _first_matching(tables: list[Table]) -> list[Table]:
    """The first table whose header row has the service columns (a workbook with the data on a later sheet),
    else the first table (so its missing columns are what the error names)."""
    for table in tables:
        try:
            service_columns(table)
        except ImportFileError:
            continue
        return [table]
    return tables[:1]


def choose_sheet(tables: list[Table], sheet: str | None) -> list[Table]:
    """Only the sheet named `sheet` (exactly, else ignoring case and spacing); all tables when none is named.

    A CSV file has no sheets: the name is not checked there. An unknown name is an ImportFileError that
    lists the workbook's sheets."""
    if not sheet or not sheet.strip() or all(not t.name for t in tables):
        return tables
    wanted = sheet.strip()
    chosen = [t for t in tables if t.name == wanted] or [t for t in tables if c.norm(t.name) == c.norm(wanted)]
    if not chosen:
        names = ", ".join(f"«{t.name}»" for t in tables)
        raise ImportFileError(f"Arbeidsboken har ikke noe ark som heter «{wanted}». Arkene i filen er: {names}.")
    return chosen[:1]


def specs(kind: ImportKind) -> list[dict[str, tuple[str, ...]]]:
    """The column specs a file of `kind` is read with."""
    if kind == ImportKind.rehab_services:
        return [c.SERVICE_COLUMNS]
    return [c.SERVICE_COLUMNS, c.PROFILE_COLUMNS, c.NEED_COLUMNS]


def field_labels(kind: ImportKind) -> dict[str, str]:
    """Field code → its Norwegian label (the template's header), for the fields a column may be mapped to."""
    labels: dict[str, str] = {}
    for spec in specs(kind):
        for name, names in spec.items():
            labels.setdefault(name, names[0])
    return labels


def normalised_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    """A mapping's headers in norm() form (a header matches however it is cased, accented or spaced)."""
    return {c.norm(header): field for header, field in (mapping or {}).items() if c.norm(header)}


def recogniser(kind: ImportKind, mapping: dict[str, str] | None) -> Callable[[list[str]], int]:
    """How many of a row's cells are headers we know: the kind's column names, or the mapping's headers."""
    known = {c.norm(alias) for spec in specs(kind) for name, names in spec.items() for alias in (name, *names)}
    known |= set(normalised_mapping(mapping))
    known.discard("")

    def recognise(cells: list[str]) -> int:
        return len({key for key in map(c.norm, cells) if key in known})

    return recognise


def apply_mapping(tables: list[Table], mapping: dict[str, str] | None) -> None:
    """Mark each table's columns that the mapping names with the field (or "ignore") they are read as."""
    wanted = normalised_mapping(mapping)
    if not wanted:
        return
    for table in tables:
        table.mapped = {i: wanted[key] for i, key in enumerate(map(c.norm, table.headers)) if key in wanted}


def unknown_columns(table: Table, kind: ImportKind) -> list[int]:
    """The indexes of `table`'s named columns that are neither known headers nor mapped."""
    recognise = recogniser(kind, None)
    return [
        index
        for index, header in enumerate(table.headers)
        if header.strip() and index not in table.mapped and not recognise([header])
    ]


def missing_columns(table: Table, kind: ImportKind) -> list[str]:
    """The required columns `table` lacks (as the template names them), for a service or facts sheet."""
    if kind == ImportKind.rehab_services:
        columns = header_map(table, c.SERVICE_COLUMNS)
        missing = [c.SERVICE_COLUMNS[n][0] for n in _SERVICE_REQUIRED if n not in columns]
        if not _PROVIDER_KEYS & columns.keys():
            missing.append(c.SERVICE_COLUMNS["provider_orgnr"][0])
        return missing
    if c.norm(table.name) in _NEED_SHEETS:
        columns = header_map(table, c.NEED_COLUMNS)
        return [c.NEED_COLUMNS[n][0] for n in _NEED_REQUIRED if n not in columns]
    columns = header_map(table, c.PROFILE_COLUMNS)
    return [c.PROFILE_COLUMNS[n][0] for n in _PROFILE_REQUIRED if n not in columns]
