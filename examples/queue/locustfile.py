"""Load for the queue API: producers posting messages at a steady, known rate.

    locust -f locustfile.py --headless -u 10 -r 10 -t 30s --host http://127.0.0.1:PORT

Each user posts one message per iteration and, every 10th iteration, also asks
/health; `constant_throughput(2)` paces the iterations at 2 a second. So the
write rate is exactly users x 2 per second (10 users: 20 messages/s) as long as
an iteration takes under 0.5 s, which lets the backlog's growth be computed
when the worker stops.

The one convention it follows for outage simulators (chaos among them): each
write passes `context={"write_ref": ref}`, which Locust copies into the request
event, so a listener can tell which writes were acknowledged and later check
that they are in the outbox.
"""

import uuid

from locust import HttpUser, constant_throughput, task

MESSAGES_PER_USER_PER_S = 2
HEALTH_EVERY = 10  # iterations
TIMEOUT_S = 5      # the API answers within ~2 s even when its database is gone


class Producer(HttpUser):
    wait_time = constant_throughput(MESSAGES_PER_USER_PER_S)

    def on_start(self):
        self.iteration = 0

    @task
    def post_message(self):
        # One task, so that the /health calls do not take a share of the
        # iterations: every iteration writes exactly one message.
        self.iteration += 1
        ref = str(uuid.uuid4())
        with self.client.post(
            "/messages",
            json={"ref": ref, "body": f"message {self.iteration} from {id(self):x}"},
            timeout=TIMEOUT_S,
            catch_response=True,
            context={"write_ref": ref},
        ) as resp:
            if resp.status_code == 202:
                resp.success()
            else:
                resp.failure(f"POST /messages answered {resp.status_code}")
        if self.iteration % HEALTH_EVERY == 0:
            self.client.get("/health", timeout=TIMEOUT_S)
