package rdb

// Scratch is room a Decoder may decode into, reused from one batch of
// records to the next: see Decoder.SetScratch.
type Scratch struct {
	bytes  []byte
	elems  [][]byte
	scores []float64
	ints   []int64
}

// Reset makes all of s's room available again: what was decoded into it
// must no longer be in use.
func (s *Scratch) Reset() {
	s.bytes, s.elems, s.scores, s.ints = s.bytes[:0], s.elems[:0], s.scores[:0], s.ints[:0]
}

// SetScratch makes Next decode keys, string values and the elements of
// lists into s instead of fresh slices, and build the slices of elements,
// scores and integers (Value.Elems, Scores and Ints, but not the bytes of
// other kinds' elements) of small aggregates there: they then stay valid
// only until s is reset. A loader that copies keys and strings into its own
// storage and keeps no Elems slice saves a few allocations per key. nil
// goes back to fresh slices.
func (d *Decoder) SetScratch(s *Scratch) { d.r.scratch = s }

// scratchChunk is the size of a new chunk of scratch bytes: big enough
// for a few hundred typical keys and values.
const scratchChunk = 32 << 10

// take returns n bytes of scratch room.
func (r *reader) take(n int) []byte {
	b := r.scratch.bytes
	if cap(b)-len(b) < n {
		// The old chunk stays alive as long as slices into it do.
		b = make([]byte, 0, max(scratchChunk, n))
	}
	out := b[len(b) : len(b)+n : len(b)+n]
	r.scratch.bytes = b[:len(b)+n]
	return out
}

// untake gives back the last n bytes that take returned.
func (r *reader) untake(n int) {
	r.scratch.bytes = r.scratch.bytes[:len(r.scratch.bytes)-n]
}

// elemsRoom returns an empty slice with room for n elements, from the
// scratch room when there is one and n is small.
func (r *reader) elemsRoom(n int) [][]byte {
	if r.scratch == nil {
		return make([][]byte, 0, n)
	}
	return room(&r.scratch.elems, n)
}

// scoresRoom is elemsRoom for scores.
func (r *reader) scoresRoom(n int) []float64 {
	if r.scratch == nil {
		return make([]float64, 0, n)
	}
	return room(&r.scratch.scores, n)
}

// intsRoom is elemsRoom for integers.
func (r *reader) intsRoom(n int) []int64 {
	if r.scratch == nil {
		return make([]int64, 0, n)
	}
	return room(&r.scratch.ints, n)
}

// room returns an empty slice with room for n items from *a (or fresh
// when n is big).
func room[T any](a *[]T, n int) []T {
	if n > 1<<10 {
		return make([]T, 0, n)
	}
	e := *a
	if cap(e)-len(e) < n {
		e = make([]T, 0, 4<<10)
	}
	*a = e[:len(e)+n]
	return e[len(e) : len(e) : len(e)+n]
}
