package server

import (
	"math/bits"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/logging"
)

// TestReadyWhileLoading: /ready answers 503 until Run has loaded the data
// (Ready closed) and the loading flag is down, 200 after.
func TestReadyWhileLoading(t *testing.T) {
	s := NewWithOptions(config.New(), Options{Logger: logging.Discard()})
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		s.serveReady(rec, httptest.NewRequest(http.MethodGet, "/ready", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(); code != 503 || body != "loading\n" {
		t.Errorf("before Run: %d %q", code, body)
	}
	s.persist.loading.Store(true)
	close(s.readyCh)
	if code, _ := get(); code != 503 {
		t.Errorf("loading: %d", code)
	}
	s.persist.loading.Store(false)
	if code, body := get(); code != 200 || body != "ready\n" {
		t.Errorf("loaded: %d %q", code, body)
	}
}

func TestPromWriter(t *testing.T) {
	var p promWriter
	p.gauge("a", "help a", 1.5)
	p.counter("b_total", "help b", 1796548884)
	p.family("c", "gauge", "help c")
	p.sample("c", "cmd", "x\"y\\z\n", 0)
	p.sample("c", "cmd", "config|get", -2)
	want := "# HELP a help a\n# TYPE a gauge\na 1.5\n" +
		"# HELP b_total help b\n# TYPE b_total counter\nb_total 1796548884\n" +
		"# HELP c help c\n# TYPE c gauge\n" + `c{cmd="x\"y\\z\n"} 0` + "\n" + `c{cmd="config|get"} -2` + "\n"
	if got := p.b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// hdrStepEnd is, independently of latencyBucket, the highest value an HDR
// histogram of 1 ns..1 s at two significant digits (Redis's) holds as
// equivalent to x ns: values from 256 on share a slot of 2^(log2(x)-7).
func hdrStepEnd(x uint64) uint64 {
	if x < 256 {
		return x
	}
	res := uint64(1) << (bits.Len64(x) - 1 - 7)
	return x/res*res + res - 1
}

// TestLatencyBuckets: a call lands in the step Redis's LATENCY HISTOGRAM
// would report it under, and the labels are Redis's.
func TestLatencyBuckets(t *testing.T) {
	var labels []int64
	for k := 0; k < latencyBuckets-1; k++ {
		labels = append(labels, latencyLabel(k))
		if want := int64(hdrStepEnd(1<<(10+k)) / 1000); latencyLabel(k) != want {
			t.Errorf("label %d = %d, want %d", k, latencyLabel(k), want)
		}
		if got, want := latencyStepEnd(k), float64(hdrStepEnd(1<<(10+k)))/1000; got != want {
			t.Errorf("step end %d = %v, want %v", k, got, want)
		}
	}
	// As a real redis-server 7.0.15 printed them.
	for i, want := range []int64{1, 2, 4, 8, 16, 33, 66, 132, 264} {
		if labels[i] != want {
			t.Errorf("labels %v", labels)
			break
		}
	}
	if latencyBucket(0) != 0 || latencyBucket(-1) != 0 {
		t.Error("sub-microsecond calls not in bucket 0")
	}
	check := func(u int64) {
		ns := uint64(min(u, latencyMaxUsec)) * 1000
		k := 0
		for ns > hdrStepEnd(1<<(10+k)) {
			k++
		}
		if got := latencyBucket(u); got != k+1 {
			t.Fatalf("%d usec: bucket %d, want %d", u, got, k+1)
		}
	}
	for u := int64(1); u < 5000; u++ {
		check(u)
	}
	for u := int64(5000); u < 3_000_000; u = u*9/8 + 1 {
		check(u)
		check(u + 1)
	}
	if latencyBucket(1<<40) != latencyBuckets-1 {
		t.Errorf("clamp: bucket %d", latencyBucket(1<<40))
	}
}

func TestLatencyPercentile(t *testing.T) {
	var lc latencyCounts
	lc[0] = 50                 // sub-microsecond
	lc[latencyBucket(3)] = 49  // label 4
	lc[latencyBucket(100)] = 1 // label 132
	for p, want := range map[float64]string{50: "0.001", 50.5: "4.127", 99: "4.127", 99.9: "132.095", 100: "132.095", 0: "0.001"} {
		if got := strconv.FormatFloat(lc.percentile(p, 100), 'f', 3, 64); got != want {
			t.Errorf("p%v = %s, want %s", p, got, want)
		}
	}
}

func BenchmarkLatencyRecord(b *testing.B) {
	s := NewWithOptions(config.New(), Options{Logger: logging.Discard()})
	var h latencyHist
	for i := 0; i < b.N; i++ {
		h.record(s, time.Duration(i&1023)*time.Microsecond)
	}
}
