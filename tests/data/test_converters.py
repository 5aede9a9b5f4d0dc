"""Named value converters: exact outputs, clear reasons for bad values, and unknown names."""

from __future__ import annotations

import pytest

from toonlab.data.converters import CONVERTERS, apply_converters, check_converters, convert
from toonlab.errors import DataError


@pytest.mark.parametrize("name, raw, expected", [
    ("years.months", "6.7", "79"), ("years.months", "4.11", "59"), ("years.months", " 4.5 ", "53"),
    ("years.months", "6", "72"), ("years.months", "6.10", "82"), ("years.months", "0.0", "0"),
    ("int", " 12 ", "12"), ("int", "7.0", "7"), ("float", "6.50", "6.5"), ("float", "3", "3.0"),
    ("str", "  p3 ", "p3"), ("years.months", "", ""), ("int", "  ", ""),
])
def test_convert_values(name, raw, expected):
    assert convert(name, raw) == expected


@pytest.mark.parametrize("name, raw, reason", [
    ("years.months", "6.12", "12 months"), ("years.months", "6.13", "months 0..11"),
    ("years.months", "six", "not years.months"), ("years.months", "-1.2", "not years.months"),
    ("years.months", "6.7.1", "not years.months"), ("int", "7.5", "not a whole number"),
    ("int", "x", "not a number"), ("float", "nan", "not a finite number"), ("float", "abc", "not a number"),
])
def test_bad_values_raise_readable_reasons(name, raw, reason):
    with pytest.raises(ValueError, match=reason):
        convert(name, raw)


def test_unknown_converter_in_convert():
    with pytest.raises(ValueError, match="unknown converter 'months'.*years.months"):
        convert("months", "1")


def test_check_converters_names_valid_converters_and_fields():
    check_converters({"age": "years.months", "n": "int"})
    check_converters({"age": "years.months"}, ["age", "sex"])
    with pytest.raises(DataError, match=r"Unknown converter 'year.months' for 'age'.*Did you mean 'years.months'.*"
                                        r"int, float, str, years.months"):
        check_converters({"age": "year.months"})
    with pytest.raises(DataError, match=r"names column 'agee'.*Did you mean 'age'.*Valid columns: age, sex"):
        check_converters({"agee": "int"}, ["age", "sex"], what="column")
    assert set(CONVERTERS) == {"int", "float", "str", "years.months"}


def test_apply_converters_reports_the_field():
    assert apply_converters({"age": "4.5", "sex": "m"}, {"age": "years.months"}) == ({"age": "53", "sex": "m"}, "")
    values, problem = apply_converters({"age": "4.15"}, {"age": "years.months"})
    assert values == {"age": "4.15"} and "'age'" in problem and "15 months" in problem
