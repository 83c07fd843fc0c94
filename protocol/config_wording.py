"""The words of configuration problems: pydantic's error types in Vietnamese, and the
problems our own validators raise in both languages.

pydantic words its errors in English only (``Input should be a valid integer``); an
office's IT officer reads Vietnamese first. `vietnamese` gives the Vietnamese of each
error type people meet in a YAML file; the English stays pydantic's, which is precise.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticCustomError

from protocol.text import IDENTIFIER_PATTERN, SERVICE_CODE_PATTERN

#: The pydantic error type of a problem worded by us (``ctx``: ``vi``, ``en``).
CONFIG_PROBLEM = "motcua_config"
#: The type of several problems found together (``ctx["problems"]``: path, vi, en).
CONFIG_PROBLEMS = "motcua_config_many"

#: Vietnamese of pydantic's error types (``{…}``: the error's context values).
VIETNAMESE: dict[str, str] = {
    "missing": "thiếu trường bắt buộc này",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_parsing": "phải là số",
    "float_type": "phải là số",
    "bool_parsing": "phải là true hoặc false",
    "bool_type": "phải là true hoặc false",
    "string_type": "phải là chữ (chuỗi)",
    "string_too_short": "phải có ít nhất {min_length} ký tự",
    "string_too_long": "tối đa {max_length} ký tự",
    "string_pattern_mismatch": "không đúng dạng (mẫu {pattern})",
    "too_short": "phải có ít nhất {min_length} mục",
    "too_long": "tối đa {max_length} mục",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "literal_error": "phải là một trong: {expected}",
    "enum": "phải là một trong: {expected}",
    "dict_type": "phải là một nhóm khoá: giá trị",
    "model_type": "phải là một nhóm khoá: giá trị",
    "model_attributes_type": "phải là một nhóm khoá: giá trị",
    "list_type": "phải là một danh sách",
    "path_type": "phải là đường dẫn tệp",
    "url_parsing": "không phải địa chỉ hợp lệ",
    "url_scheme": "địa chỉ phải bắt đầu bằng {expected_schemes}",
    "value_error": "giá trị không hợp lệ",
}

#: Readable names of the identifier patterns (instead of the regular expression).
PATTERNS: dict[str, tuple[str, str]] = {
    IDENTIFIER_PATTERN: (
        "chỉ gồm chữ thường không dấu a–z, số, '-' và '_', bắt đầu bằng chữ hoặc số, "
        "tối đa 32 ký tự",
        "use lowercase a–z, digits, '-' and '_', starting with a letter or digit, "
        "at most 32 characters",
    ),
    SERVICE_CODE_PATTERN: (
        "chỉ gồm chữ thường không dấu a–z, số, '-' và '_', tối đa 16 ký tự",
        "use lowercase a–z, digits, '-' and '_', at most 16 characters",
    ),
}


def config_problem(vi: str, en: str) -> PydanticCustomError:
    """A problem our validator raises, in both languages (raise it like a ValueError)."""
    return PydanticCustomError(CONFIG_PROBLEM, "{en}", {"vi": vi, "en": en})


def config_problems(problems: list[tuple[str, str, str]]) -> PydanticCustomError:
    """Several problems at once, each ``(path, vi, en)``, shown one per line."""
    joined = "; ".join(f"{path}: {en}" for path, _vi, en in problems)
    return PydanticCustomError(CONFIG_PROBLEMS, "{en}", {"en": joined, "problems": problems})


def wording(err: Any) -> tuple[str, str]:
    """``(vi, en)`` of one pydantic error (a dict of ``ValidationError.errors()``)."""
    ctx = err.get("ctx") or {}
    kind = err["type"]
    en = err["msg"].removeprefix("Value error, ")
    if kind == CONFIG_PROBLEM:
        return str(ctx["vi"]), str(ctx["en"])
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERNS:
        return PATTERNS[ctx["pattern"]]
    template = VIETNAMESE.get(kind, VIETNAMESE["value_error"])
    values = {k: str(v).replace(" or ", " hoặc ") for k, v in ctx.items()}
    try:
        vi = template.format(**values)
    except (KeyError, IndexError):
        vi = VIETNAMESE["value_error"]
    return vi, en
