package rdb

import "sort"

// sortZSet orders a sorted set's elements by (score, member), the order
// Value promises, whatever order the file stored them in. Duplicated
// members are left for the caller to reject.
func sortZSet(v *Value) {
	idx := make([]int, len(v.Elems))
	sorted := true
	for i := range idx {
		idx[i] = i
		if i > 0 && less(v, i, i-1) {
			sorted = false
		}
	}
	if sorted {
		return
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
