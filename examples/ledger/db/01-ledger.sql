-- A double-entry ledger: every transfer is one `transfers` row plus two
-- `entries` (-amount on the payer, +amount on the payee), written in one
-- transaction. So the sum of all entries is 0, whatever happens to the server.
CREATE TABLE accounts (
    id   int PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE transfers (
    id           bigserial PRIMARY KEY,
    -- the client's Idempotency-Key: a retried POST finds its first transfer
    idem_key     text UNIQUE NOT NULL,
    from_account int NOT NULL REFERENCES accounts (id),
    to_account   int NOT NULL REFERENCES accounts (id),
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (from_account <> to_account)
);

CREATE TABLE entries (
    transfer_id bigint NOT NULL REFERENCES transfers (id),
    account_id  int    NOT NULL REFERENCES accounts (id),
    delta_cents bigint NOT NULL
);
CREATE INDEX entries_by_account ON entries (account_id);

INSERT INTO accounts (id, name)
SELECT i, 'account ' || lpad(i::text, 3, '0')
FROM generate_series(1, 100) AS i;

-- Opening balances come from account 1 ("the bank"), as balanced transfers too.
WITH opened AS (
    INSERT INTO transfers (idem_key, from_account, to_account, amount_cents)
    SELECT 'opening-' || i, 1, i, 100000
    FROM generate_series(2, 100) AS i
    RETURNING id, from_account, to_account, amount_cents
)
INSERT INTO entries (transfer_id, account_id, delta_cents)
SELECT id, from_account, -amount_cents FROM opened
UNION ALL
SELECT id, to_account, amount_cents FROM opened;

ANALYZE;
