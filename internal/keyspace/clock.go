package keyspace

import (
	"sync/atomic"
	"time"
)

// Clock gives the current time in Unix milliseconds. The server uses the
// wall clock; tests inject a FakeClock so expiry needs no sleeping.
type Clock interface {
	NowMs() int64
}

// WallClock is the real time.
type WallClock struct{}

// NowMs implements Clock.
func (WallClock) NowMs() int64 { return time.Now().UnixMilli() }

// FakeClock is a manually advanced clock for tests.
type FakeClock struct{ ms atomic.Int64 }

// NewFakeClock starts a fake clock at ms.
func NewFakeClock(ms int64) *FakeClock {
	c := &FakeClock{}
	c.ms.Store(ms)
	return c
}

// NowMs implements Clock.
func (c *FakeClock) NowMs() int64 { return c.ms.Load() }

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// Set sets the clock to ms.
func (c *FakeClock) Set(ms int64) { c.ms.Store(ms) }
