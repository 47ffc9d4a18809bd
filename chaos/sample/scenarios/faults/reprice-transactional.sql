-- The seed's repricing migration, unchanged but for one thing: it runs in one
-- transaction. Dying anywhere inside it leaves nothing applied; rerunning it after
-- it committed (an acknowledgement lost) would raise the prices a second time.
BEGIN;
ALTER TABLE products ADD COLUMN price_cents_new bigint;
UPDATE products SET price_cents_new = price_cents * 108 / 100;
ALTER TABLE products DROP COLUMN price_cents;
ALTER TABLE products RENAME COLUMN price_cents_new TO price_cents;
ALTER TABLE products ALTER COLUMN price_cents SET NOT NULL;
ALTER TABLE products ADD CONSTRAINT products_price_cents_check CHECK (price_cents > 0);
COMMIT;
