"""Code that runs in another process: a throwaway Python that imports a user's
locustfile as Locust would (``locustprobe``), so that Locust's gevent patching never
reaches the orchestrator. Run with ``python -m``; chaos never imports it.
"""
