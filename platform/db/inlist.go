package db

import (
	"strconv"
	"strings"
)

// InList returns the placeholders "$from, $from+1, …" for an IN list of
// values and the values as arguments, to append after from-1 others.
func InList(values []string, from int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(values))
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
		args[i] = v
	}
	return b.String(), args
}
