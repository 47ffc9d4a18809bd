-- The shop's schema and seed data, loaded once when the database volume is new.
-- Its size is a knob: SEED_ROWS products (default 10000; at least 10000, which the
-- locustfile reads) and half as many past orders, generated here, in the database.
-- A scenario sets it with `lab: {db_env: {SEED_ROWS: 1000000}}`.
\set seed_rows 10000
\getenv seed_rows SEED_ROWS

CREATE TABLE products (
    id          integer PRIMARY KEY,
    name        text    NOT NULL,
    price_cents bigint  NOT NULL CHECK (price_cents > 0)
);

CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    product_id  integer NOT NULL,   -- REFERENCES products, added after the seed
    qty         integer NOT NULL CHECK (qty > 0),
    total_cents bigint  NOT NULL,
    -- the client's own id for the write, so that a write whose answer was lost
    -- can still be found (or found missing) after the outage
    client_ref  uuid UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

INSERT INTO products (id, name, price_cents)
SELECT i, 'product ' || i, 100 + (i * 37) % 9900
FROM generate_series(1, :seed_rows) AS i;

INSERT INTO orders (product_id, qty, total_cents, created_at)
SELECT p.id, 1 + i % 5, p.price_cents * (1 + i % 5), now() - interval '1 day'
FROM generate_series(1, :seed_rows / 2) AS i
JOIN products p ON p.id = 1 + (i::bigint * 7919) % :seed_rows;

-- One validating pass instead of a trigger per seeded row.
ALTER TABLE orders ADD FOREIGN KEY (product_id) REFERENCES products (id);

ANALYZE;
