"""The patient-group taxonomy (app/domain/taxonomy.py): lookups, sub-trees, suggestions and the listing."""

import pytest

from app.db import transaction
from app.domain import taxonomy
from app.domain.errors import FieldError, InvalidInput
from app.domain.taxonomy import Taxonomy


@pytest.fixture
def tax(database_url: str) -> Taxonomy:
    with transaction() as session:
        return taxonomy.get_taxonomy(session)


def ids(tax: Taxonomy, *codes: str) -> list[int]:
    found = [tax.by_code[c].id for c in codes]
    assert None not in found
    return sorted(i for i in found if i is not None)


def test_groups_by_code_and_id(tax: Taxonomy) -> None:
    copd = tax.by_code["copd"]
    assert (copd.name_nb, copd.name_en, copd.icd10) == ("KOLS", "COPD", "J44")
    assert copd.id is not None
    assert tax.by_id[copd.id] is copd
    assert tax.by_code["lung"].id == copd.parent_id
    assert [g.code for g in tax.groups][:3] == ["lung", "copd", "asthma"]  # in their sort order


def test_a_subtree_is_the_group_and_everything_below_it(tax: Taxonomy) -> None:
    assert tax.subtree_ids("lung") == ids(tax, "lung", "copd", "asthma", "other_lung")
    assert tax.subtree_ids("copd") == ids(tax, "copd")
    assert tax.subtree_ids("neuro") == ids(tax, "neuro", "stroke", "head_injury", "ms", "parkinson")
    with pytest.raises(KeyError):
        tax.subtree_ids("no_such_group")


@pytest.mark.parametrize(
    ("text", "code"),
    [("kols", "copd"), ("strok", "stroke"), ("Hjerneslg", "stroke"), ("ASTMA", "asthma"), ("zzqqxxvv", None)],
)
def test_suggest_the_closest_code_or_name(tax: Taxonomy, text: str, code: str | None) -> None:
    assert tax.suggest(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("copd", "copd"),
        ("KOLS", "copd"),  # the Norwegian name
        ("kols", "copd"),
        ("Chronic", None),
        ("Hjerneslag", "stroke"),
        ("multiple sclerosis (ms)", "ms"),  # the English name, case-folded
        ("COPD", "copd"),
        ("kol", None),  # names match whole, not in part
    ],
)
def test_resolve_by_code_or_either_name(tax: Taxonomy, text: str, code: str | None) -> None:
    group = tax.resolve(text)
    assert (group.code if group else None) == code


def test_require_gives_ids_or_names_each_unknown_code_with_a_hint(tax: Taxonomy) -> None:
    assert tax.require(["stroke", "copd"], ("body", "patient_groups")) == [
        tax.by_code["stroke"].id,
        tax.by_code["copd"].id,
    ]
    assert tax.require([], ("body", "patient_groups")) == []
    with pytest.raises(InvalidInput, match="Unknown patient group") as raised:
        tax.require(["stroke", "strok", "zzqqxxvv"], ("body", "patient_groups"))
    assert raised.value.errors == [
        FieldError(("body", "patient_groups", 1), "unknown patient group 'strok'; did you mean 'stroke'?"),
        FieldError(("body", "patient_groups", 2), "unknown patient group 'zzqqxxvv'"),
    ]
    with pytest.raises(InvalidInput) as single:
        tax.require(["kols"], ("query", "patient_group"), indexed=False)
    assert single.value.errors == [
        FieldError(("query", "patient_group"), "unknown patient group 'kols'; did you mean 'copd'?")
    ]


def test_the_taxonomy_is_cached_until_invalidated(tax: Taxonomy) -> None:
    with transaction() as session:
        assert taxonomy.get_taxonomy(session) is tax
        taxonomy.invalidate()
        fresh = taxonomy.get_taxonomy(session)
    assert fresh is not tax
    assert [g.code for g in fresh.groups] == [g.code for g in tax.groups]


def test_list_patient_groups(database_url: str) -> None:
    with transaction() as session:
        groups = {g["code"]: g for g in taxonomy.list_patient_groups(session)}
    assert len(groups) == 18
    assert (groups["copd"]["parent"], groups["copd"]["icd10"]) == ("lung", ["J44"])
    assert (groups["lung"]["parent"], groups["lung"]["icd10"]) == (None, ["J40-J47", "J60-J99"])
    assert groups["other_lung"]["icd10"] == []
    assert (groups["stroke"]["name_nb"], groups["stroke"]["name_en"]) == ("Hjerneslag", "Stroke")
    assert all(g["version"] >= 1 and g["created_at"] is not None for g in groups.values())
