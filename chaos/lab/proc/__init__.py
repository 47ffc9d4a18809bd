"""Code that runs in another process: in a lab container, not in chaos.

Never imported by chaos: each module is sent as source on a container's command
line or mounted into it, and must run on the standard library alone
(``faultproxy`` in the helper image, ``alertreceiver`` beside Alertmanager).
"""
