"""`rehabkart deadlines`: the networks' deadlines as Norwegian lines or JSON, exit 0 whatever is due."""

import json

from typer.testing import CliRunner

from app.cli import app
from tests.factories import make_network

runner = CliRunner()


def test_deadlines_are_printed_in_norwegian_and_as_json(owner_org: int) -> None:
    network = make_network(owner_org, name="Lungenettverket")
    make_network(owner_org, name="Et annet nettverk")
    result = runner.invoke(app, ["deadlines", "--today", "2026-11-10", "--network", str(network["id"])])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "2026-11-30  frist snart  Lungenettverket: handlingsplan for 2027 – frist 30.11.2026 (om 20 dager)" in lines
    assert "Et annet nettverk" not in result.output
    later = runner.invoke(app, ["deadlines", "--today", "2027-02-05", "--network", str(network["id"])])
    assert any(
        line.startswith("2027-01-31  forfalt") and "årsrapport for 2026" in line for line in later.output.splitlines()
    )

    every = runner.invoke(app, ["deadlines", "--today", "2026-11-10", "--json"])
    assert every.exit_code == 0, every.output
    items = json.loads(every.output)
    assert {i["network_name"] for i in items} == {"Lungenettverket", "Et annet nettverk"}
    plan = next(i for i in items if i["network_id"] == network["id"] and i["kind"] == "plan" and i["year"] == 2027)
    assert (plan["due_on"], plan["state"], plan["days_left"]) == ("2026-11-30", "soon", 20)


def test_bad_input_is_a_message_not_a_traceback(owner_org: int) -> None:
    bad_date = runner.invoke(app, ["deadlines", "--today", "30.11.2026"])
    assert bad_date.exit_code == 1
    assert "ÅÅÅÅ-MM-DD" in bad_date.output
    unknown = runner.invoke(app, ["deadlines", "--network", "999999"])
    assert unknown.exit_code == 1
    assert "Fant ikke noe nettverk" in unknown.output
    assert "Traceback" not in unknown.output
