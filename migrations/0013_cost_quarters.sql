-- What agents cost, added up per quarter of an hour (milliseconds since the epoch / 900000):
-- "today" is a sum from the local midnight, and every time zone's midnight falls on a quarter.
-- One row per quarter that cost something: a year of use is 35,000 rows at most.
CREATE TABLE cost_quarters (
    quarter  INTEGER PRIMARY KEY,
    cost_usd REAL NOT NULL
) WITHOUT ROWID;
