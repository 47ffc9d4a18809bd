"""Load for the ledger API: accountants reading balances and moving money.

    locust -f locustfile.py --headless -u 5 -r 5 -t 30s --host http://127.0.0.1:PORT

An ordinary Locust file. The one convention it follows for outage simulators
(chaos among them): each write passes `context={"write_ref": <key>}`, which
Locust copies into the request event, so a listener can tell which writes
were acknowledged and later check that they survived.
"""

import random
import uuid

from locust import HttpUser, between, task

ACCOUNTS = range(1, 101)
TIMEOUT_S = 5  # the API answers within ~2 s even when its database is gone


class Accountant(HttpUser):
    wait_time = between(0.05, 0.2)

    @task(8)
    def read_balance(self):
        account = random.choice(ACCOUNTS)
        self.client.get(f"/api/v1/accounts/{account}/balance",
                        name="/api/v1/accounts/[id]/balance", timeout=TIMEOUT_S)

    @task(2)
    def transfer(self):
        src, dst = random.sample(ACCOUNTS, 2)
        key = str(uuid.uuid4())
        with self.client.post(
            "/api/v1/transfers",
            json={"from": src, "to": dst, "amount_cents": random.randint(1, 5000)},
            headers={"Idempotency-Key": key},
            timeout=TIMEOUT_S,
            catch_response=True,
            context={"write_ref": key},
        ) as resp:
            if resp.status_code in (200, 201):
                resp.success()
            else:
                resp.failure(f"transfer answered {resp.status_code}")
