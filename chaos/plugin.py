"""What a plugin author imports: one module, everything a third-party part needs.

    from chaos.plugin import Detector, Duration, Strict, detectors

    class SlowParams(Strict):
        above: Duration = 0.5

    @detectors.register("slow_page")
    class SlowPage(Detector):
        Params = SlowParams
        ...

A fault, detector or recovery step (each a subclass of its base, registered under
its YAML name in ``faults``, ``detectors`` or ``steps``), its parameters (``Strict``
and the duration types), what it may ask of its trial (``PartContext``) and of the
lab (``LabNeeds``), its own record section (``Section``, ``Number``, ``Count``,
``SectionFacts``), post-mortem paragraph (``ReportSection``, ``Lesson``) and charts
(``Chart``, ``TrialView``), the timeline's event kinds (``Kind``), the errors it
raises; and a lab feature (``LabFeature`` registered with ``lab_feature``, the
scenario key that turns it on, ``LabOption``, the hooks' ``LabHandle``,
``OverrideDoc``, ``TrialTools``, ``TrialWorker``).

Anything not named in ``__all__`` is internal and may move between releases.
docs/architecture.md, "Writing a plugin", says which file to copy.
"""

from __future__ import annotations

from chaos.detect.base import Detector, Pending, ProbeThread
from chaos.errors import ChaosError, DetectError, FaultError, LabError, RecoveryError
from chaos.faults.base import Fault
from chaos.lab.feature import (
    LabFeature,
    LabHandle,
    LabSpec,
    OverrideDoc,
    TrialTools,
    TrialWorker,
    lab_feature,
)
from chaos.measure.eventkinds import Kind
from chaos.partcontext import PartContext
from chaos.partregistry import detectors, faults, steps
from chaos.parts import (
    Chart,
    Conflict,
    LabNeeds,
    Lesson,
    ReportSection,
    SectionFacts,
    TrialView,
    code,
    seconds,
)
from chaos.record import Count, Number, Section
from chaos.recover.base import Step
from chaos.scenario.base import Strict
from chaos.scenario.duration import Duration, NonNegDuration, Ratio
from chaos.scenario.laboptions import LabOption

__all__ = [
    # the parts' bases and the registries a part registers in
    "Fault", "Detector", "ProbeThread", "Pending", "Step",
    "faults", "detectors", "steps",
    # parameters
    "Strict", "Duration", "NonNegDuration", "Ratio",
    # what a part is given, and what it declares
    "PartContext", "LabNeeds", "Conflict", "Lesson",
    # its record section, post-mortem paragraph and charts
    "Section", "Number", "Count", "SectionFacts", "ReportSection", "Chart", "TrialView",
    "seconds", "code",
    # the timeline's event kinds
    "Kind",
    # errors
    "ChaosError", "FaultError", "DetectError", "RecoveryError", "LabError",
    # a lab feature
    "LabFeature", "lab_feature", "LabOption", "LabHandle", "LabSpec", "OverrideDoc",
    "TrialTools", "TrialWorker",
]
