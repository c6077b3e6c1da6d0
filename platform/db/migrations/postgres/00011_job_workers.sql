-- +goose Up
-- One row per process that runs jobs (platform/jobs): it refreshes seen_at
-- every few seconds from a goroutine of its own. A running job whose process
-- has not been seen for the stale limit is taken over by any live process,
-- so a killed worker's job runs again within a minute instead of waiting for
-- River's age-based rescue. id is the River client id that River writes into
-- river_job.attempted_by when the process takes a job.
CREATE TABLE job_workers (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    queues     TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX job_workers_seen_at ON job_workers (seen_at);

-- +goose Down
DROP TABLE job_workers;
