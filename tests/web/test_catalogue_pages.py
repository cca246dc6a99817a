"""The catalogue pages over HTTP: fragments, forms, validation, conflicts, CSRF, escaping."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from app.models.auth import Role
from tests.factories import browser_login, find_org_id, form_token, make_service, make_user


def new_form(fonna: int, **overrides: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "provider_id": str(fonna),
        "name": "Lungerehabilitering i Fonna",
        "description": "Kurs og trening",
        "level": "specialist",
        "forms": ["day", "learning_and_mastery"],
        "patient_groups": ["copd"],
        "catchment_mode": "inherit",
        "status": "active",
        "capacity_number": "12",
        "capacity_unit": "day_places",
    }
    data.update(overrides)
    return data


def test_list_is_a_full_page_or_a_fragment(anon: TestClient, fonna: int) -> None:
    make_service(fonna, name="Synlig tilbud")
    full = anon.get("/rehab-services")
    assert full.status_code == 200
    assert "<html" in full.text
    assert "Synlig tilbud" in full.text
    assert "HX-Request" in full.headers["vary"]
    fragment = anon.get("/rehab-services", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in fragment.text
    assert "<form" not in fragment.text
    assert "Synlig tilbud" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


def test_list_filters_by_query_parameters(anon: TestClient, fonna: int) -> None:
    make_service(fonna, name="KOLS i Fonna", patient_groups=["copd"])
    make_service(fonna, name="Kreft i Fonna", patient_groups=["cancer"])
    make_service(find_org_id("Helse Bergen HF"), name="KOLS i Bergen", patient_groups=["copd"])
    page = anon.get("/rehab-services", params={"municipality": "4614", "patient_group": "lung"}).text
    assert "KOLS i Fonna" in page
    assert "Kreft i Fonna" not in page
    assert "KOLS i Bergen" not in page
    assert 'value="4614" selected' in page


def test_the_patient_group_filter_reads_everyday_terms_and_icd10(anon: TestClient, fonna: int) -> None:
    make_service(fonna, name="Parkinsonskole", patient_groups=["parkinson"])
    make_service(fonna, name="KOLS-kurs", patient_groups=["copd"])
    for term in ("Parkinson", "parkinsons sjukdom", "G20"):
        page = anon.get("/rehab-services", params={"patient_group": term}).text
        assert "Parkinsonskole" in page
        assert "KOLS-kurs" not in page
        assert 'value="parkinson" selected' in page
    ambiguous = anon.get("/rehab-services", params={"patient_group": "sammensatte behov"}).text
    assert "kan bety flere pasientgrupper" in ambiguous
    assert "«Barn med sammensatte behov» (children_complex)" in ambiguous
    assert "Parkinsonskole" not in ambiguous
    unknown = anon.get("/rehab-services", params={"patient_group": "Parkinsonz"}).text
    assert "ukjent pasientgruppe «Parkinsonz»; mente du «Parkinsons sykdom»?" in unknown


def test_create_shows_field_errors_then_redirects(editor: TestClient, fonna: int) -> None:
    token = form_token(editor, "/rehab-services/new")
    bad = editor.post("/rehab-services/new", data={**new_form(fonna, name="", forms=[]), "csrftoken": token})
    assert bad.status_code == 422
    assert 'id="e-name"' in bad.text
    assert "Må fylles ut." in bad.text
    assert 'aria-invalid="true" aria-describedby="e-name"' in bad.text
    assert "Kurs og trening" in bad.text  # what was typed is kept
    good = editor.post("/rehab-services/new", data={**new_form(fonna), "csrftoken": token}, follow_redirects=False)
    assert good.status_code == 303
    assert re.fullmatch(r"/rehab-services/\d+", good.headers["location"])
    detail = editor.get(good.headers["location"]).text
    assert "Lungerehabilitering i Fonna" in detail
    assert "12 dagplasser" in detail


def test_htmx_create_answers_with_hx_redirect(editor: TestClient, fonna: int) -> None:
    token = form_token(editor, "/rehab-services/new")
    response = editor.post(
        "/rehab-services/new",
        data={**new_form(fonna), "csrftoken": token},
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 200
    assert re.fullmatch(r"/rehab-services/\d+", response.headers["hx-redirect"])


def test_form_errors_for_unknown_municipality_and_bad_numbers(editor: TestClient, fonna: int) -> None:
    token = form_token(editor, "/rehab-services/new")
    data = {**new_form(fonna, catchment_mode="own", catchment="4614, 9999", capacity_number="tolv")}
    response = editor.post("/rehab-services/new", data={**data, "csrftoken": token})
    assert response.status_code == 422
    assert "Må være et helt tall." in response.text


def test_form_post_without_csrf_token_is_refused(editor: TestClient, client: TestClient, fonna: int) -> None:
    response = editor.post("/rehab-services/new", data=new_form(fonna))
    assert response.status_code == 403
    assert client.get("/api/v1/rehab-services", params={"provider": fonna}).json()["items"] == []


def test_anonymous_users_are_sent_to_login(anon: TestClient) -> None:
    response = anon.get("/rehab-services/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Frehab-services%2Fnew"


def test_edit_conflict_keeps_the_typing_and_shows_what_changed(
    client: TestClient, fonna: int, anon: TestClient
) -> None:
    service = make_service(fonna, name="Felles tilbud", waiting_time_days=10)
    email = make_user("andre@test.example", Role.editor, [fonna])
    with TestClient(anon.app) as other:
        browser_login(anon, make_user("forste@test.example", Role.editor, [fonna]))
        browser_login(other, email)
        url = f"/rehab-services/{service['id']}/edit"
        mine = form_token(anon, url)
        theirs = form_token(other, url)
        base = new_form(fonna, name="Felles tilbud", version="1")
        saved = other.post(url, data={**base, "waiting_time_days": "30", "csrftoken": theirs}, follow_redirects=False)
        assert saved.status_code == 303
        conflict = anon.post(url, data={**base, "description": "Min tekst", "csrftoken": mine})
        assert conflict.status_code == 409
        assert "Noen andre lagret endringer" in conflict.text
        assert "Min tekst" in conflict.text  # my typing is kept
        assert re.search(r"Ventetid \(dager\)</th><td>10</td><td>30</td>", conflict.text)
        assert 'name="version" value="2"' in conflict.text
        again = anon.post(
            url, data={**base, "version": "2", "description": "Min tekst", "csrftoken": mine}, follow_redirects=False
        )
        assert again.status_code == 303
    assert client.get(f"/api/v1/rehab-services/{service['id']}").json()["description"] == "Min tekst"


def test_saving_the_edit_form_keeps_the_providers_own_key(editor: TestClient, client: TestClient, fonna: int) -> None:
    service = make_service(fonna, name="Med nøkkel", external_id="fonna-77")
    url = f"/rehab-services/{service['id']}/edit"
    page = editor.get(url).text
    assert 'value="fonna-77"' in page
    token = form_token(editor, url)
    base = new_form(fonna, name="Med nøkkel", version="1", external_id="fonna-77", description="Ny tekst")
    saved = editor.post(url, data={**base, "csrftoken": token}, follow_redirects=False)
    assert saved.status_code == 303
    after = client.get(f"/api/v1/rehab-services/{service['id']}").json()
    assert (after["external_id"], after["description"]) == ("fonna-77", "Ny tekst")
    renamed = editor.post(
        url, data={**base, "version": "2", "external_id": "fonna-78", "csrftoken": token}, follow_redirects=False
    )
    assert renamed.status_code == 303
    assert client.get(f"/api/v1/rehab-services/{service['id']}").json()["external_id"] == "fonna-78"


def test_verified_today_in_one_click(editor: TestClient, client: TestClient, fonna: int) -> None:
    service = make_service(fonna)
    token = form_token(editor, f"/rehab-services/{service['id']}")
    response = editor.post(f"/rehab-services/{service['id']}/verify", data={"csrftoken": token}, follow_redirects=False)
    assert response.status_code == 303
    detail = editor.get(f"/rehab-services/{service['id']}").text
    today = datetime.now(ZoneInfo("Europe/Oslo")).date()  # "today" as a coordinator in Norway sees it, not UTC's
    assert today.strftime("%d.%m.%Y") in detail
    assert client.get(f"/api/v1/rehab-services/{service['id']}").json()["last_verified_on"] == today.isoformat()


def test_editor_of_another_organisation_is_refused(anon: TestClient, fonna: int) -> None:
    service = make_service(fonna)
    browser_login(anon, make_user("bergen@test.example", Role.editor, [find_org_id("Helse Bergen HF")]))
    token = form_token(anon, f"/rehab-services/{service['id']}")
    assert "Verifisert i dag" not in anon.get(f"/rehab-services/{service['id']}").text
    response = anon.post(f"/rehab-services/{service['id']}/verify", data={"csrftoken": token})
    assert response.status_code == 403
    assert "Du har ikke tilgang" in response.text


def test_user_text_is_escaped(anon: TestClient, fonna: int) -> None:
    service = make_service(fonna, name="<script>alert(1)</script>")
    page = anon.get(f"/rehab-services/{service['id']}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pages_send_a_strict_content_security_policy(anon: TestClient) -> None:
    csp = anon.get("/").headers["content-security-policy"]
    assert "script-src 'self' https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js;" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in anon.get("/").text


def test_front_page_counts_and_demo_marking(anon: TestClient, fonna: int) -> None:
    make_service(fonna, forms=["day"])
    page = anon.get("/").text
    assert "Ikke verifisert på 12 måneder" in page
    assert "Sist endret" in page
    assert re.search(r"Dag</a></td><td>1</td>", page)


def test_unknown_page_is_a_norwegian_404(anon: TestClient) -> None:
    response = anon.get("/rehab-services/999999")
    assert response.status_code == 404
    assert "Fant ikke siden" in response.text


def test_the_form_keeps_its_length_limit_and_numeric_keypad(editor: TestClient) -> None:
    """The attributes reach the browser as attributes, not as escaped text."""
    form = editor.get("/rehab-services/new").text
    assert re.search(r'<input[^>]*name="name"[^>]* maxlength="200">', form)
    assert re.search(r'<input[^>]*name="waiting_time_days"[^>]* inputmode="numeric">', form)
    assert "&#34;" not in form
    assert "&quot;200" not in form
