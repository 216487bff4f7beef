"""Chinese identity numbers: check characters and conversions.

- GB 11643: 18-digit resident ID; weights 2^(17-i) mod 11, check "10X98765432".
- GB 11714: 9-character organisation code; weights 3,7,9,10,5,8,4,2; check 0-9 or X.
- GB 32100: 18-character unified social credit code over a 31-character alphabet;
  characters 9-17 are the organisation code.
Used by the generator (to make valid numbers, and invalid ones on purpose) and by
tests; the warehouse applies the same rules in SQL.
"""

from __future__ import annotations

import numpy as np

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_digit(first17: str) -> str:
    s = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[s % 11]


def id_check_digits(first17: np.ndarray) -> np.ndarray:
    """Vectorised: int array (n, 17) of digits -> array of check characters."""
    return np.array(list(ID_CHECK))[(first17 @ ID_WEIGHTS) % 11]


def is_valid_id18(id_no: str) -> bool:
    id_no = id_no.upper()
    if len(id_no) != 18 or not id_no[:17].isdigit():
        return False
    return id_check_digit(id_no[:17]) == id_no[17]


def id15_to_id18(id15: str) -> str:
    """Old 15-digit number: insert '19' before the 2-digit year, add the check digit."""
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + id_check_digit(first17)


def _char_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_code_check(first8: str) -> str:
    s = sum(_char_value(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    c = 11 - s % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid_org_code(code: str) -> bool:
    code = code.replace("-", "").upper()
    return len(code) == 9 and code[:8].isalnum() and org_code_check(code[:8]) == code[8]


def uscc_check(first17: str) -> str:
    s = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - s % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    code = code.upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return uscc_check(code[:17]) == code[17] and is_valid_org_code(code[8:17])


def make_uscc(region: str, org_body8: str, registry: str = "9", kind: str = "1") -> str:
    org = org_body8 + org_code_check(org_body8)
    first17 = registry + kind + region + org
    return first17 + uscc_check(first17)
