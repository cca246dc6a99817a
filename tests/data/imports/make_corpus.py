"""Write the bad-file corpus for the import tests (run once; the files are committed)."""

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
HEADER = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Pasientgrupper;Kommunenr"


def write(name: str, text: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(text.encode(encoding))


def main() -> None:
    fonna = "983974694"
    write(
        "good_utf8.csv",
        f"{HEADER}\n{fonna};K1;Kurs på Stord;spesialist;LMS;KOLS;\n{fonna};K2;Dagtilbud;spesialist;dag;Hjerneslag;\n",
    )
    write("good_bom_comma.csv", "\ufeffTilbyder orgnr,Ekstern ID,Navn,Nivå,Form\n983974694,K1,Kurs,spesialist,dag\n")
    write(
        "windows1252.csv", f"{HEADER}\n{fonna};W1;Rehabilitering på Ålesund – øvelser;spesialist;døgn;KOLS;\n", "cp1252"
    )
    write(
        "mixed_delimiters.csv",
        f"{HEADER}\n{fonna};M1;Riktig rad;spesialist;dag;KOLS;\n{fonna},M2,Feil skilletegn,spesialist,dag,KOLS,\n",
    )
    write("missing_columns.csv", "Tilbyder orgnr;Ekstern ID;Navn\n983974694;X1;Uten nivå og form\n")
    write(
        "municipalities.csv",
        "Kommunenr;Ekstern ID;Navn;Nivå;Form\n301;O1;Oslo uten null;kommunal;dag\n9999;U1;Ukjent kommune;kommunal;dag\n46 14;U2;Mellomrom;kommunal;dag\n",
    )
    write(
        "duplicates.csv",
        f"{HEADER}\n{fonna};D1;Første;spesialist;dag;KOLS;\n{fonna};D1;Andre med samme nøkkel;spesialist;dag;KOLS;\n",
    )
    write("empty.csv", "")
    write("header_only.csv", HEADER + "\n")
    write("script_tag.csv", f"{HEADER}\n{fonna};S1;<script>alert('x')</script>;spesialist;dag;KOLS;\n")
    write("bad_values.csv", f"{HEADER}\n{fonna};B1;Tall;spesialist;spa;kols-ish;\n")
    (HERE / "image.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)

    book = Workbook()
    sheet = book.active
    sheet.title = "Tilbud"
    sheet.append(["Tilbyder orgnr", "Ekstern ID", "Navn", "Nivå", "Form", "Kapasitet", "Kapasitet enhet"])
    sheet.append([983974694, "X1", "Sammenslått navn", "spesialist", "dag", 12, "plasser"])
    sheet.append([983974694, "X2", None, "spesialist", "dag", "=6*2", "plasser"])
    sheet.merge_cells("C2:C3")
    book.save(HERE / "merged_formulas.xlsx")

    book = Workbook()
    services = book.active
    services.title = "Tilbud"
    services.append(["Kommunenr", "Ekstern ID", "Navn", "Nivå", "Form", "Pasientgrupper"])
    services.append(
        [4614, "HR-1", "Hverdagsrehabilitering", "kommunal", "hverdagsrehabilitering", "Eldre med sammensatte lidelser"]
    )
    facts = book.create_sheet("Kommune")
    facts.append(
        [
            "Kommunenr",
            "År",
            "Kreftkoordinator",
            "Koordinerende enhet kontakt",
            "Rehabilitering i kommuneplan",
            "Oversikt over behov",
            "Oversikt over ventetid",
            "Hverdagsrehabiliteringsteam",
            "Rehabiliteringsplasser",
        ]
    )
    facts.append([4614, 2026, "ja", "Tlf. 53 00 00 00", "nei", "x", None, "Ja", 6])
    facts.append([301, 2026, "nei", None, "ja", "nei", "ja", "nei", "12,0"])
    book.save(HERE / "municipal_survey.xlsx")


if __name__ == "__main__":
    main()
