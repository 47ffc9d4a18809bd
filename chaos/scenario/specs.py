"""Scenario entries whose parameters come from the registries: faults, detectors, steps.

A fault is written flat::

    - type: half_applied_update      # looked up in chaos.partregistry.faults
      at: 40s                        # common to every fault
      script: faults/reprice.sql     # checked by the fault's own Params model

and validated into ``FaultSpec(type=..., at=..., duration=..., params=<Params>)``.
Common-field and parameter errors are reported together, at their own keys.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, PrivateAttr, SerializeAsAny, ValidationError, ValidationInfo

from chaos.errors import ChaosError
from chaos.partregistry import Registry, detectors, faults, steps
from chaos.parts import DetectorPart, FaultPart, PartBase, StepPart
from chaos.scenario.base import Strict, custom_error, known_fields, raise_errors, reraise, suggest
from chaos.scenario.duration import Duration, NonNegDuration, format_duration

# The field ``type`` shadows the builtin inside the specs' bodies: the classes by name.
PartClass = type[PartBase]
FaultClass = type[FaultPart]
DetectorClass = type[DetectorPart]
StepClass = type[StepPart]


class NoParams(BaseModel):
    """Stands in for the parameters of a part whose type is unknown or invalid."""


def _unknown_type(reg: Registry[Any], name: str, loc: tuple[Any, ...]) -> Any:
    hint = suggest(name, reg.names())
    if "did you mean" in hint:
        hint += " (known: " + ", ".join(reg.names()) + ")"
    return custom_error(loc, "unknown_type", f"unknown {reg.kind} type '{name}'{hint}", name)


def _params(part: Any, raw: Any, info: ValidationInfo, errors: list[Any],
            prefix: tuple[Any, ...] = ()) -> BaseModel:
    try:
        params: BaseModel = part.Params.model_validate(raw, context=info.context)
        return params
    except ValidationError as exc:
        errors.extend(reraise(exc.errors(), prefix))
        return NoParams()


class _Typed(Strict):
    """A ``type:``-dispatched entry: common fields here, the rest to the type's Params."""

    kinds: ClassVar[Registry[Any]]
    common: ClassVar[tuple[str, ...]]

    type: str
    params: SerializeAsAny[BaseModel] = NoParams()
    _found: PartClass | None = PrivateAttr(None)   # looked up once, at validation

    @classmethod
    def _known_keys(cls, data: Any) -> list[str]:
        part = cls._part(data)
        return list(cls.common) + (known_fields(part.Params) if part else [])

    @classmethod
    def _part(cls, data: Any) -> Any:
        name = data.get("type") if isinstance(data, dict) else None
        return cls.kinds.get(name) if isinstance(name, str) else None

    @classmethod
    def _validate_parts(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        common = {k: v for k, v in data.items() if k in cls.common}
        rest = {k: v for k, v in data.items() if k not in cls.common}
        errors: list[Any] = []
        part = cls._part(data)
        if isinstance(data.get("type"), str) and part is None:
            errors.append(_unknown_type(cls.kinds, data["type"], ("type",)))
        params = _params(part, rest, info, errors) if part else NoParams()
        obj = None
        try:
            obj = handler({**cls._defaults(common), "params": params})
        except ValidationError as exc:
            errors[:0] = reraise(exc.errors())
        if obj is not None and part is not None:
            obj._found = part
            errors.extend(obj._check(part, info))
        raise_errors(cls.__name__, errors)
        return obj

    @classmethod
    def _defaults(cls, common: dict[str, Any]) -> dict[str, Any]:
        return common

    def _check(self, part: Any, info: ValidationInfo) -> list[Any]:
        return []


def _looked_up(spec: BaseModel, part: PartClass | None) -> Any:
    """The part class a spec's validation found; a spec built without validation has
    none, and saying so beats a second lookup with its own failure mode."""
    if part is None:
        raise ChaosError(f"{type(spec).__name__} {getattr(spec, 'type', '?')!r} was not "
                            "validated: its part class was never looked up")
    return part


class FaultSpec(_Typed):
    """One injected fault: when (``at``), for how long, and the fault's own parameters."""

    kinds = faults
    common = ("type", "at", "duration")

    at: NonNegDuration
    duration: Duration | None = None

    @property
    def part(self) -> FaultClass:
        """The fault's class, as the registry gave it at validation."""
        found: FaultClass = _looked_up(self, self._found)
        return found

    def _check(self, part: Any, info: ValidationInfo) -> list[Any]:
        errors = []
        if self.part.requires_duration and self.duration is None:
            errors.append(custom_error(("duration",), "missing",
                                       f"a '{self.type}' fault needs a duration (e.g. 30s)"))
        limit = (info.context or {}).get("time_limit") if isinstance(info.context, dict) else None
        end = self.at + (self.duration or 0)
        if limit is not None and end > limit:
            what = "ends" if self.duration else "starts"
            errors.append(custom_error(("at",), "after_time_limit", (
                f"fault {what} at {format_duration(end)}, "
                f"after time_limit {format_duration(limit)}")))
        return errors


class DetectorSpec(_Typed):
    """One alert rule: a ``name`` for reports, a ``type`` and that type's parameters."""

    kinds = detectors
    common = ("name", "type")

    name: str

    @property
    def part(self) -> DetectorClass:
        """The detector's class, as the registry gave it at validation."""
        found: DetectorClass = _looked_up(self, self._found)
        return found

    @classmethod
    def _defaults(cls, common: dict[str, Any]) -> dict[str, Any]:
        if "name" not in common and isinstance(common.get("type"), str):
            return {**common, "name": common["type"]}
        return common


class StepSpec(Strict):
    """One runbook step, written as a one-key mapping: ``- restart: db``.

    A scalar value fills the step's first parameter; a mapping gives them by name.
    ``always: true`` in the mapping (``- restart: {service: db, always: true}``)
    runs the step even when an ``abort_if`` stop condition ends the trial.
    """

    type: str
    params: SerializeAsAny[BaseModel] = NoParams()
    always: bool = False
    _found: PartClass | None = PrivateAttr(None)   # looked up once, at validation

    @property
    def part(self) -> StepClass:
        """The step's class, as the registry gave it at validation."""
        found: StepClass = _looked_up(self, self._found)
        return found

    @classmethod
    def _validate_parts(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or len(data) != 1:
            shape = f"{len(data)} keys" if isinstance(data, dict) else type(data).__name__
            message = f"a step is a one-key mapping like '- restart: db', not {shape}"
            raise_errors(cls.__name__, [custom_error((), "step_shape", message)])
        ((name, value),) = data.items()
        name = str(name)
        part = steps.get(name)
        if part is None:
            raise ValidationError.from_exception_data(cls.__name__,
                                                      [_unknown_type(steps, name, (name,))])
        errors: list[Any] = []
        if value is None:
            value = {}
        always = False
        if isinstance(value, dict) and "always" in value:
            value = dict(value)
            always = value.pop("always")
        if isinstance(value, dict):
            params = _params(part, value, info, errors, (name,))
        else:
            first = next(iter(part.Params.model_fields), None)
            params = _params(part, {first: value} if first else value, info, errors, (name,))
            errors = [_drop_field(e, name, first) for e in errors]
        raise_errors(cls.__name__, errors)
        obj = handler({"type": name, "params": params, "always": always})
        obj._found = part
        return obj


def _drop_field(error: Any, name: str, field: str | None) -> Any:
    # `- wait: 5x` names the value directly; don't blame a field the author never wrote.
    if tuple(error["loc"][:2]) == (name, field):
        error["loc"] = (name,) + tuple(error["loc"][2:])
    return error
