"""Reading typed settings from the environment, strictly.

django-environ's ``bool`` reads any unknown word as False, so ``DEBUG=ture``
would quietly turn debugging off, and its ``int`` fails with a bare ValueError
that does not say which variable was wrong. These helpers accept only values
that are unmistakably of their type and otherwise stop start-up with a message
naming the variable.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def _refuse(name: str, value: str, expected: str):
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not {expected}. Fix or unset {name}."
    )


def env_bool(name: str, *, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    _refuse(name, value, "a boolean (true/false, yes/no, on/off, 1/0)")


def env_int(name: str, *, default: int, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        _refuse(name, value, "a whole number")
    if minimum is not None and number < minimum:
        _refuse(name, value, f"a whole number of at least {minimum}")
    return number


def env_float(name: str, *, default: float, positive: bool = False) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        _refuse(name, value, "a number")
    # float() accepts "nan" and "inf", which no setting here means.
    if number != number or number in (float("inf"), float("-inf")):
        _refuse(name, value, "a finite number")
    if positive and not number > 0:
        _refuse(name, value, "a positive number")
    return number
