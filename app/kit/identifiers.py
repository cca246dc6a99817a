"""Norwegian identifiers: organisation numbers and national identity numbers (mod-11 checks)."""

_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def orgnr_is_valid(value: str) -> bool:
    """Brønnøysund organisation number: 9 digits, the last a modulus-11 check digit."""
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], _ORGNR_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(value[8])


_FNR_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_FNR_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def national_id_is_valid(value: str) -> bool:
    """Norwegian fødselsnummer/D-nummer: 11 digits passing both modulus-11 check digits."""
    if len(value) != 11 or not value.isascii() or not value.isdigit():
        return False
    digits = [int(d) for d in value]
    k1 = 11 - sum(d * w for d, w in zip(digits[:9], _FNR_W1, strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    k2 = 11 - sum(d * w for d, w in zip(digits[:10], _FNR_W2, strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    return k1 != 10 and k2 != 10 and digits[9] == k1 and digits[10] == k2
