"""queue-worker: "sends" the outbox's messages, a batch every POLL_INTERVAL_S.

Each batch claims up to BATCH_SIZE of the oldest unsent rows and stamps their
sent_at, in one statement:

    UPDATE outbox SET sent_at = clock_timestamp()
     WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL
                   ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED)

SKIP LOCKED lets several workers share the table without claiming a row
twice. With the defaults (200 rows every 0.1 s) it can send about 2,000
messages a second, a hundred times the example's load: in steady state the
backlog is whatever arrived in the last 0.1 s.

    GET :METRICS_PORT/metrics   messages_sent_total, worker_batch_failures_total,
                                worker_last_batch_timestamp_seconds

SIGTERM (and SIGINT) stop it within a second, even in the middle of a batch
(the server rolls an interrupted claim back: nothing is half-sent). A frozen
database (`docker pause`) holds the batch in flight until it thaws: the
server's statement_timeout cannot run while it is frozen, and a worker has no
one waiting on it, so it simply resumes.
IGNORE_SIGTERM=1 makes it ignore SIGTERM instead, as a worker with a
misbehaving shutdown would: `docker stop` then waits out its grace period and
SIGKILLs it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

import prometheus_client
import psycopg
from prometheus_client import Counter, Gauge

DATABASE_URL = os.environ["DATABASE_URL"]
METRICS_PORT = int(os.environ.get("METRICS_PORT", "9100"))
BATCH_SIZE = int(os.environ.get("BATCH_SIZE", "200"))
POLL_INTERVAL_S = float(os.environ.get("POLL_INTERVAL_S", "0.1"))
STATEMENT_TIMEOUT_S = float(os.environ.get("STATEMENT_TIMEOUT_S", "2"))
RETRY_AFTER_S = 0.5            # after a failed connect or batch
EXIT_WITHIN_S = 0.5            # how long a signalled stop waits for the batch in flight
IGNORE_SIGTERM = os.environ.get("IGNORE_SIGTERM", "") == "1"

CLAIM = ("UPDATE outbox SET sent_at = clock_timestamp()"
         " WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL"
         "              ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)")

SENT = Counter("messages_sent", "Messages this worker marked sent")
FAILURES = Counter("worker_batch_failures", "Batches (or connects) that failed")
LAST_BATCH = Gauge("worker_last_batch_timestamp_seconds", "When the last batch committed "
                   "(Unix time), whether or not it found anything to send")

log = logging.getLogger("queue-worker")
stopping = threading.Event()


def connect() -> psycopg.Connection:
    return psycopg.connect(
        DATABASE_URL, connect_timeout=2, application_name="queue-worker",
        options=f"-c statement_timeout={int(STATEMENT_TIMEOUT_S * 1000)}")


def send_batch(conn: psycopg.Connection) -> int:
    """Claim and "send" one batch; the number of messages sent."""
    with conn.transaction():
        sent = conn.execute(CLAIM, (BATCH_SIZE,)).rowcount
    SENT.inc(sent)
    LAST_BATCH.set_to_current_time()
    return sent


def run() -> None:
    """Batches until told to stop; database trouble only delays the next one."""
    conn: psycopg.Connection | None = None
    while not stopping.is_set():
        started = time.monotonic()
        try:
            if conn is None or conn.closed:
                conn = connect()
            send_batch(conn)
        except psycopg.Error as exc:
            FAILURES.inc()
            log.warning("batch failed: %s: %s", type(exc).__name__, exc)
            if conn is not None:
                conn.close()
            conn = None
            stopping.wait(RETRY_AFTER_S)
            continue
        # A fixed cadence, not "again at once when the batch was full": the drain
        # rate is then known (BATCH_SIZE per POLL_INTERVAL_S at most).
        stopping.wait(max(0.0, POLL_INTERVAL_S - (time.monotonic() - started)))
    if conn is not None:
        conn.close()


def on_signal(signum: int, frame: object) -> None:
    stopping.set()


def main() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # As PID 1 in a container a signal without a handler is dropped by the kernel,
    # so SIGTERM needs a handler to stop us at all, and SIG_IGN to be ignored on
    # purpose wherever we run.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, signal.SIG_IGN if IGNORE_SIGTERM else on_signal)
    prometheus_client.start_http_server(METRICS_PORT)
    log.info("sending up to %d messages every %g s; SIGTERM %s", BATCH_SIZE,
             POLL_INTERVAL_S, "ignored" if IGNORE_SIGTERM else "stops")
    # The batches run in a daemon thread so that a stop never waits for a connect
    # or a statement to time out (up to 2 s each): the main thread gives the batch
    # in flight EXIT_WITHIN_S, then leaves; the server rolls an unfinished claim back.
    batches = threading.Thread(target=run, name="batches", daemon=True)
    batches.start()
    while batches.is_alive() and not stopping.is_set():
        stopping.wait(0.1)
    if not stopping.is_set():  # a bug killed the batches: exit non-zero, get restarted
        log.error("the batch loop died; exiting")
        sys.exit(1)
    batches.join(EXIT_WITHIN_S)
    log.info("stopped")


if __name__ == "__main__":
    main()
