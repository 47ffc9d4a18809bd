-- a script that exists; its content is never run by unit tests.
UPDATE items SET n = n + 1;
ALTER TABLE items DROP COLUMN n;
SELECT 1;
