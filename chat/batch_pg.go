package chat

import (
	"context"
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reelmart/reelmart"
)

// Coalescing text sends on PostgreSQL: group commit for messages. A lone
// send is one statement (send_pg.go), and most of its price is fixed: the
// protocol, the snapshot, the executor set-up of ten CTEs, the commit and
// its WAL flush. So text messages that arrive while another send statement
// of their shard is running wait for it and then go together, as one
// statement storing all of them. Nobody waits for a timer: a send that
// finds its shard idle goes at once, and the busier the node the more each
// statement carries.
//
// A batch holds at most one message per thread and one per sender, so each
// thread's seq and each sender's rate window move by one, as in a lone
// send; a member of several threads in the batch gets consecutive inbox
// seqs, one per message. Each message of a batch stands or falls alone:
// one whose sender is not a member, is blocked, has no peer left, reused a
// client_msg_id or is over the rate limit is simply not stored by the
// batch, and its caller sends it again alone, through the path that
// explains the refusal. The same happens to every message of a statement
// that failed, whatever the failure: a text send is idempotent by
// client_msg_id, so a message the failed statement did store is found
// there and answered as a retry (its inbox events are delivered when the
// hub next reconciles).
//
// Requests are sharded by thread, one statement in flight per shard, so
// two statements of one node never compete for a thread's row.

const (
	// sendShards is how many send statements one node runs at once.
	sendShards = 2
	// maxSendBatch bounds the messages of one statement.
	maxSendBatch = 128
	// sendBatchTimeout bounds one statement, which no request's context
	// can cancel.
	sendBatchTimeout = 30 * time.Second
)

// sendReq is one text message waiting for a batch.
type sendReq struct {
	m   Message // ID, ThreadID, SenderID, Body, ClientMsgID set by the caller
	via string  // the transport, for the metrics
	// state is reqQueued until a batch takes the request (reqTaken) or its
	// caller gives up first (reqAbandoned); only one of them happens.
	state atomic.Int32
	done  chan sendResult
}

const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

// sendResult is what a batch did with one request: stored it (stored is
// set) or left it for its caller to send alone.
type sendResult struct {
	stored  *Message
	notices []notice
}

type sendShard struct {
	mu    sync.Mutex
	queue []*sendReq
	busy  bool // a goroutine is draining queue
}

type sendBatcher struct {
	s      *Service
	seed   maphash.Seed
	shards [sendShards]sendShard
	// statements run and the messages they stored, for the metrics
	statements, stored atomic.Int64
}

func newSendBatcher(s *Service) *sendBatcher {
	return &sendBatcher{s: s, seed: maphash.MakeSeed()}
}

// send queues a text message for the next batch of its thread's shard and
// waits for it; a message the batch stored is counted and announced by the
// batch. ok is false when the batch did not store it: the caller
// sends it alone. err is ctx's when ctx ended while the request was still
// queued (then nothing was stored). A request a batch has taken is waited
// for regardless of ctx, so its caller learns what became of it.
func (b *sendBatcher) send(ctx context.Context, m Message, via string) (Message, bool, error) {
	r := &sendReq{m: m, via: via, done: make(chan sendResult, 1)}
	sh := &b.shards[maphash.String(b.seed, m.ThreadID)%sendShards]
	sh.mu.Lock()
	sh.queue = append(sh.queue, r)
	start := !sh.busy
	sh.busy = true
	sh.mu.Unlock()
	if start && b.next(sh) {
		go b.drain(sh) // what queued while this request ran its batch
	}
	var res sendResult
	select {
	case res = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return Message{}, false, ctx.Err()
		}
		res = <-r.done
	}
	if res.stored == nil {
		return Message{}, false, nil
	}
	return *res.stored, true, nil
}

// drain runs the shard's queue, a batch at a time, until it is empty.
func (b *sendBatcher) drain(sh *sendShard) {
	for b.next(sh) {
	}
}

// next runs the next batch of the shard's queue (at most one message per
// thread and per sender, oldest first; the rest keep their places) and
// reports whether more requests are waiting; when none are, the shard is
// idle again.
func (b *sendBatcher) next(sh *sendShard) bool {
	sh.mu.Lock()
	threads := make(map[string]bool, min(len(sh.queue), maxSendBatch))
	senders := make(map[string]bool, min(len(sh.queue), maxSendBatch))
	var batch []*sendReq
	rest := sh.queue[:0]
	for _, r := range sh.queue {
		if len(batch) == maxSendBatch || threads[r.m.ThreadID] || senders[r.m.SenderID] {
			rest = append(rest, r)
			continue
		}
		if r.state.CompareAndSwap(reqQueued, reqTaken) {
			threads[r.m.ThreadID], senders[r.m.SenderID] = true, true
			batch = append(batch, r)
		}
	}
	clear(sh.queue[len(rest):])
	sh.queue = rest
	sh.mu.Unlock()
	if len(batch) > 0 {
		b.run(batch)
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.queue) == 0 {
		sh.busy = false
		return false
	}
	return true
}

// run stores one batch and answers every request in it.
func (b *sendBatcher) run(batch []*sendReq) {
	var stored map[string]sendResult
	defer func() {
		// Whatever happened, every request gets an answer; one the batch
		// did not store is sent alone, where a message a failed statement
		// did store is found by its client_msg_id.
		if p := recover(); p != nil {
			b.s.log.Error("chat: batch send panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			stored = nil
		}
		for _, r := range batch {
			r.done <- stored[r.m.ID]
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), sendBatchTimeout)
	defer cancel()
	b.statements.Add(1)
	got, err := b.s.sendBatch(ctx, batch)
	if err != nil {
		b.s.log.Warn("chat: batch send failed; its messages are sent one by one", "messages", len(batch), "err", err)
		return
	}
	b.stored.Add(int64(len(got)))
	stored = got
	// Announced here, in batch order, rather than by each caller: a member
	// of several threads of the batch has consecutive inbox seqs, and this
	// node's hub hands a socket an event without a read only when the one
	// before it was handed first.
	for _, r := range batch {
		if res, ok := got[r.m.ID]; ok {
			b.s.metrics.sent.WithLabelValues(r.via).Inc()
			b.s.announce(ctx, res.notices, messageEvent(*res.stored))
		}
	}
}

// sendBatchSQL stores text messages in one statement: the parts of
// sendTextSQL over a relation of messages, q. The messages come as one
// array per column, so the statement's text is the same for every batch
// size, and each connection prepares and plans it once. A message that fails a check is
// left out rather than aborting the statement. Each kind of row (send
// windows, threads, inbox heads) is locked in key order, so two batches,
// on one node or two, rarely wait on each other in a cycle; when they do,
// PostgreSQL fails one with a deadlock error and its messages go alone.
//
// $1 now, $2 start of the rate window, $3 send limit; $4 … $8 the
// messages' thread ids, sender ids, client_msg_ids, ids and bodies.
const sendBatchSQL = `WITH q AS (
	SELECT * FROM unnest(CAST($4 AS TEXT[]), CAST($5 AS TEXT[]), CAST($6 AS TEXT[]), CAST($7 AS TEXT[]), CAST($8 AS TEXT[]))
		WITH ORDINALITY AS q (thread_id, sender_id, client_msg_id, id, body, ord)
), cand AS (
	SELECT q.ord, q.thread_id, q.sender_id, q.client_msg_id, q.id, q.body,
		CASE WHEN t.kind = 'shop' AND m.side = 'b' THEN t.shop_id END AS shop_id
	FROM q JOIN chat_members m ON m.thread_id = q.thread_id AND m.user_id = q.sender_id
	JOIN chat_threads t ON t.id = q.thread_id
	WHERE EXISTS (SELECT 1 FROM chat_members o WHERE o.thread_id = q.thread_id AND o.side <> m.side)
	AND NOT EXISTS (SELECT 1 FROM chat_members o JOIN user_blocks b
		ON (b.blocker_id = o.user_id AND b.blocked_id = m.user_id) OR (b.blocker_id = m.user_id AND b.blocked_id = o.user_id)
		WHERE o.thread_id = q.thread_id AND o.side <> m.side)
	AND NOT EXISTS (SELECT 1 FROM chat_messages p
		WHERE p.thread_id = q.thread_id AND p.sender_id = q.sender_id AND p.client_msg_id = q.client_msg_id)
), w AS (
	INSERT INTO chat_send_windows AS x (user_id, window_start, sent)
	SELECT sender_id, $1, 1 FROM cand ORDER BY sender_id
	ON CONFLICT (user_id) DO UPDATE SET
		sent = CASE WHEN x.window_start <= $2 THEN 1 ELSE x.sent + 1 END,
		window_start = CASE WHEN x.window_start <= $2 THEN $1 ELSE x.window_start END
	WHERE x.window_start <= $2 OR x.sent < $3
	RETURNING user_id
), ok AS (
	SELECT cand.* FROM cand JOIN w ON w.user_id = cand.sender_id
), lk AS (
	SELECT id FROM chat_threads WHERE id IN (SELECT thread_id FROM ok) ORDER BY id FOR UPDATE
), t AS (
	UPDATE chat_threads AS x SET last_seq = x.last_seq + 1, last_activity_at = $1
	FROM lk WHERE x.id = lk.id RETURNING x.id, x.last_seq
), msg AS (
	INSERT INTO chat_messages (thread_id, seq, id, sender_id, shop_id, kind, body, client_msg_id, created_at)
	SELECT ok.thread_id, t.last_seq, ok.id, ok.sender_id, ok.shop_id, 'text', ok.body, ok.client_msg_id, $1
	FROM ok JOIN t ON t.id = ok.thread_id
	RETURNING thread_id, seq, id, sender_id, shop_id
), tg AS (
	SELECT m.user_id, msg.thread_id, msg.seq, msg.id, msg.sender_id, msg.shop_id,
		row_number() OVER (PARTITION BY m.user_id ORDER BY ok.ord) AS rn,
		count(*) OVER (PARTITION BY m.user_id) AS n
	FROM msg JOIN ok ON ok.id = msg.id JOIN chat_members m ON m.thread_id = msg.thread_id
), h AS (
	INSERT INTO chat_inbox_heads AS x (user_id, last_seq)
	SELECT user_id, count(*) FROM tg GROUP BY user_id ORDER BY user_id
	ON CONFLICT (user_id) DO UPDATE SET last_seq = x.last_seq + excluded.last_seq
	RETURNING user_id, last_seq
), i AS (
	INSERT INTO chat_inbox (user_id, seq, kind, thread_id, ref_seq, actor_id, created_at)
	SELECT tg.user_id, h.last_seq - tg.n + tg.rn, 'message', tg.thread_id, tg.seq, tg.sender_id, $1
	FROM tg JOIN h ON h.user_id = tg.user_id
), r AS (
	UPDATE chat_members AS x SET read_seq = msg.seq FROM msg
	WHERE x.thread_id = msg.thread_id AND x.user_id = msg.sender_id
)
SELECT tg.id, tg.seq, tg.shop_id, tg.user_id, h.last_seq - tg.n + tg.rn FROM tg JOIN h ON h.user_id = tg.user_id`

// sendBatch stores the text messages of batch in one statement and returns,
// by message id, those it stored with their inbox notices. A message
// missing from the result was not stored, and nothing of it was written.
// The batch holds at most one message per thread and per sender.
func (s *Service) sendBatch(ctx context.Context, batch []*sendReq) (map[string]sendResult, error) {
	now := s.now()
	cols := [5][]string{}
	byID := make(map[string]*sendReq, len(batch))
	for _, r := range batch {
		for i, v := range []string{r.m.ThreadID, r.m.SenderID, r.m.ClientMsgID, r.m.ID, *r.m.Body} {
			cols[i] = append(cols[i], v)
		}
		byID[r.m.ID] = r
	}
	res, err := s.db.QueryContext(ctx, sendBatchSQL, now, now.Add(-s.cfg.SendWindow), s.cfg.SendLimit, cols[0], cols[1], cols[2], cols[3], cols[4])
	if err != nil {
		return nil, fmt.Errorf("chat: send batch: %w", err)
	}
	defer res.Close()
	out := make(map[string]sendResult, len(batch))
	for res.Next() {
		var id, userID string
		var seq, inboxSeq int64
		var shopID *string
		if err := res.Scan(&id, &seq, &shopID, &userID, &inboxSeq); err != nil {
			return nil, fmt.Errorf("chat: send batch: %w", err)
		}
		r := byID[id]
		if r == nil {
			return nil, fmt.Errorf("chat: send batch: returned message %s it was not asked for", id)
		}
		got := out[id]
		if got.stored == nil {
			m := r.m
			m.Seq, m.ShopID, m.Kind, m.CreatedAt = seq, shopID, KindText, now
			got.stored = &m
		}
		got.notices = append(got.notices, notice{userID: userID, seq: inboxSeq})
		out[id] = got
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("chat: send batch: %w", err)
	}
	return out, nil
}

// newTextMessage is the message a text send stores, before its seq.
func (s *Service) newTextMessage(userID, threadID string, in MessageInput) Message {
	return Message{ID: reelmart.NewID(), ThreadID: threadID, SenderID: userID, Kind: KindText, Body: in.Body,
		ClientMsgID: in.ClientMsgID, CreatedAt: s.now()}
}
