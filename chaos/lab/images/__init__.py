"""The lab's images, built once and reused (docs/images.md).

Two image sets: the lab's own (``labset``: chaos/db, chaos/app, chaos/pybase) and
the observability stack's (``observeset``). Each set is made by one pipeline:
reuse a complete set, else pull it from a registry or fall back, else build it
offline with debootstrap (``rootfs``).
"""
