package engagement

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/internal/keyset"
	"github.com/reelmart/reelmart/platform/db"
)

// Comment limits and page sizes.
const (
	MaxCommentRunes        = 1000
	DefaultCommentPageSize = 20
	MaxCommentPageSize     = 100
)

// Comment is a comment as a viewer sees it. ParentID is nil for a comment
// on the video and names the top-level comment a reply belongs to.
// ReplyCount counts the replies the viewer can see (0 for a reply);
// CanDelete says the viewer wrote it or made the video.
type Comment struct {
	ID         string    `json:"id"`
	VideoID    string    `json:"video_id"`
	ParentID   *string   `json:"parent_id"`
	Author     Author    `json:"author"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
	ReplyCount int64     `json:"reply_count"`
	CanDelete  bool      `json:"can_delete"`
}

// Author is the public face of a comment's author.
type Author struct {
	ID          string  `json:"id"`
	Handle      string  `json:"handle"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
}

// NewComment is the input of PostComment.
type NewComment struct {
	Body     string  `json:"body"`
	ParentID *string `json:"parent_id"`
}

// CommentPage is one page of comments; NextCursor is empty on the last page.
type CommentPage struct {
	Items      []Comment
	NextCursor string
}

// PostComment adds userID's comment to videoID, or a reply when
// in.ParentID names a comment on it; a reply to a reply is attached to the
// top-level comment it belongs to. The body is stored as given.
//
// It returns ErrVideoNotFound for a video that is missing, not ready or
// hidden from the user; a validation error naming body (empty, only white
// space, over MaxCommentRunes) or parent_id (not a comment on this video
// that the user can see); and too_many_comments over Config.CommentsPerMin.
func (s *Service) PostComment(ctx context.Context, userID, videoID string, in NewComment) (Comment, error) {
	if _, err := s.watchable(ctx, userID, videoID); err != nil {
		return Comment{}, err
	}
	if n := utf8.RuneCountInString(in.Body); n == 0 || n > MaxCommentRunes || strings.TrimFunc(in.Body, unicode.IsSpace) == "" {
		return Comment{}, reelmart.Invalid([]reelmart.FieldError{{Field: "body", Message: "must be 1 to 1000 characters, not only white space"}})
	}
	c := Comment{ID: reelmart.NewID(), VideoID: videoID, Body: in.Body, CanDelete: true}
	if in.ParentID != nil && *in.ParentID != "" {
		top, err := s.threadOf(ctx, userID, videoID, *in.ParentID)
		if err != nil {
			return Comment{}, err
		}
		c.ParentID = &top
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		c.CreatedAt = now
		if err := s.charge(ctx, tx, now, 1, s.cfg.CommentsPerMin, "comment:"+userID); err != nil {
			if e := reelmart.AsError(err); e != nil {
				return rateLimited("too_many_comments", "comments", e.RetryAfter)
			}
			return err
		}
		if c.ParentID != nil {
			if ok, err := lockThread(ctx, tx, *c.ParentID); err != nil || !ok {
				return cmp.Or(err, errNotOnVideo)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO comments (id, video_id, author_id, parent_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			c.ID, videoID, userID, c.ParentID, c.Body, now)
		if err != nil {
			return fmt.Errorf("engagement: store comment: %w", err)
		}
		if err := countAction(ctx, tx, userID, videoID, typeComment, "comments", 1, now); err != nil {
			return err
		}
		var avatarID string
		err = tx.QueryRowContext(ctx, `SELECT id, handle, display_name, COALESCE(avatar_id, '') FROM users WHERE id = $1`, userID).
			Scan(&c.Author.ID, &c.Author.Handle, &c.Author.DisplayName, &avatarID)
		c.Author.AvatarURL = s.avatarURL(c.Author.ID, avatarID)
		return err
	})
	if err != nil {
		return Comment{}, err
	}
	return c, nil
}

var errNotOnVideo = reelmart.Invalid([]reelmart.FieldError{{Field: "parent_id", Message: "is not a comment on this video"}})

// threadOf returns the top-level comment that a reply to parentID belongs
// to, or a validation error on parent_id when parentID is not a comment on
// videoID that viewerID can see.
func (s *Service) threadOf(ctx context.Context, viewerID, videoID, parentID string) (string, error) {
	var onVideo, author string
	var top sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT video_id, author_id, parent_id FROM comments WHERE id = $1`, parentID).Scan(&onVideo, &author, &top)
	if errors.Is(err, db.ErrNoRows) {
		return "", errNotOnVideo
	}
	if err != nil {
		return "", fmt.Errorf("engagement: load comment %s: %w", parentID, err)
	}
	hidden, err := s.hidden(ctx, viewerID)
	if err != nil {
		return "", err
	}
	if onVideo != videoID || slices.Contains(hidden, author) {
		return "", errNotOnVideo
	}
	if top.Valid {
		return top.String, nil
	}
	return parentID, nil
}

// Comments lists the comments on videoID newest first as viewerID ("" for
// anonymous) sees them: top-level ones, or the replies to parentID. Comments
// by users hidden from the viewer are left out. cursor is "" or a
// NextCursor of the previous page; limit is clamped to 1..MaxCommentPageSize
// (DefaultCommentPageSize when 0).
//
// It returns ErrVideoNotFound as PostComment does, ErrCommentNotFound for a
// parentID that is not a visible top-level comment of the video, and
// ErrBadCursor for a cursor it did not make.
func (s *Service) Comments(ctx context.Context, viewerID, videoID, parentID, cursor string, limit int) (CommentPage, error) {
	v, err := s.watchable(ctx, viewerID, videoID)
	if err != nil {
		return CommentPage{}, err
	}
	if limit <= 0 {
		limit = DefaultCommentPageSize
	}
	limit = min(limit, MaxCommentPageSize)
	hidden, err := s.hidden(ctx, viewerID)
	if err != nil {
		return CommentPage{}, err
	}
	args := []any{videoID}
	notHidden := func(alias string) string {
		if len(hidden) == 0 {
			return ""
		}
		in, more := inList(hidden, len(args)+1)
		args = append(args, more...)
		return ` AND ` + alias + `.author_id NOT IN (` + in + `)`
	}
	replies := `(SELECT COUNT(*) FROM comments r WHERE r.video_id = c.video_id AND r.parent_id = c.id` + notHidden("r") + `)`
	q := `SELECT c.id, c.parent_id, c.body, c.created_at, u.id, u.handle, u.display_name, COALESCE(u.avatar_id, ''), ` + replies + `
		FROM comments c JOIN users u ON u.id = c.author_id WHERE c.video_id = $1` + notHidden("c")
	if parentID == "" {
		q += ` AND c.parent_id IS NULL`
	} else {
		if err := s.checkThread(ctx, videoID, parentID, hidden); err != nil {
			return CommentPage{}, err
		}
		args = append(args, parentID)
		q += ` AND c.parent_id = $` + strconv.Itoa(len(args))
	}
	if cursor != "" {
		at, id, err := keyset.Decode(cursor)
		if err != nil {
			return CommentPage{}, ErrBadCursor
		}
		args = append(args, at, id)
		n := len(args)
		q += fmt.Sprintf(` AND (c.created_at < $%d OR (c.created_at = $%d AND c.id < $%d))`, n-1, n-1, n)
	}
	q += fmt.Sprintf(` ORDER BY c.created_at DESC, c.id DESC LIMIT %d`, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return CommentPage{}, fmt.Errorf("engagement: list comments: %w", err)
	}
	defer rows.Close()
	page := CommentPage{Items: []Comment{}}
	for rows.Next() {
		c := Comment{VideoID: videoID}
		var parent sql.NullString
		var avatarID string
		if err := rows.Scan(&c.ID, &parent, &c.Body, &c.CreatedAt, &c.Author.ID, &c.Author.Handle, &c.Author.DisplayName, &avatarID, &c.ReplyCount); err != nil {
			return CommentPage{}, fmt.Errorf("engagement: scan comment: %w", err)
		}
		if parent.Valid {
			c.ParentID = &parent.String
		}
		c.CreatedAt = c.CreatedAt.UTC()
		c.Author.AvatarURL = s.avatarURL(c.Author.ID, avatarID)
		c.CanDelete = viewerID != "" && (viewerID == c.Author.ID || viewerID == v.creatorID)
		page.Items = append(page.Items, c)
	}
	if err := rows.Err(); err != nil {
		return CommentPage{}, fmt.Errorf("engagement: list comments: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = keyset.Encode(last.CreatedAt, last.ID)
	}
	return page, nil
}

// checkThread returns ErrCommentNotFound unless parentID is a top-level
// comment on videoID by someone not hidden.
func (s *Service) checkThread(ctx context.Context, videoID, parentID string, hidden []string) error {
	var author string
	err := s.db.QueryRowContext(ctx, `SELECT author_id FROM comments WHERE id = $1 AND video_id = $2 AND parent_id IS NULL`, parentID, videoID).Scan(&author)
	if errors.Is(err, db.ErrNoRows) || (err == nil && slices.Contains(hidden, author)) {
		return ErrCommentNotFound
	}
	if err != nil {
		return fmt.Errorf("engagement: load comment %s: %w", parentID, err)
	}
	return nil
}

// DeleteComment deletes commentID and its replies. Its author and the
// creator of its video may; others get ErrNotCommentOwner. A missing
// comment is ErrCommentNotFound.
func (s *Service) DeleteComment(ctx context.Context, userID, commentID string) error {
	var videoID, author, creator string
	err := s.db.QueryRowContext(ctx, `SELECT c.video_id, c.author_id, v.creator_id FROM comments c JOIN videos v ON v.id = c.video_id
		WHERE c.id = $1`, commentID).Scan(&videoID, &author, &creator)
	if errors.Is(err, db.ErrNoRows) {
		return ErrCommentNotFound
	}
	if err != nil {
		return fmt.Errorf("engagement: load comment %s: %w", commentID, err)
	}
	if userID != author && userID != creator {
		return ErrNotCommentOwner
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ok, err := lockThread(ctx, tx, commentID)
		if err != nil || !ok {
			return err // !ok: deleted by someone else meanwhile
		}
		var n int64
		for _, q := range []string{`DELETE FROM comments WHERE parent_id = $1`, `DELETE FROM comments WHERE id = $1`} {
			res, err := tx.ExecContext(ctx, q, commentID)
			if err != nil {
				return fmt.Errorf("engagement: delete comment %s: %w", commentID, err)
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return countAction(ctx, tx, userID, videoID, typeUncomment, "comments", -n, s.now())
	})
}

// lockThread locks the row of comment id until tx ends and reports whether
// it still exists. Posting a reply and deleting a thread both take it
// first, so a reply can never be added to a thread that is being deleted
// (and slip past its count).
func lockThread(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE comments SET body = body WHERE id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("engagement: lock comment %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
