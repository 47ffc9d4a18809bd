-- The repricing migration of the seed incident: +8% on every price, done by
-- building a new column and swapping it in. Run statement by statement with
-- no transaction, it leaves the products table without a price column if it
-- dies after statement 3.
ALTER TABLE products ADD COLUMN price_cents_new bigint;
UPDATE products SET price_cents_new = price_cents * 108 / 100;
ALTER TABLE products DROP COLUMN price_cents;
ALTER TABLE products RENAME COLUMN price_cents_new TO price_cents;
ALTER TABLE products ALTER COLUMN price_cents SET NOT NULL;
ALTER TABLE products ADD CONSTRAINT products_price_cents_check CHECK (price_cents > 0);
