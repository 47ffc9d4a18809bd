"""Build a fault, detector or recovery step of a trial from its validated spec.

    fault = build("fault", spec, ctx)          # a chaos.faults.base.Fault
    detector = build("detector", spec, ctx)    # a chaos.detect.base.Detector
    step = build("step", spec, ctx)            # a chaos.recover.base.Step

The part's class is the one the registry gave when the scenario was validated
(``spec.part``): looked up once. A class registered under a kind whose base it
does not subclass is refused here, before the trial starts, with that kind's
error (exit 3): a scenario naming it validates, because its ``Params`` do.
"""

from __future__ import annotations

from typing import Literal, overload

from chaos.detect.base import Detector
from chaos.errors import ChaosError, DetectError, FaultError, RecoveryError
from chaos.faults.base import Fault
from chaos.partcontext import PartContext
from chaos.recover.base import Step
from chaos.scenario.specs import DetectorSpec, FaultSpec, StepSpec

PartKind = Literal["fault", "detector", "step"]

_BASES: dict[str, tuple[type[object], type[ChaosError]]] = {
    "fault": (Fault, FaultError), "detector": (Detector, DetectError),
    "step": (Step, RecoveryError)}


@overload
def build(kind: Literal["fault"], spec: FaultSpec, ctx: PartContext) -> Fault: ...
@overload
def build(kind: Literal["detector"], spec: DetectorSpec, ctx: PartContext) -> Detector: ...
@overload
def build(kind: Literal["step"], spec: StepSpec, ctx: PartContext) -> Step: ...


def build(kind: PartKind, spec: FaultSpec | DetectorSpec | StepSpec,
          ctx: PartContext) -> Fault | Detector | Step:
    part: type[object] = spec.part
    base, error = _BASES[kind]
    if not issubclass(part, base):
        raise error(f"{kind} type {spec.type!r} cannot run: its registered implementation "
                    f"is not a {base.__module__}.{base.__qualname__}")
    if isinstance(spec, FaultSpec) and issubclass(part, Fault):
        return part(spec, ctx)
    if isinstance(spec, DetectorSpec) and issubclass(part, Detector):
        return part(spec.name, spec.params, ctx)
    if isinstance(spec, StepSpec) and issubclass(part, Step):
        return part(spec.params, ctx)
    raise error(f"{kind} type {spec.type!r}: a {type(spec).__name__} is not a {kind}'s spec")
