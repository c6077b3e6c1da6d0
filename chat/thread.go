package chat

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// opening is a thread about to be opened: its identity and its members.
type opening struct {
	pair
	key         string
	userID      string // side a
	peerUserID  string // user threads: side b
	sideB       []string
	callerSide  string
	otherUserID string // whose block of the caller, or by the caller, forbids the thread
}

// Open returns userID's thread with in.Peer, creating it on first use
// (created is then true), and adds a card of in.Context unless the
// thread's last card is already that context. It returns a validation
// error naming each bad field, ErrUserNotFound or ErrShopNotFound for an
// unknown peer, ErrBlocked, or a rate-limit error when the card is one
// message too many.
func (s *Service) Open(ctx context.Context, userID string, in ThreadInput) (Thread, bool, error) {
	if err := in.validate(); err != nil {
		return Thread{}, false, err
	}
	o, err := s.opening(ctx, userID, in)
	if err != nil {
		return Thread{}, false, err
	}
	if blocked, err := s.deps.Blocks.IsBlocked(ctx, userID, o.otherUserID); err != nil {
		return Thread{}, false, err
	} else if blocked {
		return Thread{}, false, ErrBlocked
	}
	var card []byte
	var cardKey string
	if in.Context != nil {
		if card, cardKey, err = s.snapshot(ctx, userID, *in.Context, o.pair, "context.id"); err != nil {
			return Thread{}, false, err
		}
	}
	var id string
	var created bool
	var notices []notice
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		notices = nil
		var err error
		if id, created, err = s.insertThread(ctx, tx, o); err != nil {
			return err
		}
		if created {
			if notices, err = s.appendEvent(ctx, tx, id, EventThread, 0, userID); err != nil {
				return err
			}
		}
		if card == nil {
			return nil
		}
		th, err := s.member(ctx, tx, userID, id)
		if err != nil {
			return err
		}
		if th.lastCard == cardKey {
			return nil
		}
		_, more, err := s.insertMessage(ctx, tx, th, userID, nil, card, cardKey, "ctx-"+reelmart.NewID())
		notices = append(notices, more...)
		return err
	})
	if err != nil {
		return Thread{}, false, err
	}
	s.announce(ctx, notices, nil)
	t, err := s.Thread(ctx, userID, id)
	return t, created, err
}

func (in ThreadInput) validate() error {
	var errs []reelmart.FieldError
	add := func(field, msg string) { errs = append(errs, reelmart.FieldError{Field: field, Message: msg}) }
	if in.Peer.Type != KindUser && in.Peer.Type != KindShop {
		add("peer.type", `must be "user" or "shop"`)
	}
	if in.Peer.ID == "" {
		add("peer.id", "is required")
	}
	if c := in.Context; c != nil {
		if c.Type != CardProduct && c.Type != CardOrder && c.Type != CardVideo {
			add("context.type", `must be "product", "order" or "video"`)
		}
		if c.ID == "" {
			add("context.id", "is required")
		}
	}
	return reelmart.Invalid(errs)
}

// opening works out which thread userID means: with a user, with a shop,
// or — for the owner of an order's shop naming its buyer with the order as
// context — that shop's thread with the buyer.
func (s *Service) opening(ctx context.Context, userID string, in ThreadInput) (opening, error) {
	peerIs := func(msg string) error {
		return reelmart.Invalid([]reelmart.FieldError{{Field: "peer.id", Message: msg}})
	}
	if in.Peer.Type == KindShop {
		sh, err := s.deps.Shops.Shop(ctx, in.Peer.ID)
		if err != nil {
			return opening{}, err
		}
		if sh.OwnerID == userID {
			return opening{}, peerIs("is your own shop")
		}
		return opening{pair: pair{kind: KindShop, shopID: sh.ID, buyerID: userID}, key: "s:" + sh.ID + ":" + userID,
			userID: userID, sideB: []string{sh.OwnerID}, callerSide: "a", otherUserID: sh.OwnerID}, nil
	}
	if in.Peer.ID == userID {
		return opening{}, peerIs("is you")
	}
	var exists int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, in.Peer.ID).Scan(&exists); err != nil {
		return opening{}, fmt.Errorf("chat: look up peer: %w", err)
	} else if exists == 0 {
		return opening{}, ErrUserNotFound
	}
	if c := in.Context; c != nil && c.Type == CardOrder {
		if o, err := s.deps.Orders.Order(ctx, userID, c.ID); err == nil && o.BuyerID == in.Peer.ID {
			if sh, err := s.deps.Shops.Shop(ctx, o.ShopID); err == nil && sh.OwnerID == userID {
				return opening{pair: pair{kind: KindShop, shopID: sh.ID, buyerID: o.BuyerID}, key: "s:" + sh.ID + ":" + o.BuyerID,
					userID: o.BuyerID, sideB: []string{userID}, callerSide: "b", otherUserID: o.BuyerID}, nil
			}
		}
	}
	a, b := userID, in.Peer.ID
	if b < a {
		a, b = b, a
	}
	return opening{pair: pair{kind: KindUser}, key: "u:" + a + ":" + b, userID: a, peerUserID: b,
		sideB: []string{b}, otherUserID: in.Peer.ID}, nil
}

// insertThread creates o's thread and its members, or finds the one that
// exists. A concurrent first open of the same pair makes one thread: the
// unique pair_key lets one insert through.
func (s *Service) insertThread(ctx context.Context, tx *sql.Tx, o opening) (string, bool, error) {
	now := s.now()
	id := reelmart.NewID()
	var peer, shop any
	if o.peerUserID != "" {
		peer = o.peerUserID
	}
	if o.shopID != "" {
		shop = o.shopID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO chat_threads (id, pair_key, kind, user_id, peer_user_id, shop_id, created_at, last_activity_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (pair_key) DO NOTHING`, id, o.key, o.kind, o.userID, peer, shop, now)
	if err != nil {
		return "", false, fmt.Errorf("chat: insert thread: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM chat_threads WHERE pair_key = $1`, o.key).Scan(&id); err != nil {
			return "", false, fmt.Errorf("chat: find thread: %w", err)
		}
		return id, false, nil
	}
	add := func(userID, side string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO chat_members (thread_id, user_id, side, joined_at) VALUES ($1, $2, $3, $4)`, id, userID, side, now)
		if err != nil {
			return fmt.Errorf("chat: insert member: %w", err)
		}
		return nil
	}
	if err := add(o.userID, "a"); err != nil {
		return "", false, err
	}
	for _, u := range o.sideB {
		if err := add(u, "b"); err != nil {
			return "", false, err
		}
	}
	return id, true, nil
}

// membership is what a member's request needs to know about a thread.
type membership struct {
	pair
	id       string
	side     string
	lastSeq  int64
	lastCard string
	blocked  bool // a member of the other side has blocked this one, or been blocked by them
	others   int  // members on the other side (0: they deleted their accounts)
}

// member returns userID's view of threadID for writing, or ErrThreadNotFound
// when the thread does not exist or userID is not in it. Blocks are read
// here, in the one query the send path makes before its transaction.
func (s *Service) member(ctx context.Context, q db.Querier, userID, threadID string) (membership, error) {
	m := membership{id: threadID}
	err := q.QueryRowContext(ctx, `SELECT t.kind, COALESCE(t.shop_id, ''), t.user_id, t.last_seq, t.last_card, m.side,
		EXISTS (SELECT 1 FROM chat_members o JOIN user_blocks b
			ON (b.blocker_id = o.user_id AND b.blocked_id = m.user_id) OR (b.blocker_id = m.user_id AND b.blocked_id = o.user_id)
			WHERE o.thread_id = t.id AND o.side <> m.side),
		(SELECT COUNT(*) FROM chat_members o WHERE o.thread_id = t.id AND o.side <> m.side)
		FROM chat_members m JOIN chat_threads t ON t.id = m.thread_id WHERE m.thread_id = $1 AND m.user_id = $2`, threadID, userID).
		Scan(&m.kind, &m.shopID, &m.buyerID, &m.lastSeq, &m.lastCard, &m.side, &m.blocked, &m.others)
	if errors.Is(err, db.ErrNoRows) {
		return membership{}, ErrThreadNotFound
	}
	if err != nil {
		return membership{}, fmt.Errorf("chat: load membership: %w", err)
	}
	if m.kind != KindShop {
		m.buyerID = ""
	}
	return m, nil
}

// threadColumns and threadFrom select threads as member m sees them: peer
// user pu (the other user, or the buyer for a shop's member), shop sh, and
// the last message lm.
const threadColumns = `t.id, t.kind, t.user_id, COALESCE(t.peer_user_id, ''), COALESCE(t.shop_id, ''), t.last_seq,
	t.created_at, t.last_activity_at, m.side, m.read_seq,
	COALESCE((SELECT MAX(o.read_seq) FROM chat_members o WHERE o.thread_id = t.id AND o.side <> m.side), 0),
	pu.handle, pu.display_name, COALESCE(pu.avatar_id, ''), sh.name, ` + lastMessageColumns

const lastMessageColumns = `lm.id, lm.thread_id, lm.seq, lm.sender_id, lm.shop_id, lm.kind, lm.body, lm.card, lm.client_msg_id, lm.created_at`

const threadFrom = ` FROM chat_members m JOIN chat_threads t ON t.id = m.thread_id
	LEFT JOIN users pu ON pu.id = CASE WHEN t.kind = 'user' AND m.user_id = t.user_id THEN t.peer_user_id
		WHEN t.kind = 'user' OR m.side = 'b' THEN t.user_id END
	LEFT JOIN shops sh ON sh.id = t.shop_id
	LEFT JOIN chat_messages lm ON lm.thread_id = t.id AND lm.seq = t.last_seq`

func (s *Service) scanThread(row scanner, viewerID string) (Thread, error) {
	var t Thread
	var userID, peerUserID, shopID, side, avatarID string
	var handle, displayName, shopName sql.NullString
	var lm nullableMessage
	dest := []any{&t.ID, &t.Kind, &userID, &peerUserID, &shopID, &t.LastSeq, &t.CreatedAt, &t.LastActivityAt, &side, &t.ReadSeq,
		&t.PeerReadSeq, &handle, &displayName, &avatarID, &shopName}
	if err := row.Scan(append(dest, lm.targets()...)...); err != nil {
		return Thread{}, err
	}
	t.CreatedAt, t.LastActivityAt = t.CreatedAt.UTC(), t.LastActivityAt.UTC()
	t.UnreadCount = max(0, t.LastSeq-t.ReadSeq)
	t.LastMessage = lm.message()
	if shopID != "" {
		t.ShopID = &shopID
	}
	switch {
	case t.Kind == KindShop && side == "a":
		t.Peer = Peer{Type: KindShop, ID: shopID, Name: shopName.String, Deleted: !shopName.Valid}
		if t.Peer.Deleted {
			t.Peer.Name = "Deleted shop"
		}
	default:
		t.Peer = Peer{Type: KindUser, ID: userID, Handle: handle.String, Name: displayName.String, Deleted: !displayName.Valid}
		if t.Kind == KindUser && userID == viewerID {
			t.Peer.ID = peerUserID
		}
		if t.Peer.Deleted {
			t.Peer.Name, t.Peer.Handle = "Deleted account", ""
		} else if s.deps.AvatarURL != nil {
			t.Peer.AvatarURL = s.deps.AvatarURL(t.Peer.ID, avatarID)
		}
	}
	return t, nil
}

// Thread returns threadID as userID sees it, or ErrThreadNotFound when it
// does not exist or userID is not a member.
func (s *Service) Thread(ctx context.Context, userID, threadID string) (Thread, error) {
	t, err := s.scanThread(s.db.QueryRowContext(ctx, `SELECT `+threadColumns+threadFrom+` WHERE m.user_id = $1 AND m.thread_id = $2`, userID, threadID), userID)
	if errors.Is(err, db.ErrNoRows) {
		return Thread{}, ErrThreadNotFound
	}
	if err != nil {
		return Thread{}, fmt.Errorf("chat: load thread: %w", err)
	}
	return t, nil
}

// Threads lists userID's threads by last activity, newest first, after
// cursor ("" for the first page). limit is clamped to 1..MaxThreadLimit.
// A cursor this list did not make is a validation error.
func (s *Service) Threads(ctx context.Context, userID, cursor string, limit int) (Page[Thread], error) {
	if limit <= 0 {
		limit = DefaultThreadLimit
	}
	limit = min(limit, MaxThreadLimit)
	q := `SELECT ` + threadColumns + threadFrom + ` WHERE m.user_id = $1`
	args := []any{userID}
	if cursor != "" {
		at, id, ok := decodeThreadCursor(cursor)
		if !ok {
			return Page[Thread]{}, reelmart.Invalid([]reelmart.FieldError{{Field: "cursor", Message: "is not a cursor from this list"}})
		}
		q += ` AND (t.last_activity_at < $2 OR (t.last_activity_at = $2 AND t.id < $3))`
		args = append(args, at, id)
	}
	q += ` ORDER BY t.last_activity_at DESC, t.id DESC LIMIT ` + strconv.Itoa(limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Page[Thread]{}, fmt.Errorf("chat: list threads: %w", err)
	}
	defer rows.Close()
	page := Page[Thread]{Items: []Thread{}}
	for rows.Next() {
		t, err := s.scanThread(rows, userID)
		if err != nil {
			return Page[Thread]{}, fmt.Errorf("chat: scan thread: %w", err)
		}
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return Page[Thread]{}, fmt.Errorf("chat: list threads: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeThreadCursor(last.LastActivityAt, last.ID)
	}
	return page, nil
}

func encodeThreadCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + id))
}

func decodeThreadCursor(c string) (time.Time, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	us, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 {
		return time.Time{}, "", false
	}
	return time.UnixMicro(n).UTC(), id, true
}
