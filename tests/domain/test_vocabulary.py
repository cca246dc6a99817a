"""The patient-group vocabulary on the reference taxonomy as loaded into a real database: names in three
languages, everyday terms, ICD-10 codes (the most specific range wins), ambiguity and suggestions."""

import pytest

from app.db import transaction
from app.domain import taxonomy
from app.domain.vocabulary import Match, icd10_code, term_key, variants


def _match(text: str) -> Match:
    with transaction() as session:
        return taxonomy.get_taxonomy(session).match(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("copd", "copd"),
        ("KOLS", "copd"),
        ("Multippel sklerose", "ms"),
        ("multippel sklerose (MS)", "ms"),
        ("MS", "ms"),
        ("Parkinson", "parkinson"),
        ("Parkinsons sjukdom", "parkinson"),
        ("parkinsons-sykdom", "parkinson"),
        ("Revmatisme", "musculoskeletal"),
        ("Leddgikt", "rheumatoid_arthritis"),
        ("lungesykdom", "lung"),
        ("Lungesjukdomar", "lung"),
        ("Seinskadar etter kreft", "cancer_late_effects"),
        ("Hovudskade", "head_injury"),
        ("hjerneskade", "head_injury"),
        ("slag", "stroke"),
        ("ME", "me_cfs"),
        ("me/cfs", "me_cfs"),
        ("Hjartesjukdomar", "cardiac"),
        ("Eldre med samansette lidingar", "elderly_multimorbid"),
        ("Rheumatoid arthritis", "rheumatoid_arthritis"),
        ("  KREFT ", "cancer"),
        ("Kognitiv svikt", "cognitive_impairment"),
        ("Kognitiv svìkt", "cognitive_impairment"),  # accents do not matter
    ],
)
def test_everyday_nynorsk_and_english_names(database_url: str, text: str, code: str) -> None:
    assert _match(text).code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("J44", "copd"),  # COPD's own range, not lung disease's J40-J47
        ("J44.1", "copd"),
        ("j441", "copd"),
        ("J44,1", "copd"),
        ("J45", "asthma"),
        ("J47", "lung"),
        ("J61", "lung"),
        ("G93.3", "me_cfs"),
        ("I63", "stroke"),
        ("I21", "cardiac"),
        ("C50.9", "cancer"),
        ("M05", "rheumatoid_arthritis"),
        ("F01", "cognitive_impairment"),
        ("G20", "parkinson"),
        ("S06.2", "head_injury"),
    ],
)
def test_icd10_codes_go_to_the_most_specific_range(database_url: str, text: str, code: str) -> None:
    assert _match(text).code == code


def test_icd10_codes_outside_every_range_are_unknown(database_url: str) -> None:
    assert _match("G93").code is None  # only G93.3 is ME/CFS
    assert _match("Z99").code is None


def test_a_term_several_groups_share_is_ambiguous(database_url: str) -> None:
    found = _match("sammensatte behov")
    assert found.code is None
    assert found.ambiguous
    assert found.candidates == ("children_complex", "elderly_multimorbid")


def test_unknown_terms_get_a_suggestion_from_the_whole_vocabulary(database_url: str) -> None:
    found = _match("Parkinsonz")
    assert (found.code, found.suggestion_code) == (None, "parkinson")
    assert _match("Leddgigt").suggestion == "Leddgikt"
    assert _match("Ålesund").suggestion is None


def test_resolve_and_suggest_use_the_vocabulary(database_url: str) -> None:
    with transaction() as session:
        tax = taxonomy.get_taxonomy(session)
        group = tax.resolve("Revmatisme")
        assert group is not None
        assert group.code == "musculoskeletal"
        assert tax.resolve("sammensatte behov") is None
        assert tax.suggest("kols") == "copd"


def test_normalisation() -> None:
    assert term_key("Multippel sklerose (MS)") == "multippelsklerosems"
    assert variants("Multippel sklerose (MS)") == {"multippelsklerosems", "multippelsklerose", "ms"}
    assert (icd10_code("j44.1"), icd10_code("J 44"), icd10_code("J4"), icd10_code("KOLS")) == (
        "J44.1",
        "J44",
        None,
        None,
    )
