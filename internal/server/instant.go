package server

import (
	"sync"
	"time"
)

// INFO's instantaneous_* rates, as Redis computes them: the cron samples
// the totals every 100 ms and a rate is the mean over the last 16
// samples' intervals.

const instantSamples = 16

type instantMetric struct {
	lastTime  time.Time
	lastValue int64
	samples   [instantSamples]float64 // per second
	idx       int
}

// instantState holds the three tracked rates; mu guards them (the cron
// writes, INFO reads).
type instantState struct {
	mu                 sync.Mutex
	lastSample         time.Time
	ops, netIn, netOut instantMetric
}

func (m *instantMetric) track(now time.Time, value int64) {
	if !m.lastTime.IsZero() {
		if dt := now.Sub(m.lastTime).Seconds(); dt > 0 {
			m.samples[m.idx] = float64(value-m.lastValue) / dt
			m.idx = (m.idx + 1) % instantSamples
		}
	}
	m.lastTime, m.lastValue = now, value
}

func (m *instantMetric) rate() float64 {
	var sum float64
	for _, v := range m.samples {
		sum += v
	}
	return sum / instantSamples
}

// instantCron samples the totals at most every 100 ms (the cron runs at
// hz).
func (s *Server) instantCron() {
	now := time.Now()
	st := &s.instant
	st.mu.Lock()
	defer st.mu.Unlock()
	if now.Sub(st.lastSample) < 100*time.Millisecond {
		return
	}
	st.lastSample = now
	t := s.totals()
	st.ops.track(now, t.commands)
	st.netIn.track(now, t.netIn)
	st.netOut.track(now, t.netOut)
}

// instantRates returns ops per second and input/output kilobytes per
// second.
func (s *Server) instantRates() (ops int64, inKbps, outKbps float64) {
	st := &s.instant
	st.mu.Lock()
	defer st.mu.Unlock()
	return int64(st.ops.rate()), st.netIn.rate() / 1024, st.netOut.rate() / 1024
}
