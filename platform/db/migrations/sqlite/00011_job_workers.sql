-- +goose Up
-- One row per process that runs jobs; see the PostgreSQL migration of the
-- same number. Times are integer microseconds.
CREATE TABLE job_workers (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    queues     TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    seen_at    TIMESTAMP NOT NULL
);
CREATE INDEX job_workers_seen_at ON job_workers (seen_at);

-- +goose Down
DROP TABLE job_workers;
