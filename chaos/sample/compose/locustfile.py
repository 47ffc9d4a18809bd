"""Load for the sample shop: a plain Locust file, the way a user would write one.

Shoppers read products and place orders. The one thing it does for chaos is
the write contract: an order's ``client_ref`` (a UUID the client sends and the
shop stores) is passed as ``context={"write_ref": ...}``, so chaos can count
acknowledged orders that a restore lost (``data_loss.query`` in the scenarios).
"""

from __future__ import annotations

import random
import uuid

from locust import FastHttpUser, between, task

PRODUCTS = 10_000


class Shopper(FastHttpUser):
    wait_time = between(0.05, 0.2)
    network_timeout = 5.0
    connection_timeout = 5.0

    @task(8)
    def read(self) -> None:
        self.client.get(f"/products/{random.randint(1, PRODUCTS)}", name="/products/[id]")

    @task(2)
    def order(self) -> None:
        ref = str(uuid.uuid4())
        body = {"product_id": random.randint(1, PRODUCTS), "qty": 1, "client_ref": ref}
        with self.client.post("/orders", json=body, name="/orders", context={"write_ref": ref},
                              catch_response=True) as resp:
            if resp.status_code == 201:
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}")
