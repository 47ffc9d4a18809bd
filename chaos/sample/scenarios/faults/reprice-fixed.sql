-- The fixed repricing script: one statement, in place, in one transaction.
-- Safe to rerun after a restore: it only touches the price values.
UPDATE products SET price_cents = price_cents * 108 / 100;
