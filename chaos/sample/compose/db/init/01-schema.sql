-- The shop's schema and seed data, loaded once when the database volume is new.
CREATE TABLE products (
    id          integer PRIMARY KEY,
    name        text    NOT NULL,
    price_cents bigint  NOT NULL CHECK (price_cents > 0)
);

CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    product_id  integer NOT NULL REFERENCES products (id),
    qty         integer NOT NULL CHECK (qty > 0),
    total_cents bigint  NOT NULL,
    -- the client's own id for the write, so that a write whose answer was lost
    -- can still be found (or found missing) after the outage
    client_ref  uuid UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

INSERT INTO products (id, name, price_cents)
SELECT i, 'product ' || i, 100 + (i * 37) % 9900
FROM generate_series(1, 10000) AS i;

INSERT INTO orders (product_id, qty, total_cents, created_at)
SELECT p.id, 1 + i % 5, p.price_cents * (1 + i % 5), now() - interval '1 day'
FROM generate_series(1, 5000) AS i
JOIN products p ON p.id = 1 + (i * 7919) % 10000;

ANALYZE;
