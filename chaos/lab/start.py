"""Starting a lab for a scenario (or the sample): images first, torn down if the start fails."""

from __future__ import annotations

from collections.abc import Callable

from chaos.lab.composedoc import image_refs
from chaos.lab.lab import Lab, LabSpec
from chaos.lab.resources import stale_labs
from chaos.signals import interruptible, shielded


def spec_for(scenario_file: str | None) -> LabSpec:
    """The lab of a scenario file, or the sample's lab without one."""
    if scenario_file is None:
        return LabSpec()
    from chaos.lab.labspec import lab_spec
    from chaos.scenario import load_scenario

    return lab_spec(load_scenario(scenario_file))


def start_lab(spec: LabSpec, owner_pid: int | None,
              log: Callable[[str], None] = lambda line: None) -> Lab:
    """Build images if missing, start a lab, and tear it down again if anything
    (an error, Ctrl-C, SIGTERM) stops it before it is healthy."""
    from chaos.lab.images.labset import ImageNames, build_images, images_ready

    for stale in stale_labs():
        log(f"warning: lab {stale} is left over from a process that is gone; "
            f"`chaos lab down --stale` removes it")
    for feature in spec.features:
        feature.prepare(log)               # an image it needs, built once
    lab = Lab.create(spec, owner_pid=owner_pid)
    try:
        with interruptible():
            # The engine's own images (the database, the helper) always; the sample
            # app only for a compose file that runs it.
            app = ImageNames.from_settings().app in image_refs(lab.compose_doc())
            if not images_ready(app=app):
                log("lab images missing: building them (once)")
                build_images(offline=None, log=log, app=app)
            took = lab.up(log=log)
    except BaseException:
        with shielded():
            log(f"lab {lab.id}: start failed or interrupted; tearing down")
            lab.down()
        raise
    log(f"lab {lab.id} up in {took:.1f} s")
    return lab
