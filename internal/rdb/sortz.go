package rdb

import (
	"math"
	"sort"
	"strconv"
)

// sortZSet orders a sorted set's elements by (score, member), the order
// Value promises, whatever order the file stored them in. Duplicated
// members are left for the caller to reject.
func sortZSet(v *Value) {
	sorted := true
	for i := 1; i < len(v.Elems) && sorted; i++ {
		sorted = !less(v, i, i-1)
	}
	if sorted {
		return // as Redis saves them: no allocation
	}
	idx := make([]int, len(v.Elems))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return less(v, idx[a], idx[b]) })
	el := make([][]byte, len(idx))
	sc := make([]float64, len(idx))
	for i, j := range idx {
		el[i], sc[i] = v.Elems[j], v.Scores[j]
	}
	v.Elems, v.Scores = el, sc
}

func less(v *Value, i, j int) bool {
	if v.Scores[i] != v.Scores[j] {
		return v.Scores[i] < v.Scores[j]
	}
	return string(v.Elems[i]) < string(v.Elems[j])
}

// parseScore parses a score stored as text in a compact sorted set: most
// are small integers, converted here without ParseFloat's string copy.
func parseScore(b []byte) (float64, error) {
	neg := len(b) > 1 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return strconv.ParseFloat(string(b), 64)
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return strconv.ParseFloat(string(b), 64)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		if n == 0 {
			return math.Copysign(0, -1), nil
		}
		n = -n
	}
	return float64(n), nil // exact: below 2^53
}
