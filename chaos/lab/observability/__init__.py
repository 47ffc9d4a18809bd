"""Prometheus, Alertmanager and their tools in the lab.

The stack's services and configuration (``stack``), promtool and amtool on the
host or in the image (``tools``, ``promtool``, ``amtool``) and what they say
about the user's rule files and routes (``promtoolparse``, ``amroutes``,
``amcheck``). When the stack is in a lab is the feature's
(``chaos.lab.features.observestack``).
"""
