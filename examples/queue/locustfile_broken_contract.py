"""The queue's load with a broken write contract: chaos sees no acknowledged write.

The same producers as locustfile.py, written the way that looks natural and
is wrong: the write's reference is put into the `context` dict only once the
answer is known to be good. Locust copies the `context` dict when it builds
the request event (`{**user.context(), **context}`), so adding to our own dict
afterwards, even inside the `with` block, changes nothing the listener sees.
Every request still counts, but none is a write; a scenario with
`data_loss.query` must then report lost writes as "not measured", never 0.

The fix (locustfile.py): pass `context={"write_ref": ref}` in the call, or
set `resp.request_meta["context"]["write_ref"]` inside the `with` block.
"""

import uuid

from locust import HttpUser, constant_throughput, task

MESSAGES_PER_USER_PER_S = 2
TIMEOUT_S = 5


class Producer(HttpUser):
    wait_time = constant_throughput(MESSAGES_PER_USER_PER_S)

    @task
    def post_message(self):
        ref = str(uuid.uuid4())
        meta = {}
        with self.client.post("/messages", json={"ref": ref, "body": "hello"},
                              timeout=TIMEOUT_S, catch_response=True, context=meta) as resp:
            if resp.status_code == 202:
                resp.success()
                meta["write_ref"] = ref   # the mistake: Locust already copied `meta`
            else:
                resp.failure(f"POST /messages answered {resp.status_code}")
