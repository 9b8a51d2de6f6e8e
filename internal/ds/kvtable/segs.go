package kvtable

// segShift sizes the chunks of a segs: 4096 elements, so a chunk of uint32
// is 16 KB and a chunk of interfaces 64 KB.
const (
	segShift = 12
	segLen   = 1 << segShift
	segMask  = segLen - 1
)

// segs is a growable array kept as fixed-size chunks. A plain slice grown
// by append copies every element when it doubles, which on a 10M-key table
// is one call doing tens of megabytes of work; a chunked array never copies
// elements, and it hands memory back a chunk at a time as it shrinks. The
// first chunk starts small and grows by append (bounded by segLen) so the
// many small tables of a server do not each pay for a full chunk.
type segs[T any] struct {
	chunks [][]T
	n      int
}

func (s *segs[T]) len() int { return s.n }

func (s *segs[T]) at(i int) *T { return &s.chunks[i>>segShift][i&segMask] }

func (s *segs[T]) push(v T) int {
	i := s.n
	c := i >> segShift
	if c == len(s.chunks) {
		if c == 0 {
			s.chunks = append(s.chunks, make([]T, 0, 8))
		} else {
			s.chunks = append(s.chunks, make([]T, 0, segLen))
		}
	}
	s.chunks[c] = append(s.chunks[c], v)
	s.n++
	return i
}

func (s *segs[T]) pop() T {
	s.n--
	i := s.n
	c := i >> segShift
	ch := s.chunks[c]
	v := ch[len(ch)-1]
	var zero T
	ch[len(ch)-1] = zero
	s.chunks[c] = ch[:len(ch)-1]
	// Keep at most one empty chunk beyond the last used one, so a push/pop
	// cycle at a chunk boundary does not allocate every time.
	if i&segMask == 0 && len(s.chunks) > c+1 {
		s.chunks[c+1] = nil
		s.chunks = s.chunks[:c+1]
	}
	return v
}

// bytes approximates the memory held, counting elemSize bytes per slot.
func (s *segs[T]) bytes(elemSize int) int {
	n := 0
	for _, c := range s.chunks {
		n += cap(c) * elemSize
	}
	return n + cap(s.chunks)*24
}
