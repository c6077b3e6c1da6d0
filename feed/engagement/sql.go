package engagement

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/reelmart/reelmart/platform/db"
)

// maxInList bounds the placeholders of one IN list, far below what either
// engine accepts in one statement.
const maxInList = 500

// inList returns "$from, $from+1, …" for ids and the ids as arguments.
func inList(ids []string, from int) (string, []any) { return db.InList(ids, from) }

// chunks splits ids into slices of at most maxInList.
func chunks(ids []string) [][]string {
	var out [][]string
	for len(ids) > maxInList {
		out = append(out, ids[:maxInList])
		ids = ids[maxInList:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// dedupe returns ids without repeats, in first-seen order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// upsert runs head + " VALUES (…), (…) " + tail for rows (each with as
// many values as the others), in statements of at most 400 rows.
func upsert(ctx context.Context, tx *sql.Tx, head, tail string, rows [][]any) error {
	const perStatement = 400
	for len(rows) > 0 {
		n := min(len(rows), perStatement)
		var b strings.Builder
		args := make([]any, 0, n*len(rows[0]))
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				b.WriteString("$" + strconv.Itoa(len(args)))
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, head+" VALUES "+b.String()+" "+tail, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
