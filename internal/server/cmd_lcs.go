package server

import (
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest
// common subsequence of two strings, by the classic dynamic programme,
// reporting matched ranges from the end backwards as Redis does.
func cmdLCS(c *client, argv [][]byte) {
	var a, b []byte
	for i, k := range argv[1:3] {
		e, ok := c.tx.Get(k)
		if !ok {
			continue
		}
		if e.Kind() != keyspace.KindString {
			c.replyError(rerr.LCSNotStrings)
			return
		}
		if i == 0 {
			a = e.Bytes()
		} else {
			b = e.Bytes()
		}
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(argv); j++ {
		more := j+1 < len(argv)
		switch {
		case eq(argv[j], "idx"):
			getIdx = true
		case eq(argv[j], "len"):
			getLen = true
		case eq(argv[j], "withmatchlen"):
			withLen = true
		case eq(argv[j], "minmatchlen") && more:
			n, ok := c.argInt(argv[j+1])
			if !ok {
				return
			}
			if n < 0 {
				n = 0
			}
			minLen = n
			j++
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	if getLen && getIdx {
		c.replyError(rerr.LCSBothLen)
		return
	}
	al, bl := len(a), len(b)
	cells := uint64(al+1) * uint64(bl+1)
	if cells*4 > uint64(c.s.maxBulkLen.Load()) {
		c.replyError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	w := bl + 1
	dp := make([]uint32, cells)
	for i := 1; i <= al; i++ {
		for j := 1; j <= bl; j++ {
			switch {
			case a[i-1] == b[j-1]:
				dp[i*w+j] = dp[(i-1)*w+j-1] + 1
			case dp[(i-1)*w+j] > dp[i*w+j-1]:
				dp[i*w+j] = dp[(i-1)*w+j]
			default:
				dp[i*w+j] = dp[i*w+j-1]
			}
		}
	}
	total := int(dp[al*w+bl])
	if getLen {
		c.replyInt(int64(total))
		return
	}
	// Walk back from the end, collecting the subsequence and the matched
	// ranges (as [aStart, aEnd, bStart, bEnd] quadruples).
	seq := make([]byte, total)
	var ranges [][4]int
	k := total
	i, j := al, bl
	active := false
	var as, ae, bs, be int
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			seq[k-1] = a[i-1]
			if !active {
				active = true
				as, ae, bs, be = i-1, i-1, j-1, j-1
			} else {
				// Contiguous with the current range: extend it backwards.
				as--
				bs--
			}
			if as == 0 || bs == 0 {
				emit = true
			}
			k--
			i--
			j--
		} else {
			if dp[(i-1)*w+j] > dp[i*w+j-1] {
				i--
			} else {
				j--
			}
			if active {
				emit = true
			}
		}
		if emit && active {
			if minLen == 0 || int64(ae-as+1) >= minLen {
				ranges = append(ranges, [4]int{as, ae, bs, be})
			}
			active = false
		}
	}
	if !getIdx {
		c.replyBulk(seq)
		return
	}
	c.replyMapLen(2)
	c.replyBulkString("matches")
	c.replyArrayLen(len(ranges))
	for _, r := range ranges {
		if withLen {
			c.replyArrayLen(3)
		} else {
			c.replyArrayLen(2)
		}
		c.replyArrayLen(2)
		c.replyInt(int64(r[0]))
		c.replyInt(int64(r[1]))
		c.replyArrayLen(2)
		c.replyInt(int64(r[2]))
		c.replyInt(int64(r[3]))
		if withLen {
			c.replyInt(int64(r[1] - r[0] + 1))
		}
	}
	c.replyBulkString("len")
	c.replyInt(int64(total))
}
