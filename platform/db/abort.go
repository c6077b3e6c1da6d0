package db

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// A statement that must write all or nothing, but can only tell part-way
// through that it cannot finish, calls reelmart_abort(reason): on
// PostgreSQL a PL/pgSQL function (migration 00006) that raises SQLSTATE
// RMABT, on SQLite a Go function registered with the driver. Either way the
// statement fails, so on PostgreSQL even an autocommit statement made of
// writable CTEs leaves nothing behind. The function returns INTEGER, so it
// can stand in any integer expression: CASE WHEN ok THEN x ELSE
// reelmart_abort('why') END. Both engines evaluate it only when reached (it
// is volatile, so PostgreSQL does not fold it at planning).

const (
	abortState  = "RMABT"
	abortPrefix = "reelmart_abort: "
)

func init() {
	sqlite.MustRegisterScalarFunction("reelmart_abort", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return nil, fmt.Errorf("%s%v", abortPrefix, args[0])
	})
}

// Aborted reports whether err is a statement stopped by reelmart_abort,
// and the reason it was given.
func Aborted(err error) (reason string, ok bool) {
	if err == nil {
		return "", false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code != abortState {
			return "", false
		}
		return strings.TrimPrefix(pgErr.Message, abortPrefix), true
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		msg := sqErr.Error()
		if i := strings.Index(msg, abortPrefix); i >= 0 {
			reason := msg[i+len(abortPrefix):]
			if j := strings.LastIndex(reason, " ("); j >= 0 {
				reason = reason[:j] // the driver appends " (code)"
			}
			return reason, true
		}
	}
	return "", false
}

// Params collects the arguments of a statement built in Go and numbers
// them: Add appends a value and returns its "$n".
type Params []any

// Add appends v and returns its placeholder.
func (p *Params) Add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}
