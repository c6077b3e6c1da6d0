package engagement

import (
	"strconv"
	"strings"
)

// maxInList bounds the placeholders of one IN list, far below what either
// engine accepts in one statement.
const maxInList = 500

// inList returns "$from, $from+1, …" for ids and the ids as arguments.
func inList(ids []string, from int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
		args[i] = id
	}
	return b.String(), args
}

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
