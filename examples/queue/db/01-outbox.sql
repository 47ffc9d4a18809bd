-- An outbox: the API inserts a row per accepted message, the worker "sends"
-- rows by stamping sent_at. The unsent rows are the backlog, the queue's own
-- indicator of trouble: it grows while the worker is away, and no HTTP request
-- ever fails because of it.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    -- the client's reference: a retried POST finds its first row
    ref        text UNIQUE NOT NULL,
    body       text,
    created_at timestamptz DEFAULT clock_timestamp(),
    sent_at    timestamptz
);

-- The worker claims the oldest unsent ids and the API counts the unsent rows:
-- both read this index alone, however many sent rows pile up behind it.
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
