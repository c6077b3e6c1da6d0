package engagement_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestLikesAreIdempotentPerUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		creator, fan, other := e.user("maker"), e.user("fan"), e.user("other")
		v := e.video(creator, "ready", 10_000, "cooking")
		for range 2 {
			if st, err := e.svc.Like(ctx, fan, v); err != nil || !st.Liked || st.Likes != 1 {
				t.Fatalf("like = %+v, %v", st, err)
			}
		}
		if st, _ := e.svc.Like(ctx, other, v); st.Likes != 2 {
			t.Fatalf("second fan: %+v", st)
		}
		for range 2 {
			if st, err := e.svc.Unlike(ctx, fan, v); err != nil || st.Liked || st.Likes != 1 {
				t.Fatalf("unlike = %+v, %v", st, err)
			}
		}
		liked, _ := e.svc.Liked(ctx, other, []string{v})
		if !liked[v] {
			t.Fatal("other's like is gone")
		}
		if _, err := e.svc.Like(ctx, fan, "missing"); code(err) != "video_not_found" {
			t.Fatalf("like a missing video: %v", err)
		}
		// The like taught the fan and reached the index with the next batch.
		e.aggregate()
		if p, _ := e.svc.Profile(ctx, other); len(p.Hashtags) != 1 || p.Hashtags[0].Weight != 3 {
			t.Fatalf("profile after a like: %+v", p)
		}
		if e.reindexed()[v] != 1 {
			t.Fatalf("re-indexed %d times", e.reindexed()[v])
		}
		an, _ := e.svc.VideoAnalytics(ctx, creator, v, "", "")
		if day := an.Days[len(an.Days)-1]; day.Likes != 1 || an.Totals.Likes != 1 {
			t.Fatalf("analytics likes: %+v, %+v", day, an.Totals)
		}
	})
}

// blocks hides the users of pairs from each other.
type blocks [][2]string

func (b blocks) Hidden(_ context.Context, viewer string) ([]string, error) {
	var out []string
	for _, p := range b {
		if p[0] == viewer {
			out = append(out, p[1])
		}
		if p[1] == viewer {
			out = append(out, p[0])
		}
	}
	return out, nil
}

func TestCommentsThreadsPagingAndDeletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{CommentsPerMin: 100})
		creator, ana, bo, troll := e.user("maker"), e.user("ana"), e.user("bo"), e.user("troll")
		avatar := func(userID, avatarID string) *string { u := "/avatars/" + userID + "/" + avatarID; return &u }
		svc, err := engagement.NewService(engagement.Deps{DB: d, Now: e.clock.now, Blocks: blocks{{ana, troll}}, AvatarURL: avatar},
			engagement.Config{CommentsPerMin: 100})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(`UPDATE users SET avatar_id = 'a1' WHERE id = $1`, ana); err != nil {
			t.Fatal(err)
		}
		v := e.video(creator, "ready", 10_000)
		post := func(user, body string, parent *string) engagement.Comment {
			t.Helper()
			e.clock.add(time.Second)
			c, err := svc.PostComment(ctx, user, v, engagement.NewComment{Body: body, ParentID: parent})
			if err != nil {
				t.Fatalf("comment %q: %v", body, err)
			}
			return c
		}
		first := post(ana, "  first, with spaces kept  ", nil)
		reply := post(bo, "a reply", &first.ID)
		nested := post(ana, "a reply to the reply", &reply.ID)
		if first.Body != "  first, with spaces kept  " || reply.ParentID == nil || *reply.ParentID != first.ID || *nested.ParentID != first.ID {
			t.Fatalf("threads: %+v %+v %+v", first, reply, nested)
		}
		if first.Author.AvatarURL == nil || *first.Author.AvatarURL != "/avatars/"+ana+"/a1" || reply.Author.AvatarURL != nil {
			t.Fatalf("authors' avatars: ana %v, bo %v", first.Author.AvatarURL, reply.Author.AvatarURL)
		}
		post(troll, "spam", nil)
		long := strings.Repeat("🙂", engagement.MaxCommentRunes)
		post(bo, long, nil)
		for _, bad := range []string{"", " \n\t", long + "x"} {
			if _, err := svc.PostComment(ctx, bo, v, engagement.NewComment{Body: bad}); code(err) != "validation_failed" {
				t.Errorf("body %d runes: %v", len([]rune(bad)), err)
			}
		}
		elsewhere := e.video(creator, "ready", 10_000)
		if _, err := svc.PostComment(ctx, bo, elsewhere, engagement.NewComment{Body: "x", ParentID: &first.ID}); code(err) != "validation_failed" {
			t.Errorf("reply across videos: %v", err)
		}
		// Ana does not see the troll; bo does. Newest first, two per page.
		page, err := svc.Comments(ctx, ana, v, "", "", 2)
		if err != nil || len(page.Items) != 2 || page.Items[0].Body != long || page.Items[1].ID != first.ID || page.NextCursor != "" {
			t.Fatalf("ana's page: %+v, %v", page, err)
		}
		if page.Items[1].ReplyCount != 2 || !page.Items[1].CanDelete || page.Items[0].CanDelete || page.Items[1].Author.AvatarURL == nil {
			t.Fatalf("ana's view of the comments: %+v", page.Items)
		}
		page, _ = svc.Comments(ctx, bo, v, "", "", 2)
		if len(page.Items) != 2 || page.Items[1].Author.ID != troll || page.NextCursor == "" {
			t.Fatalf("bo's first page: %+v", page)
		}
		next, err := svc.Comments(ctx, bo, v, "", page.NextCursor, 2)
		if err != nil || len(next.Items) != 1 || next.Items[0].ID != first.ID {
			t.Fatalf("bo's second page: %+v, %v", next, err)
		}
		replies, err := svc.Comments(ctx, "", v, first.ID, "", 0)
		if err != nil || len(replies.Items) != 2 || replies.Items[0].ID != nested.ID || replies.Items[0].CanDelete {
			t.Fatalf("replies: %+v, %v", replies, err)
		}
		if _, err := svc.Comments(ctx, "", v, "", "garbage!", 0); code(err) != "validation_failed" {
			t.Fatalf("bad cursor: %v", err)
		}
		if st := e.stats(v); st.Comments != 5 {
			t.Fatalf("comments counted %d, want 5", st.Comments)
		}
		// Only the author or the video's creator may delete; a top-level
		// comment takes its replies with it.
		if err := svc.DeleteComment(ctx, bo, first.ID); code(err) != "not_comment_author" {
			t.Fatalf("bo deletes ana's comment: %v", err)
		}
		if err := svc.DeleteComment(ctx, creator, first.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteComment(ctx, creator, first.ID); code(err) != "comment_not_found" {
			t.Fatalf("deleted twice: %v", err)
		}
		if st := e.stats(v); st.Comments != 2 {
			t.Fatalf("after deleting a thread of 3: %d comments", st.Comments)
		}
	})
}

func TestCommentRateIsCapped(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), engagement.Config{CommentsPerMin: 3})
	u := e.user("chatty")
	v := e.video(e.user("maker"), "ready", 10_000)
	for i := range 4 {
		_, err := e.svc.PostComment(ctx, u, v, engagement.NewComment{Body: "hi"})
		if (i < 3) != (err == nil) || (i == 3 && code(err) != "too_many_comments") {
			t.Fatalf("comment %d: %v", i, err)
		}
	}
}

func TestAnalyticsAreTheCreatorsOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		creator, other := e.user("maker"), e.user("other")
		ready, processing := e.video(creator, "ready", 3_000), e.video(creator, "processing", 0)
		if _, err := e.svc.VideoAnalytics(ctx, other, ready, "", ""); code(err) != "not_video_owner" {
			t.Fatalf("other on a ready video: %v", err)
		}
		for _, id := range []string{processing, "missing"} {
			if _, err := e.svc.VideoAnalytics(ctx, other, id, "", ""); code(err) != "video_not_found" {
				t.Fatalf("other on %s: %v", id, err)
			}
		}
		an, err := e.svc.VideoAnalytics(ctx, creator, ready, "2026-10-30", "2026-11-02")
		if err != nil || len(an.Days) != 4 || an.Days[0].Date != "2026-10-30" || len(an.Retention.Viewers) != 4 || an.Retention.Views != 0 {
			t.Fatalf("empty analytics: %+v, %v", an, err)
		}
		if an, _ := e.svc.VideoAnalytics(ctx, creator, ready, "", ""); len(an.Days) != engagement.DefaultAnalyticsDays || an.To != "2026-11-02" {
			t.Fatalf("default range: %s..%s, %d days", an.From, an.To, len(an.Days))
		}
		for _, r := range [][2]string{{"2026-11-03", "2026-11-02"}, {"2025-01-01", "2026-11-02"}, {"yesterday", ""}, {"", "2026-13-01"}} {
			if _, err := e.svc.VideoAnalytics(ctx, creator, ready, r[0], r[1]); code(err) != "validation_failed" {
				t.Errorf("range %v: %v", r, err)
			}
		}
	})
}
