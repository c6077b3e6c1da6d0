package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/riverqueue/river"
)

// Workers is how many jobs of each queue one process runs at once.
type Workers struct {
	Long  int // QueueLong: transcodes
	Short int // QueueShort: index writes, fan-out, flushes
}

const maxWorkers = 10000 // River's limit per queue

// Work runs jobs until ctx ends: up to w.Long of QueueLong and w.Short of
// QueueShort at once, each queue with its own slots, so short jobs start
// while every long slot is busy. A queue with 0 workers is not taken from
// in this process.
//
// While it runs, the process keeps a heartbeat row in job_workers and
// takes over the running jobs of any process whose heartbeat has gone
// stale (Options.StaleAfter). If this process cannot write its own
// heartbeat for most of that time, it cancels its running jobs, because
// another process is about to take them over.
//
// After ctx ends, running jobs get Options.ShutdownGrace to finish; then
// their contexts are cancelled and Work waits for them to return. Work
// returns nil after a clean stop, or an error if the workers cannot start.
func (q *Queue) Work(ctx context.Context, w Workers) error {
	if w.Long < 0 || w.Short < 0 || w.Long+w.Short == 0 || w.Long > maxWorkers || w.Short > maxWorkers {
		return fmt.Errorf("jobs: work: %d long and %d short workers, want 0 to %d each and at least one in all", w.Long, w.Short, maxWorkers)
	}
	if len(q.kinds) == 0 {
		return errors.New("jobs: work: no kinds to run")
	}
	lv, err := q.newLiveness(w)
	if err != nil {
		return err
	}
	client, err := q.workClient(lv.id, w, lv)
	if err != nil {
		return err
	}
	// The row exists before the first job is taken, so a job never names a
	// process that has no heartbeat.
	if err := lv.register(ctx); err != nil {
		return err
	}
	// River cancels running jobs at once when Start's context ends; the
	// graceful stop below needs that context to outlive ctx.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		lv.deregister(context.WithoutCancel(ctx), client)
		return fmt.Errorf("jobs: start workers: %w", err)
	}
	q.log.Info("jobs: workers started", "worker", lv.id, "long", w.Long, "short", w.Short, "db", q.db.String())

	// The heartbeat outlives ctx until River has stopped: jobs still finish
	// during the grace period, and their process must not look dead.
	liveCtx, stopLiveness := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { lv.beatLoop(liveCtx) })
	wg.Go(func() { q.takeoverLoop(liveCtx, lv, client) })
	<-ctx.Done()

	err = q.stop(ctx, client)
	stopLiveness()
	wg.Wait()
	lv.deregister(context.WithoutCancel(ctx), client)
	q.log.Info("jobs: workers stopped", "worker", lv.id)
	return err
}

// stop lets running jobs finish for the shutdown grace, then cancels them
// and waits for their handlers to return.
func (q *Queue) stop(ctx context.Context, client *river.Client[*sql.Tx]) error {
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.opts.ShutdownGrace)
	defer cancel()
	if err := client.Stop(graceCtx); err == nil {
		return nil
	}
	q.log.Warn("jobs: running jobs outlived the shutdown grace; cancelling them", "grace", q.opts.ShutdownGrace)
	// Handlers must return once their context ends; StopAndCancel waits for them.
	if err := client.StopAndCancel(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: stop workers: %w", err)
	}
	return nil
}

// workClient returns a River client with id that runs every kind, with w's
// slots on each queue; lv (nil only for the check in Open) gives running
// jobs the process's lease on liveness.
func (q *Queue) workClient(id string, w Workers, lv *liveness) (*river.Client[*sql.Tx], error) {
	cfg := q.riverConfig()
	cfg.ID = id
	cfg.Queues = map[string]river.QueueConfig{}
	if w.Long > 0 {
		cfg.Queues[QueueLong] = river.QueueConfig{MaxWorkers: w.Long}
	}
	if w.Short > 0 {
		cfg.Queues[QueueShort] = river.QueueConfig{MaxWorkers: w.Short,
			FetchPollInterval: q.opts.ShortPollInterval, FetchCooldown: min(q.opts.ShortPollInterval, river.FetchCooldownDefault)}
	}
	cfg.Workers = river.NewWorkers()
	for _, k := range q.kinds {
		if err := addWorker(cfg.Workers, &kindWorker{kind: k, backoff: q.backoff(k), margin: q.opts.RescueMargin, lv: lv}); err != nil {
			return nil, fmt.Errorf("jobs: kind %s: %w", k.Name, err)
		}
		if k.Every > 0 {
			cfg.PeriodicJobs = append(cfg.PeriodicJobs, periodicJob(k))
		}
	}
	client, err := river.NewClient(newFencedDriver(q.db, q.pool, q.log, q.opts.onFenced), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: create river client: %w", err)
	}
	return client, nil
}

// periodicJob has the leader enqueue one job of k per k.Every. A new leader
// enqueues at once, and the unique period key makes that a no-op when the
// old leader already enqueued this period's job.
func periodicJob(k Kind) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(k.Every), func() (river.JobArgs, *river.InsertOpts) {
		return rawArgs{kind: k.Name, json: []byte("{}")}, &river.InsertOpts{
			Queue:       k.Queue,
			MaxAttempts: k.MaxAttempts,
			UniqueOpts:  river.UniqueOpts{ByPeriod: k.Every},
		}
	}, &river.PeriodicJobOpts{ID: k.Name, RunOnStart: true})
}

// riverConfig is the client configuration shared by the insert-only client
// and the working ones.
func (q *Queue) riverConfig() *river.Config {
	cfg := &river.Config{
		Logger:            q.log,
		FetchPollInterval: q.opts.PollInterval,
		// Each kind's worker reports Timeout+RescueMargin, which River uses
		// both as the attempt's hard deadline and as the age at which its
		// rescuer retries a job whose handler ignores its context. These
		// client-wide values are only the floor under those.
		JobTimeout:           q.rescue,
		RescueStuckJobsAfter: q.rescue,
		MaxAttempts:          defaultMaxAttempts,
		TestOnly:             q.opts.testOnly,
		// Enqueue checks kinds against q.kinds; the insert-only client has no workers.
		SkipUnknownJobCheck: true,
		// A process leaves alone the jobs of kinds it was not given, rather
		// than failing their attempts.
		FetchOnlyKnownKinds: true,
	}
	if q.opts.PollInterval < river.FetchCooldownDefault {
		cfg.FetchCooldown = q.opts.PollInterval
	}
	return cfg
}
