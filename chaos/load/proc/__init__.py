"""Code that runs in the Locust processes (``locust -f``), not in chaos.

``listener`` writes each request to the observation stream; ``declared`` is the
user class for a scenario's declared requests. The runner passes their paths to
Locust; chaos never imports them.
"""
