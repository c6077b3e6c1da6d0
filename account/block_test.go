package account_test

import (
	"slices"
	"testing"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestBlocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d)
		a, _ := mustRegister(t, s, "blocker")
		b, _ := mustRegister(t, s, "blockee")
		c, _ := mustRegister(t, s, "bystander")
		if err := s.Block(ctx, a.ID, a.ID); code(err) != "cannot_block_self" {
			t.Fatalf("self block: %v", err)
		}
		if err := s.Block(ctx, a.ID, "missing"); code(err) != "user_not_found" {
			t.Fatalf("block missing: %v", err)
		}
		for i := 0; i < 2; i++ { // twice: idempotent
			if err := s.Block(ctx, a.ID, b.ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, pair := range [][2]string{{a.ID, b.ID}, {b.ID, a.ID}} {
			if blocked, err := s.IsBlocked(ctx, pair[0], pair[1]); err != nil || !blocked {
				t.Fatalf("IsBlocked(%v) = %v, %v; want true either way round", pair, blocked, err)
			}
		}
		if blocked, _ := s.IsBlocked(ctx, a.ID, c.ID); blocked {
			t.Fatal("a and c are not blocked")
		}
		// Both sides hide each other; a third user sees everyone.
		if h, _ := s.Hidden(ctx, a.ID); !slices.Equal(h, []string{b.ID}) {
			t.Fatalf("Hidden(a) = %v", h)
		}
		if h, _ := s.Hidden(ctx, b.ID); !slices.Equal(h, []string{a.ID}) {
			t.Fatalf("Hidden(b) = %v", h)
		}
		if h, err := s.Hidden(ctx, c.ID); err != nil || h == nil || len(h) != 0 {
			t.Fatalf("Hidden(c) = %#v, %v", h, err)
		}
		ex, err := s.Export(ctx, a.ID)
		if err != nil || len(ex.Blocks) != 1 || ex.Blocks[0].ID != b.ID {
			t.Fatalf("export blocks = %+v, %v", ex.Blocks, err)
		}
		if err := s.Unblock(ctx, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Unblock(ctx, a.ID, b.ID); err != nil {
			t.Fatalf("second unblock: %v", err)
		}
		if blocked, _ := s.IsBlocked(ctx, b.ID, a.ID); blocked {
			t.Fatal("still blocked after unblock")
		}
		// A block by someone who deletes their account goes with it.
		_ = s.Block(ctx, c.ID, a.ID)
		if err := s.Delete(ctx, c.ID, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.Hidden(ctx, a.ID); len(h) != 0 {
			t.Fatalf("block of a deleted account remains: %v", h)
		}
	})
}
