"""What every scenario model shares: strictness, and errors that suggest a fix.

Unknown keys are rejected with a difflib suggestion::

    unknown field 'detetc'; did you mean 'detect'?

Validators here may collect several pydantic errors and raise them together
(``raise_errors``), so one pass reports everything wrong with a file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError


def suggest(word: str, choices: Iterable[str]) -> str:
    """"; did you mean 'x'?" when something is close, else the list of choices."""
    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return "; expected one of: " + ", ".join(choices) if choices else ""


def custom_error(loc: tuple[Any, ...], kind: str, message: str,
                 value: Any = None) -> InitErrorDetails:
    # pydantic-core fills {fields} of a message only from a context; none is given,
    # so braces (a template placeholder, a user's text) are shown as written.
    return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)


def reraise(errors: list[Any], prefix: tuple[Any, ...] = ()) -> list[InitErrorDetails]:
    """pydantic ``ErrorDetails`` -> ``InitErrorDetails`` (so they can be raised again)."""
    return [
        custom_error(prefix + tuple(e["loc"]), e["type"], e["msg"], e.get("input"))
        for e in errors
    ]


def raise_errors(title: str, errors: list[InitErrorDetails]) -> None:
    if errors:
        raise ValidationError.from_exception_data(title, errors)


def known_fields(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


class Strict(BaseModel):
    """Base of all scenario models: unknown keys are errors, with a suggestion."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
    unknown_what: ClassVar[str] = "field"

    @model_validator(mode="wrap")
    @classmethod
    def _explain_unknown_keys(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        try:
            return cls._validate_parts(data, handler, info)
        except ValidationError as exc:
            known = cls._known_keys(data)
            errors = [note_default(e, data, known) for e in exc.errors()]
            raise_errors(cls.__name__, rewrite_unknown(errors, cls.unknown_what, known))
            raise

    @classmethod
    def _validate_parts(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        """Hook for models assembled from parts (see ``parts.py``); plain models just validate."""
        return handler(data)

    @classmethod
    def _known_keys(cls, data: Any) -> list[str]:
        return known_fields(cls)


def note_default(error: Any, data: Any, known: list[str]) -> Any:
    """Say so when the value at fault is a field's default (``validate_default``): the
    user never wrote it, and would look for it in the file in vain."""
    loc, value = tuple(error["loc"]), error.get("input")
    if (len(loc) == 1 and loc[0] in known and isinstance(data, dict) and loc[0] not in data
            and error["type"] != "missing" and isinstance(value, (str, int, float))):
        return {**error, "msg": f"{error['msg']} (not written: the default {value!r} was used)"}
    return error


def rewrite_unknown(errors: list[Any], what: str, known: list[str]) -> list[InitErrorDetails]:
    """Turn this level's ``extra_forbidden`` errors into "unknown field ...; did you mean"."""
    out = []
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] in ("extra_forbidden", "unknown_field") and len(loc) == 1:
            out.append(custom_error(loc, "unknown_field",
                                    f"unknown {what} '{loc[0]}'{suggest(str(loc[0]), known)}"))
        else:
            out.extend(reraise([e]))
    return out
