"""The committed bad-file corpus (tests/data/imports), the realistic sheets below, and the exact report each
must give: every error and note with its row, column, code and Norwegian message."""

from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "data" / "imports"

# An expected row error or note: (row or None for a whole column, column or None for the whole row, code, message)
Expected = tuple[int | None, str | None, str, str]

# (file, [expected row errors]): the same through the API and the page.
ROW_PROBLEMS: list[tuple[str, list[Expected]]] = [
    (
        "mixed_delimiters.csv",
        [
            (
                3,
                None,
                "wrong_separator",
                "raden har 1 celle, men overskriftsraden har 7: er den skilt med samme tegn som overskriftene?",
            )
        ],
    ),
    (
        "municipalities.csv",
        [
            (3, "Kommunenr", "unknown_municipality", "ukjent kommunenummer «9999»"),
            (4, "Kommunenr", "unknown_municipality", "ukjent kommunenummer «46 14»"),
        ],
    ),
    ("duplicates.csv", [(3, "Ekstern ID", "duplicate_key", "samme tilbyder og eksterne ID som rad 2")]),
    (
        "bad_values.csv",
        [
            (
                2,
                "Form",
                "unknown_code",
                "ukjent form «spa»; bruk en av: døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital",
            ),
            (2, "Pasientgrupper", "unknown_patient_group", "ukjent pasientgruppe «kols-ish»; mente du «KOLS»?"),
        ],
    ),
    ("merged_formulas.xlsx", [(3, "Navn", "missing_value", "verdien mangler")]),
]

# (file, the whole-file error it must be refused with, its code)
UNUSABLE_FILES: list[tuple[str, str, str]] = [
    ("empty.csv", "Filen er tom", "file_empty"),
    ("header_only.csv", "Filen har overskrifter, men ingen rader", "file_no_rows"),
    ("missing_columns.csv", "Filen mangler kolonnene Nivå, Form", "missing_columns"),
    ("image.csv", "Filen er et PNG-bilde, ikke CSV eller XLSX", "file_unreadable"),
]


@dataclass(frozen=True)
class Sheet:
    """A sheet as a network secretariat or a municipality keeps it, and the exact report it gives."""

    name: str
    text: str  # the CSV (semicolons, as Norwegian Excel saves it)
    errors: list[Expected] = field(default_factory=list)
    notes: list[Expected] = field(default_factory=list)
    created: int = 0
    kind: str = "rehab-services"

    @property
    def data(self) -> bytes:
        return self.text.encode()


UNIT_CHOICES = "senger, dagplasser, kursplasser per år, konsultasjoner per år, plasser"

SHEETS: list[Sheet] = [
    # Both a municipality number and a municipality name column, as real sheets carry them: the name is read
    # as the name and checked against the number (the name, the official name with its Sami name, a name
    # with "kommune" after it, the name with its county). A blank level is `municipal` for a municipality's
    # service; a capacity without a unit takes the one its form implies. Both are notes, never silent.
    Sheet(
        "kommunenr_og_kommune.csv",
        "Kommunenr;Kommune;Ekstern ID;Navn;Nivå;Form;Pasientgrupper;Kapasitet;Kapasitet enhet;Merknad\n"
        "4614;Stord;ST-1;Dagrehabilitering;kommunal;dag;Hjerneslag;6;;\n"
        "5001;Tråante;TR-1;Hverdagsrehabilitering;;hverdagsrehabilitering;Multippel sklerose;;;ny i år\n"
        "301;Oslo kommune;OS-1;Lærings- og mestringskurs KOLS;kommunal;LMS;KOLS;40;;\n"
        "1818;Herøy (Nordland);HE-1;Korttidsplasser rehabilitering;kommunal;døgn;Eldre med sammensatte lidelser;4;;\n",
        notes=[
            (None, "Merknad", "column_ignored", "kolonnen «Merknad» er ikke kjent og blir ikke lest"),
            (
                2,
                "Kapasitet enhet",
                "default_capacity_unit",
                "kapasitetsenhet mangler: satt til «dagplasser» fordi formen er dag",
            ),
            (3, "Nivå", "default_level", "nivå mangler: satt til «kommunal» fordi tilbyderen er en kommune"),
            (
                4,
                "Kapasitet enhet",
                "default_capacity_unit",
                "kapasitetsenhet mangler: satt til «kursplasser per år» fordi formen er lærings- og mestringstilbud",
            ),
            (
                5,
                "Kapasitet enhet",
                "default_capacity_unit",
                "kapasitetsenhet mangler: satt til «senger» fordi formen er døgn",
            ),
        ],
        created=4,
    ),
    # The name beside the number names another municipality or organisation: an error that shows both.
    Sheet(
        "navn_stemmer_ikke.csv",
        "Kommune;Kommunenr;Ekstern ID;Navn;Nivå;Form\n"
        "Bømlo;4614;ST-2;Dagrehabilitering;kommunal;dag\n"
        "Stord;4614;ST-3;Hverdagsrehabilitering;kommunal;hverdagsrehabilitering\n",
        errors=[
            (
                2,
                "Kommune",
                "municipality_name_mismatch",
                "kommunenummer 4614 er Stord, men kommunenavnet er «Bømlo»",
            )
        ],
    ),
    Sheet(
        "tilbyder_og_orgnr.csv",
        "Tilbyder orgnr;Tilbyder;Ekstern ID;Navn;Nivå;Form\n"
        "983974694;Helse Fonna;HF-1;Lungerehabilitering;spesialist;døgn\n"
        "983974694;Helse Bergen HF;HF-2;Hjerterehabilitering;spesialist;poliklinisk\n",
        errors=[
            (
                3,
                "Tilbyder",
                "provider_name_mismatch",
                "organisasjonsnummer 983974694 er Helse Fonna HF, men tilbydernavnet er «Helse Bergen HF»",
            )
        ],
    ),
    # Patient groups as municipalities write them: everyday and nynorsk names, ICD-10 codes.
    Sheet(
        "pasientgrupper_hverdagsnavn.csv",
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Pasientgrupper\n"
        "983974694;PG-1;Nevrologisk rehabilitering;spesialist;døgn;Multippel sklerose, Parkinson\n"
        "983974694;PG-2;Revmatologisk rehabilitering;spesialist;dag;Revmatisme\n"
        "983974694;PG-3;Lungerehabilitering;spesialist;døgn;Lungesjukdomar | J44 | J44.1\n",
        created=3,
    ),
    # An ambiguous term lists its candidates; an unknown one gets the closest term of the whole vocabulary.
    Sheet(
        "pasientgrupper_uklare.csv",
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Pasientgrupper\n"
        "983974694;PU-1;Koordinert rehabilitering;spesialist;dag;sammensatte behov\n"
        "983974694;PU-2;Slagrehabilitering;spesialist;døgn;hjerneslagg\n"
        "983974694;PU-3;Kurs;spesialist;LMS;Parkinsons sjukdom, Z99.9\n",
        errors=[
            (
                2,
                "Pasientgrupper",
                "ambiguous_patient_group",
                "«sammensatte behov» kan bety flere pasientgrupper: «Barn med sammensatte behov», "
                "«Eldre med sammensatte lidelser»; skriv hvilken",
            ),
            (
                3,
                "Pasientgrupper",
                "unknown_patient_group",
                "ukjent pasientgruppe «hjerneslagg»; mente du «Hjerneslag»?",
            ),
            (4, "Pasientgrupper", "unknown_patient_group", "ukjent pasientgruppe «Z99.9»"),
        ],
    ),
    # A capacity without a unit whose form does not say which: an error on the unit column, or on the capacity
    # column when the sheet has no unit column.
    Sheet(
        "kapasitet_uten_enhet.csv",
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Kapasitet;Kapasitet enhet\n"
        "983974694;KA-1;Dag og poliklinikk;spesialist;dag, poliklinisk;12;\n"
        "983974694;KA-2;Døgnplasser;spesialist;døgn;8;\n",
        errors=[
            (
                2,
                "Kapasitet enhet",
                "capacity_unit_missing",
                "kapasiteten mangler enhet, og formen (dag, poliklinisk) sier ikke hvilken: fyll inn "
                f"Kapasitet enhet ({UNIT_CHOICES})",
            )
        ],
        # a note is reported even when the file is refused: it says what applying a corrected file would do
        notes=[
            (
                3,
                "Kapasitet enhet",
                "default_capacity_unit",
                "kapasitetsenhet mangler: satt til «senger» fordi formen er døgn",
            )
        ],
    ),
    Sheet(
        "kapasitet_uten_enhetskolonne.csv",
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Antall plasser\n"
        "983974694;KB-1;Poliklinikk;spesialist;poliklinisk;300\n",
        errors=[
            (
                2,
                "Antall plasser",
                "capacity_unit_missing",
                "kapasiteten mangler enhet, og formen (poliklinisk) sier ikke hvilken: fyll inn "
                f"Kapasitet enhet ({UNIT_CHOICES})",
            )
        ],
    ),
    # The everyday cell problems, each on its column with its code.
    Sheet(
        "celler.csv",
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Kapasitet;Kapasitet enhet;Ventetid dager;Gyldig fra;Gyldig til;"
        "Helsehjelpsområde\n"
        "983974694;CE-1;;spesialist;dag;tolv;dagplasser;12,5;31.02.2026;;\n"
        "983974694;CE-2;Dag;;dag;;;;;;H99\n"
        "983974695;CE-3;Dag;spesialist;dag;;;;;;\n"
        "983974694;CE-4;Dag;spesialist;dag;;;;01.03.2026;01.02.2026;\n"
        "983974694;CE-5;Dag;spesialist;dag, Dag;;;;;;\n",
        errors=[
            (2, "Navn", "missing_value", "verdien mangler"),
            (2, "Kapasitet", "not_a_number", "«tolv» er ikke et tall"),
            (2, "Ventetid dager", "not_a_number", "«12,5» er ikke et helt tall"),
            (2, "Gyldig fra", "not_a_date", "«31.02.2026» er ikke en dato (skriv dd.mm.åååå eller åååå-mm-dd)"),
            (3, "Helsehjelpsområde", "unknown_code", "«H99» er ikke en kode i kodeverket 8655"),
            (3, "Nivå", "missing_value", "nivået mangler: skriv kommunal eller spesialist"),
            (
                4,
                "Tilbyder orgnr",
                "unknown_provider",
                "ingen organisasjon i Rehabkart har organisasjonsnummer «983974695»",
            ),
            (5, "Gyldig til", "invalid_date_range", "gyldig til (01.02.2026) er før gyldig fra (01.03.2026)"),
            (6, "Form", "repeated_value", "samme verdi to ganger: dag"),
        ],
    ),
]
