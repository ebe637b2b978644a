-- A case system's reporting tables, as a nightly extract sees them (SQLite here;
-- the same query runs on SQL Server or PostgreSQL with their JSON functions).
-- No personal data: a disagreement has an opaque reference; people appear only
-- as a role in an agency, inside each event's details.
CREATE TABLE disagreement (
    reference TEXT PRIMARY KEY,      -- opaque: never a name or an address
    policy    TEXT                   -- the partnership procedure that applies
);
CREATE TABLE disagreement_event (
    reference TEXT NOT NULL REFERENCES disagreement (reference),
    position  INTEGER NOT NULL,      -- the order the case system recorded them in
    event_id  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,         -- ISO 8601 with its UTC offset
    details   TEXT NOT NULL,         -- the event's other fields, as a JSON object
    PRIMARY KEY (reference, position)
);
