"""The coded, hierarchical patient-group taxonomy."""

from pydantic import BaseModel
from pydantic import Field as SchemaField
from sqlmodel import Field

from app.models.base import Tracked
from app.models.types import UtcDatetime


class PatientGroup(Tracked, table=True):
    __tablename__ = "patient_group"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="patient_group.id")
    name_nb: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    name_nn: str | None = Field(default=None, max_length=200)
    # Everyday terms the group is known by, "|"-separated (app/reference/patient_group_terms.csv).
    aliases: str = Field(default="", sa_column_kwargs={"server_default": ""})
    icd10: str | None = Field(default=None, max_length=200)
    sort_order: int = 0


class PatientGroupRead(BaseModel):
    id: int
    code: str
    parent: str | None
    name_nb: str
    name_en: str
    name_nn: str | None = SchemaField(description="The name in nynorsk")
    aliases: list[str] = SchemaField(
        description="Everyday terms and short forms an import or a page filter also accepts (besides the "
        "code, the names and the ICD-10 codes in the ranges of `icd10`)"
    )
    icd10: list[str]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int
