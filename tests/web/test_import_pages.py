"""The import page over HTTP: upload → dry-run preview → confirm, the pending upload, errors, escaping."""

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select, update
from sqlmodel import col

from app.db import transaction
from app.kit.identifiers import orgnr_is_valid
from app.models.auth import Role
from app.models.imports import PendingImport
from app.models.types import utcnow
from tests.factories import (
    EDITOR_EMAIL,
    browser_login,
    find_org_id,
    fingerprint,
    form_token,
    make_organisation,
    make_user,
)
from tests.imports.corpus import CORPUS, ROW_PROBLEMS, UNUSABLE_FILES

PENDING = ("pending_import",)  # the only table a clean preview writes to
CONFIRM_FORM = re.compile(r'<form method="post" action="/imports/confirm"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')
GOOD = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n983974694;P1;Kurs;spesialist;dag\n"


@pytest.fixture
def admin(anon: TestClient) -> TestClient:
    browser_login(anon, make_user("import-admin@test.example", Role.admin, []))
    return anon


@pytest.fixture
def other_editor(anon: TestClient, fonna: int) -> Iterator[TestClient]:
    """A second browser (its own cookies): another editor of the same organisation."""
    with TestClient(anon.app) as other:
        browser_login(other, make_user("annen-redaktor@test.example", Role.editor, [fonna]))
        yield other


def upload(
    browser: TestClient,
    name: str,
    data: bytes | None = None,
    *,
    kind: str = "rehab-services",
    headers: dict[str, str] | None = None,
) -> Any:
    """Post the upload form as a browser does: the CSRF token first, then the kind, then the file."""
    token = form_token(browser, "/imports")
    content = (CORPUS / name).read_bytes() if data is None else data
    return browser.post(
        "/imports",
        data={"csrftoken": token, "kind": kind},
        files={"file": (name, content, "text/csv")},
        headers=headers or {},
        follow_redirects=False,
    )


def confirm(browser: TestClient, token: str, **kwargs: Any) -> Any:
    csrf = form_token(browser, "/imports")
    return browser.post("/imports/confirm", data={"csrftoken": csrf, "token": token}, follow_redirects=False, **kwargs)


def pending_token(response: Any) -> str:
    match = TOKEN.search(response.text)
    assert match, "the preview carries a confirm token"
    return match.group(1)


def count(label: str, value: int) -> str:
    return f"<dt>{label}</dt><dd>{value}</dd>"


def pending_rows() -> int:
    with transaction() as session:
        return int(session.execute(select(func.count()).select_from(PendingImport)).scalar_one())


def test_anonymous_users_are_sent_to_login(anon: TestClient) -> None:
    response = anon.get("/imports", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fimports"
    assert anon.get("/imports/batches/1", follow_redirects=False).status_code == 303
    assert 'href="/imports"' not in anon.get("/").text


def test_viewers_get_an_explanation_and_no_form(anon: TestClient) -> None:
    browser_login(anon, make_user("leser@test.example", Role.viewer, []))
    page = anon.get("/imports")
    assert page.status_code == 200
    assert "Du har bare lesetilgang" in page.text
    assert 'type="file"' not in page.text
    assert 'href="/imports"' not in page.text  # no link in the menu
    before = fingerprint()
    refused = upload(anon, "good_utf8.csv")
    assert refused.status_code == 403
    assert "Du har bare lesetilgang" in refused.text
    assert fingerprint() == before


def test_the_form_has_kinds_templates_and_the_token_before_the_file(editor: TestClient) -> None:
    page = editor.get("/imports").text
    assert 'href="/imports"' in page  # the menu links here for writers
    assert 'value="rehab-services" aria-describedby="f-kind-rehab-services-hint" checked' in page
    assert "Kommuneundersøkelse</span>" not in page
    assert "Kommuneundersøkelse (municipal-survey)" in page
    assert 'accept=".csv,.xlsx' in page
    for kind in ("rehab-services", "municipal-survey"):
        for extension in ("csv", "xlsx"):
            assert f'href="/api/v1/imports/templates/{kind}.{extension}"' in page
    form = page[page.index('enctype="multipart/form-data"') :]
    assert form.index('name="csrftoken"') < form.index('type="file"')
    assert "Ingen importer ennå." in page


def test_clean_upload_previews_then_confirm_applies_then_reupload_is_unchanged(
    editor: TestClient, client: TestClient, fonna: int
) -> None:
    before = fingerprint(ignore=PENDING)
    preview = upload(editor, "good_utf8.csv")
    assert preview.status_code == 200, preview.text
    assert "Filen kan importeres" in preview.text
    for label, value in (("Rader i filen", 2), ("Blir opprettet", 2), ("Blir oppdatert", 0), ("Uendret", 0)):
        assert count(label, value) in preview.text
    assert CONFIRM_FORM.search(preview.text)
    assert "Bekreft og importer" in preview.text
    assert fingerprint(ignore=PENDING) == before  # the dry run wrote nothing; only the upload is kept
    assert pending_rows() == 1
    assert client.get("/api/v1/rehab-services", params={"provider": fonna}).json()["items"] == []

    applied = confirm(editor, pending_token(preview))
    assert applied.status_code == 303
    location = applied.headers["location"]
    assert re.fullmatch(r"/imports/batches/\d+", location)
    batch = editor.get(location)
    assert batch.status_code == 200
    assert "Import av good_utf8.csv" in batch.text
    assert count("Opprettet", 2) in batch.text
    assert EDITOR_EMAIL in batch.text
    services = client.get("/api/v1/rehab-services", params={"provider": fonna}).json()["items"]
    assert {s["external_id"] for s in services} == {"K1", "K2"}
    applied_batch = client.get("/api/v1/imports").json()["items"][0]
    assert location == f"/imports/batches/{applied_batch['id']}"
    assert applied_batch["sha256"] in batch.text
    assert "good_utf8.csv" in editor.get("/imports").text  # in the list of recent imports

    again = upload(editor, "good_utf8.csv")
    assert again.status_code == 200
    assert "Ingen endringer" in again.text
    assert count("Uendret", 2) in again.text
    assert count("Blir opprettet", 0) in again.text


def test_confirming_twice_leads_to_the_same_batch(editor: TestClient, client: TestClient) -> None:
    token = pending_token(upload(editor, "good_utf8.csv"))
    first = confirm(editor, token)
    assert first.status_code == 303
    after = fingerprint()
    second = confirm(editor, token)  # a double click, or the back button and the button again
    assert second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert fingerprint() == after
    assert len(client.get("/api/v1/imports").json()["items"]) == 1
    with transaction() as session:
        kept = session.execute(select(PendingImport)).scalar_one()
        assert kept.data == b""  # the file itself is gone once applied


@pytest.mark.parametrize(("name", "expected"), ROW_PROBLEMS)
def test_each_problem_is_shown_on_its_row_and_column_and_nothing_is_written(
    admin: TestClient, name: str, expected: list[tuple[int, str | None, str, str]]
) -> None:
    before = fingerprint()
    response = upload(admin, name)
    assert response.status_code == 422
    assert "Ingenting er importert" in response.text
    shown = re.findall(
        r'<tr>\s*(?:<td>([^<]*)</td>\s*)?<td class="rk-number">(\d+)</td>\s*<td>(.*?)</td>\s*'
        r'<td class="rk-break">(.*?)</td>\s*<td><code>(.*?)</code></td>\s*</tr>',
        response.text,
    )
    whole_row = '<span class="rk-muted">hele raden</span>'
    sheet = "Tilbud" if name.endswith(".xlsx") else ""  # a workbook's problems name their sheet
    assert shown == [
        (sheet, str(row), str(escape(column)) if column else whole_row, str(escape(m)), code)
        for row, column, code, m in expected
    ]
    assert not CONFIRM_FORM.search(response.text)
    assert "Last opp en rettet fil" in response.text
    assert fingerprint() == before  # not even a pending upload


@pytest.mark.parametrize(("name", "detail", "code"), UNUSABLE_FILES)
def test_unusable_files_get_an_inline_error_on_the_form(admin: TestClient, name: str, detail: str, code: str) -> None:
    before = fingerprint()
    response = upload(admin, name)
    assert response.status_code == 422
    assert 'class="ds-error-summary"' in response.text
    assert f'<a class="ds-link" href="#f-file">Filen kan ikke importeres: {escape(detail)}</a>' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'type="file"' in response.text  # the form is there to try again
    assert fingerprint() == before


def test_importing_for_another_organisation_is_refused_inline(editor: TestClient) -> None:
    before = fingerprint()
    stord = "Kommunenr;Ekstern ID;Navn;Nivå;Form\n4614;S1;Hverdagsrehabilitering;kommunal;dag\n".encode()
    response = upload(editor, "stord.csv", stord)
    assert response.status_code == 422
    assert "Du har ikke tilgang til å importere denne filen" in response.text
    assert fingerprint() == before


def test_missing_kind_and_file_are_form_errors(editor: TestClient) -> None:
    token = form_token(editor, "/imports")
    response = editor.post("/imports", data={"csrftoken": token, "kind": "everything"})
    assert response.status_code == 422
    assert "Velg hva filen inneholder." in response.text
    assert "Velg en fil (CSV eller Excel)." in response.text


@pytest.mark.parametrize("size", [2_000, 200_000])  # under the form overhead, and over it (refused unread)
def test_files_over_the_limit_get_an_inline_error(editor: TestClient, small_import_limit: int, size: int) -> None:
    before = fingerprint()
    data = (GOOD + "983974694;P2;Kurs;spesialist;dag\n" * (size // 30)).encode()
    assert len(data) > small_import_limit
    response = upload(editor, "big.csv", data)
    assert response.status_code == 413
    assert "Filen er for stor. Den største filen som kan importeres, er 0.001 MB." in response.text
    assert 'aria-invalid="true"' in response.text
    assert fingerprint() == before


def test_a_post_without_the_csrf_token_is_refused(editor: TestClient) -> None:
    before = fingerprint()
    response = editor.post(
        "/imports", data={"kind": "rehab-services"}, files={"file": ("good.csv", GOOD.encode(), "text/csv")}
    )
    assert response.status_code == 403
    token = pending_token(upload(editor, "good.csv", GOOD.encode()))
    refused = editor.post("/imports/confirm", data={"token": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert fingerprint(ignore=PENDING) == before


def test_a_file_before_the_csrf_token_is_refused(editor: TestClient) -> None:
    """The CSRF check reads the body only up to the first file: the token has to come first."""
    token = form_token(editor, "/imports")
    boundary = "rkboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="good.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{GOOD}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n{token}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = editor.post(
        "/imports", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 403


def test_another_user_cannot_confirm_my_upload(
    editor: TestClient, other_editor: TestClient, client: TestClient, fonna: int
) -> None:
    token = pending_token(upload(editor, "good_utf8.csv"))
    before = fingerprint()
    stolen = confirm(other_editor, token)
    assert stolen.status_code == 404
    assert "Fant ikke opplastingen" in stolen.text
    assert "Ingenting er importert." in stolen.text
    assert fingerprint() == before
    assert confirm(editor, token).status_code == 303  # still mine to confirm
    assert len(client.get("/api/v1/rehab-services", params={"provider": fonna}).json()["items"]) == 2


def test_an_unknown_token_is_refused(editor: TestClient) -> None:
    response = confirm(editor, "not-a-token")
    assert response.status_code == 404
    assert "Fant ikke opplastingen" in response.text


def test_an_expired_upload_cannot_be_confirmed(editor: TestClient) -> None:
    token = pending_token(upload(editor, "good_utf8.csv"))
    with transaction() as session:
        session.execute(update(PendingImport).values(expires_at=utcnow() - timedelta(seconds=1)))
    before = fingerprint(ignore=PENDING)
    response = confirm(editor, token)
    assert response.status_code == 410
    assert "Forhåndsvisningen er utløpt" in response.text
    assert fingerprint(ignore=PENDING) == before
    assert pending_rows() == 0  # removed


def test_expired_uploads_are_cleaned_up_on_the_next_upload(editor: TestClient) -> None:
    upload(editor, "good_utf8.csv")
    with transaction() as session:
        session.execute(update(PendingImport).values(expires_at=utcnow() - timedelta(seconds=1)))
    upload(editor, "good_bom_comma.csv")
    assert pending_rows() == 1


def test_a_user_keeps_at_most_five_pending_uploads(editor: TestClient) -> None:
    tokens = [pending_token(upload(editor, "good_utf8.csv")) for _ in range(6)]
    assert pending_rows() == 5
    assert confirm(editor, tokens[0]).status_code == 404  # the oldest made room
    assert confirm(editor, tokens[-1]).status_code == 303


def _valid_orgnrs() -> Iterator[str]:
    return (str(n) for n in range(912_345_670, 999_999_999) if orgnr_is_valid(str(n)))


def test_changes_since_the_preview_are_shown_and_nothing_is_written(admin: TestClient, client: TestClient) -> None:
    orgnr, other = list(itertools.islice(_valid_orgnrs(), 2))
    org = make_organisation(orgnr=orgnr)
    data = f"Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n{orgnr};X1;Kurs;spesialist;dag\n".encode()
    token = pending_token(upload(admin, "privat.csv", data))
    changed = client.patch(f"/api/v1/organisations/{org['id']}", json={"orgnr": other}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    before = fingerprint(ignore=PENDING)
    response = confirm(admin, token)
    assert response.status_code == 409
    assert "Innholdet i Rehabkart er endret etter kontrollen" in response.text
    assert escape(f"ingen organisasjon i Rehabkart har organisasjonsnummer «{orgnr}»") in response.text
    assert not CONFIRM_FORM.search(response.text)
    assert fingerprint(ignore=PENDING) == before
    assert pending_rows() == 0


def test_htmx_upload_gets_the_preview_fragment_and_confirm_an_hx_redirect(editor: TestClient) -> None:
    htmx = {"HX-Request": "true"}
    preview = upload(editor, "good_utf8.csv", headers=htmx)
    assert preview.status_code == 200
    assert "<html" not in preview.text
    assert "Bekreft og importer" in preview.text
    applied = confirm(editor, pending_token(preview), headers=htmx)
    assert applied.status_code == 200
    assert re.fullmatch(r"/imports/batches/\d+", applied.headers["hx-redirect"])


def test_script_tags_in_cells_and_file_names_are_shown_as_text(editor: TestClient) -> None:
    name = "<img src=x onerror=alert('navn')>.csv"  # browsers send no "/" in a file name
    shown = "&lt;img src=x onerror=alert(&#39;navn&#39;)&gt;.csv"
    preview = upload(editor, name, (CORPUS / "script_tag.csv").read_bytes())
    assert preview.status_code == 200
    assert "<img src=x" not in preview.text
    assert shown in preview.text
    batch = editor.get(confirm(editor, pending_token(preview)).headers["location"]).text
    assert "<img src=x" not in batch
    assert shown in batch
    recent = editor.get("/imports").text
    assert "<img src=x" not in recent
    assert shown in recent
    bad = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n983974694;S2;Navn;spesialist;<script>alert(1)</script>\n"
    problems = upload(editor, "bad.csv", bad.encode())
    assert problems.status_code == 422
    assert "<script>alert(1)" not in problems.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in problems.text


def test_survey_facts_show_on_the_municipality_page(admin: TestClient, anon: TestClient) -> None:
    stord = find_org_id("Stord", kind="municipality")
    assert "har ikke rapportert i kommuneundersøkelsen" in anon.get(f"/organisations/{stord}").text
    preview = upload(admin, "municipal_survey.xlsx", kind="municipal-survey")
    assert preview.status_code == 200, preview.text
    assert count("Blir opprettet", 3) in preview.text
    assert confirm(admin, pending_token(preview)).status_code == 303
    earlier = ("Kommunenr;År;Kreftkoordinator;Rehabiliteringsplasser\n4614;2025;nei;4\n").encode()
    preview = upload(admin, "2025.csv", earlier, kind="municipal-survey")
    assert preview.status_code == 200, preview.text
    assert confirm(admin, pending_token(preview)).status_code == 303

    page = anon.get(f"/organisations/{stord}").text
    assert "Kommuneundersøkelsen 2026" in page
    latest = page[page.index('id="survey-latest"') : page.index("</dl>", page.index('id="survey-latest"'))]
    assert "<dt>Kreftkoordinator</dt><dd>Ja</dd>" in latest
    assert "<dt>Kontakt til koordinerende enhet</dt><dd>Tlf. 53 00 00 00</dd>" in latest
    assert "<dt>Rehabilitering i kommuneplanen</dt><dd>Nei</dd>" in latest
    assert '<dt>Oversikt over ventetid</dt><dd><span class="rk-muted">ikke oppgitt</span></dd>' in latest
    assert "<dt>Rehabiliteringsplasser</dt><dd>6</dd>" in latest
    assert "Tidligere år" in page
    earlier_table = page[page.index('id="survey-earlier"') :]
    assert '<th scope="col">2025</th>' in earlier_table
    assert re.search(r"Kreftkoordinator</th><td>Nei</td>", earlier_table)
    assert re.search(r"Rehabiliteringsplasser</th><td>4</td>", earlier_table)
    assert re.search(
        r'Hverdagsrehabiliteringsteam</th><td><span class="rk-muted">ikke oppgitt</span></td>', earlier_table
    )
    # Not for organisations that are not municipalities.
    assert "Kommuneundersøkelsen" not in anon.get(f"/organisations/{find_org_id('Helse Fonna HF')}").text


def test_a_forged_csrf_token_is_refused(editor: TestClient) -> None:
    """The token must be the one made for this session; the page says so in Norwegian."""
    response = editor.post(
        "/imports",
        data={"csrftoken": "forged", "kind": "rehab-services"},
        files={"file": ("good.csv", GOOD.encode(), "text/csv")},
    )
    assert response.status_code == 403
    assert "Skjemaet var utløpt eller ble ikke sendt fra Rehabkart" in response.text


NUMBER = "15076500565"  # a fødselsnummer with valid check digits (see tests/domain/test_personal_data.py)


def test_problems_quoting_an_identity_number_show_it_masked(editor: TestClient) -> None:
    """A row message quotes the cell it is about ("unknown level '…'", "'…' is not a date"): the preview masks
    every identity number in it, as it does in the file's name."""
    data = (
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Gyldig fra\n"
        f"983974694;P1;Kurs;{NUMBER};dag;{NUMBER[:6]}.{NUMBER[6:]}\n"
        f"{NUMBER[:6]} {NUMBER[6:]};P2;Kurs;spesialist;dag;\n"
    ).encode()
    before = fingerprint()
    response = upload(editor, f"pasient {NUMBER}.csv", data)
    assert response.status_code == 422
    assert NUMBER[:6] not in response.text
    assert NUMBER[6:] not in response.text
    for message in (
        "ukjent nivå «•••••••••••»; bruk en av: kommunal, spesialist",
        "«••••••.•••••» er ikke en dato (skriv dd.mm.åååå eller åååå-mm-dd)",
        "ingen organisasjon i Rehabkart har organisasjonsnummer «•••••••••••»",
    ):
        assert str(escape(message)) in response.text
    assert "pasient •••••••••••.csv" in response.text
    assert fingerprint() == before


def test_a_clean_upload_keeps_its_file_name_masked(editor: TestClient) -> None:
    preview = upload(editor, f"pasient-{NUMBER}.csv", GOOD.encode())
    assert preview.status_code == 200
    assert NUMBER[:6] not in preview.text
    assert NUMBER[6:] not in preview.text
    assert "pasient-•••••••••••.csv" in preview.text
    with transaction() as session:
        kept = session.execute(select(col(PendingImport.file_name))).scalars().all()
    assert kept == ["pasient-•••••••••••.csv"]
    batch = editor.get(confirm(editor, pending_token(preview)).headers["location"])
    assert "pasient-•••••••••••.csv" in batch.text
    assert NUMBER[6:] not in batch.text
    assert NUMBER[6:] not in editor.get("/imports").text
