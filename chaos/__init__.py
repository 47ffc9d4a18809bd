"""chaos: a chaos-engineering outage simulator.

It brings up an application and its PostgreSQL database in Docker, drives load
with Locust, injects failures and measures how long detection and recovery take.
"""

__version__ = "0.1.0"
