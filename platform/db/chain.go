package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Stmt is one SQL statement and its arguments, numbered $1… on its own.
type Stmt struct {
	SQL  string
	Args []any
}

// Chain runs stmts in order inside tx and returns the rows of the last one
// (which may have a RETURNING clause; the others' results are dropped). It
// costs one round trip on PostgreSQL, where the statements before the last
// become data-modifying WITH clauses of it, and one statement each on
// SQLite, where a round trip costs nothing. The statements must therefore
// not depend on each other's writes: on PostgreSQL they all see the
// database as it was when the chain started (constraints are checked at
// its end). A failure of any of them fails the chain.
func (db *DB) Chain(ctx context.Context, tx *sql.Tx, stmts ...Stmt) (*sql.Rows, error) {
	if len(stmts) == 0 {
		return nil, fmt.Errorf("db: empty chain")
	}
	last := stmts[len(stmts)-1]
	if db.dialect != Postgres || len(stmts) == 1 {
		for _, s := range stmts[:len(stmts)-1] {
			if _, err := tx.ExecContext(ctx, s.SQL, s.Args...); err != nil {
				return nil, err
			}
		}
		return tx.QueryContext(ctx, last.SQL, last.Args...)
	}
	var b strings.Builder
	var args []any
	for i, s := range stmts {
		switch {
		case i == 0:
			b.WriteString("WITH ")
		case i < len(stmts)-1:
			b.WriteString(", ")
		default:
			b.WriteString(" ")
		}
		if i < len(stmts)-1 {
			fmt.Fprintf(&b, "chain%d AS (", i)
		}
		b.WriteString(renumber(s.SQL, len(args)))
		if i < len(stmts)-1 {
			b.WriteString(")")
		}
		args = append(args, s.Args...)
	}
	return tx.QueryContext(ctx, b.String(), args...)
}

// renumber shifts every $n placeholder of query by offset. Domain SQL has
// no dollar signs elsewhere (no dollar-quoted strings, none in literals).
func renumber(query string, offset int) string {
	if offset == 0 {
		return query
	}
	var b strings.Builder
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c != '$' || i+1 >= len(query) || query[i+1] < '0' || query[i+1] > '9' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(query[i+1 : j])
		b.WriteString("$" + strconv.Itoa(n+offset))
		i = j - 1
	}
	return b.String()
}
