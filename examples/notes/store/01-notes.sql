-- The notes store: one table, a few seeded notes per owner.
CREATE TABLE notes (
    uid     bigserial PRIMARY KEY,
    owner   text NOT NULL,
    body    text NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
);
-- "the newest 20 notes of an owner" is the only read
CREATE INDEX notes_owner_newest ON notes (owner, uid DESC);

INSERT INTO notes (owner, body, created)
SELECT (ARRAY['ann', 'bob', 'cy'])[1 + i % 3],
       'seeded note ' || i || ': https://example.org/read/' || i,
       now() - make_interval(mins => 60 - i)
FROM generate_series(1, 60) AS i;
