package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivershared/baseservice"
	"github.com/riverqueue/river/rivershared/riverpilot"
	"github.com/riverqueue/river/rivershared/util/dbutil"
	"github.com/riverqueue/river/rivertype"

	"github.com/reelmart/reelmart/platform/db"
)

// A job taken over from a process that was only slow (its heartbeat lapsed
// while it still ran), or rescued by River from a handler that ignored its
// context, is soon running again under a new attempt, possibly in the same
// process. When the old handler finally returns, River writes its outcome
// with "UPDATE … WHERE state = 'running'", which the new attempt also
// satisfies: a late "completed" would end the job under the new attempt,
// and a late failure would make it available while it runs, so a third
// worker could run it at the same time. The fence drops those late writes.
//
// Each attempt stamps its outcome: kindWorker sets the job metadata key
// attemptKey to the attempt number and start time River gave it, and River
// sends that update along with the outcome. The fence is a River pilot, the
// hook River has for changing how its client reads and writes job rows: in
// a transaction that holds the rows (FOR UPDATE on PostgreSQL; on SQLite
// the transaction holds the write lock, so a takeover cannot slip in
// between), it leaves out every outcome whose job is running under another
// attempt than the one stamped on it.

// attemptKey is the job metadata key of the attempt an outcome belongs to.
const attemptKey = "reelmart_attempt"

// attemptMark identifies one attempt of a job.
type attemptMark struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
}

// fencedDriver is River's driver with the fence installed as its pilot.
type fencedDriver struct {
	riverdriver.Driver[*sql.Tx]
	pilot *fencePilot
}

func newFencedDriver(d *db.DB, pool *sql.DB, log *slog.Logger, onFenced func(int64)) *fencedDriver {
	return &fencedDriver{
		Driver: newDriver(d, pool),
		pilot:  &fencePilot{postgres: d.Dialect() == db.Postgres, log: log, onFenced: onFenced},
	}
}

// PluginInit and PluginPilot make River use the fence as the client's pilot.
func (d *fencedDriver) PluginInit(*baseservice.Archetype) {}
func (d *fencedDriver) PluginPilot() riverpilot.Pilot     { return d.pilot }

type fencePilot struct {
	riverpilot.StandardPilot
	postgres bool
	log      *slog.Logger
	onFenced func(int64)
}

// JobSetStateIfRunningMany writes the outcome of attempts, leaving out each
// one whose job is running again under another attempt.
func (p *fencePilot) JobSetStateIfRunningMany(ctx context.Context, exec riverdriver.Executor,
	params *riverdriver.JobSetStateIfRunningManyParams) ([]*rivertype.JobRow, error) {
	marks := stamps(params)
	if len(marks) == 0 {
		return p.StandardPilot.JobSetStateIfRunningMany(ctx, exec, params)
	}
	var dropped []int64
	rows, err := dbutil.WithTxV(ctx, exec, func(ctx context.Context, tx riverdriver.ExecutorTx) ([]*rivertype.JobRow, error) {
		ids := make([]int64, 0, len(marks))
		for id := range marks {
			ids = append(ids, id)
		}
		if p.postgres {
			if err := tx.Exec(ctx, "SELECT 1 FROM river_job WHERE id = ANY($1) FOR UPDATE", ids); err != nil {
				return nil, err
			}
		}
		current, err := tx.JobGetByIDMany(ctx, &riverdriver.JobGetByIDManyParams{ID: ids, Schema: params.Schema})
		if err != nil {
			return nil, err
		}
		stale := map[int64]bool{}
		dropped = dropped[:0]
		for _, j := range current {
			m := marks[j.ID]
			if j.State == rivertype.JobStateRunning && (j.Attempt != m.Attempt || !attemptedAt(j).Equal(m.At)) {
				stale[j.ID] = true
				dropped = append(dropped, j.ID)
			}
		}
		keep := without(params, stale)
		if len(keep.ID) == 0 {
			return nil, nil
		}
		return p.StandardPilot.JobSetStateIfRunningMany(ctx, tx, keep)
	})
	if err != nil {
		return nil, err
	}
	for _, id := range dropped {
		p.log.Warn("jobs: dropped the late outcome of an attempt whose job runs again under a newer attempt", "job_id", id)
		if p.onFenced != nil {
			p.onFenced(id)
		}
	}
	return rows, nil
}

// stamps returns the attempt stamped on each outcome in params, by job id.
func stamps(params *riverdriver.JobSetStateIfRunningManyParams) map[int64]attemptMark {
	out := map[int64]attemptMark{}
	for i, id := range params.ID {
		if i >= len(params.MetadataUpdates) || !params.MetadataDoMerge[i] || len(params.MetadataUpdates[i]) == 0 {
			continue
		}
		var u map[string]json.RawMessage
		if json.Unmarshal(params.MetadataUpdates[i], &u) != nil || u[attemptKey] == nil {
			continue
		}
		var m attemptMark
		if json.Unmarshal(u[attemptKey], &m) == nil {
			out[id] = m
		}
	}
	return out
}

// without returns params minus the jobs in drop. The fields are parallel
// slices, one entry per job.
func without(params *riverdriver.JobSetStateIfRunningManyParams, drop map[int64]bool) *riverdriver.JobSetStateIfRunningManyParams {
	if len(drop) == 0 {
		return params
	}
	out := &riverdriver.JobSetStateIfRunningManyParams{Now: params.Now, Schema: params.Schema}
	for i, id := range params.ID {
		if drop[id] {
			continue
		}
		out.ID = append(out.ID, id)
		out.Attempt = append(out.Attempt, params.Attempt[i])
		out.ErrData = append(out.ErrData, params.ErrData[i])
		out.FinalizedAt = append(out.FinalizedAt, params.FinalizedAt[i])
		out.MetadataDoMerge = append(out.MetadataDoMerge, params.MetadataDoMerge[i])
		out.MetadataUpdates = append(out.MetadataUpdates, params.MetadataUpdates[i])
		out.ScheduledAt = append(out.ScheduledAt, params.ScheduledAt[i])
		out.State = append(out.State, params.State[i])
	}
	return out
}

func attemptedAt(j *rivertype.JobRow) time.Time {
	if j.AttemptedAt == nil {
		return time.Time{}
	}
	return *j.AttemptedAt
}
