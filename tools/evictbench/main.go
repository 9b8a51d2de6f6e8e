// Command evictbench compares eviction under maxmemory between Taconite and
// redis-server: the hit rate of a cache workload, and the memory a write
// flood takes. It starts each server itself, fresh for every run, on a
// free port, and stops it by its PID.
//
//	go run ./tools/evictbench [-taconite BIN] [-redis redis-server]
//	    [-maxmemory 50mb] [-keys 1000000] [-value 100] [-s 0.99]
//	    [-ops 3000000] [-warmup 3000000] [-policies allkeys-lru,allkeys-lfu]
//	    [-flood 2000000]
//
// Hit rate: clients draw keys from a Zipf distribution over -keys keys
// (exponent -s, rank r with weight 1/r^s); each GETs its key and SETs a
// -value byte value when the GET missed, the usual cache-aside loop.
// Every server sees the same request streams (seeded alike). After a
// warm-up of -warmup requests, the hit rate of -ops requests is reported
// per policy.
//
// Write flood: -flood SETs of distinct keys under allkeys-lru, pipelined,
// while the server's RSS is sampled every 20 ms from /proc; reported are
// the RSS before (empty server: the fixed base), the peak, and how far the
// peak is above maxmemory plus that base.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/resp"
)

type options struct {
	maxmemory string
	keys      int
	value     int
	s         float64
	ops       int
	warmup    int
	clients   int
	pipeline  int
	flood     int
	policies  []string
	taconite  string
	redis     string
}

func main() {
	var o options
	var policies string
	flag.StringVar(&o.taconite, "taconite", "", "Taconite binary (default: build ./cmd/taconite)")
	flag.StringVar(&o.redis, "redis", "redis-server", "reference server binary")
	flag.StringVar(&o.maxmemory, "maxmemory", "50mb", "maxmemory of both servers")
	flag.IntVar(&o.keys, "keys", 1_000_000, "distinct keys of the hit-rate workload")
	flag.IntVar(&o.value, "value", 100, "value size in bytes")
	flag.Float64Var(&o.s, "s", 0.99, "Zipf exponent")
	flag.IntVar(&o.ops, "ops", 3_000_000, "measured requests per run (0: skip the hit rate)")
	flag.IntVar(&o.warmup, "warmup", 3_000_000, "warm-up requests per run")
	flag.IntVar(&o.clients, "clients", 4, "concurrent clients")
	flag.IntVar(&o.pipeline, "pipeline", 16, "GETs per round trip")
	flag.IntVar(&o.flood, "flood", 2_000_000, "SETs of the write flood (0: skip)")
	flag.StringVar(&policies, "policies", "allkeys-lru,allkeys-lfu", "policies of the hit-rate runs")
	flag.Parse()
	o.policies = strings.Split(policies, ",")
	if o.taconite == "" {
		bin, err := buildTaconite()
		if err != nil {
			fail(err)
		}
		defer os.Remove(bin)
		o.taconite = bin
	}
	sides := []struct{ name, bin string }{{"taconite", o.taconite}, {"redis", o.redis}}
	fmt.Printf("maxmemory %s, %d keys, %d-byte values, Zipf s=%.2f, %d clients x pipeline %d\n\n",
		o.maxmemory, o.keys, o.value, o.s, o.clients, o.pipeline)

	if o.flood > 0 {
		fmt.Printf("write flood: %d SETs of distinct keys, allkeys-lru\n", o.flood)
		fmt.Printf("%-9s %10s %10s %10s %9s %9s %8s\n", "server", "base RSS", "peak RSS", "maxmemory", "over", "over/max", "SET/s")
		for _, sd := range sides {
			r, err := runFlood(o, sd.bin)
			if err != nil {
				fail(fmt.Errorf("%s: %w", sd.name, err))
			}
			over := r.peak - r.base - r.maxmemory
			fmt.Printf("%-9s %10s %10s %10s %9s %8.1f%% %8.0f\n", sd.name, mb(r.base), mb(r.peak), mb(r.maxmemory), mb(over),
				100*float64(over)/float64(r.maxmemory), r.rate)
		}
		fmt.Println()
	}

	if o.ops == 0 {
		return
	}
	z := newZipf(o.keys, o.s)
	fmt.Printf("hit rate: GET, SET on miss; %d warm-up + %d measured requests\n", o.warmup, o.ops)
	fmt.Printf("%-14s %-9s %8s %10s %10s %12s %8s\n", "policy", "server", "hit rate", "keys held", "used_mem", "evicted", "ops/s")
	for _, p := range o.policies {
		var rates []float64
		for _, sd := range sides {
			r, err := runHitRate(o, sd.bin, p, z)
			if err != nil {
				fail(fmt.Errorf("%s %s: %w", sd.name, p, err))
			}
			rates = append(rates, r.hitRate)
			fmt.Printf("%-14s %-9s %7.2f%% %10d %10s %12d %8.0f\n", p, sd.name, 100*r.hitRate, r.keys, mb(r.used), r.evicted, r.rate)
		}
		fmt.Printf("%-14s %-9s %+7.2f points\n", p, "diff", 100*(rates[0]-rates[1]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "evictbench:", err)
	os.Exit(1)
}

func mb(n int64) string { return fmt.Sprintf("%.1fMB", float64(n)/(1<<20)) }

func buildTaconite() (string, error) {
	f, err := os.CreateTemp("", "evictbench-taconite-*")
	if err != nil {
		return "", err
	}
	f.Close()
	cmd := exec.Command("go", "build", "-o", f.Name(), "./cmd/taconite")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building Taconite (run from the repository root): %w", err)
	}
	return f.Name(), nil
}

// server is one started server process.
type server struct {
	cmd  *exec.Cmd
	addr string
}

func startServer(bin string, extra ...string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "evictbench-*")
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, addr: "127.0.0.1:" + strconv.Itoa(port)}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := dial(s.addr)
		if err == nil {
			_, err = c.do("PING")
			c.close()
			if err == nil {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not start: %v", bin, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// rss reads the process's resident set from /proc.
func (s *server) rss() int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

type conn struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

func dial(addr string) (*conn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), w: bufio.NewWriterSize(nc, 64<<10)}, nil
}

func (c *conn) close() { c.nc.Close() }

// roundTrip sends the pipeline buf and reads its n replies; an error
// reply is an error.
func (c *conn) roundTrip(buf []byte, n int) error {
	c.w.Write(buf)
	if err := c.w.Flush(); err != nil {
		return err
	}
	for j := 0; j < n; j++ {
		v, err := resp.ReadReply(c.r)
		if err == nil && v.Type == '-' {
			err = errors.New(string(v.Str))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) do(args ...string) (resp.Value, error) {
	c.w.Write(resp.AppendCommandStrings(nil, args...))
	if err := c.w.Flush(); err != nil {
		return resp.Value{}, err
	}
	v, err := resp.ReadReply(c.r)
	if err == nil && v.Type == '-' {
		err = errors.New(string(v.Str))
	}
	return v, err
}

// info returns one INFO field as an integer.
func (c *conn) info(field string) int64 {
	v, err := c.do("INFO", "all")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(v.Str), "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok && k == field {
			n, _ := strconv.ParseInt(val, 10, 64)
			return n
		}
	}
	return 0
}

func configure(c *conn, policy, maxmemory string) error {
	for _, kv := range [][2]string{{"maxmemory-policy", policy}, {"maxmemory", maxmemory}} {
		if _, err := c.do("CONFIG", "SET", kv[0], kv[1]); err != nil {
			return fmt.Errorf("CONFIG SET %s %s: %w", kv[0], kv[1], err)
		}
	}
	return nil
}

type floodResult struct {
	base, peak, maxmemory int64
	rate                  float64
}

// runFlood SETs distinct keys on a fresh server while sampling its RSS.
func runFlood(o options, bin string) (floodResult, error) {
	var r floodResult
	s, err := startServer(bin)
	if err != nil {
		return r, err
	}
	defer s.stop()
	c, err := dial(s.addr)
	if err != nil {
		return r, err
	}
	defer c.close()
	if err := configure(c, "allkeys-lru", o.maxmemory); err != nil {
		return r, err
	}
	v, _ := c.do("CONFIG", "GET", "maxmemory")
	if len(v.Elems) == 2 {
		r.maxmemory, _ = strconv.ParseInt(string(v.Elems[1].Str), 10, 64)
	}
	time.Sleep(200 * time.Millisecond)
	r.base = s.rss()
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if n := s.rss(); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	val := strings.Repeat("v", o.value)
	start := time.Now()
	var firstErr atomic.Value
	var cw sync.WaitGroup
	per := o.flood / o.clients
	for k := 0; k < o.clients; k++ {
		cc, err := dial(s.addr)
		if err != nil {
			return r, err
		}
		cw.Add(1)
		go func(k int) {
			defer cw.Done()
			defer cc.close()
			var buf []byte
			const batch = 64
			for i := 0; i < per; i += batch {
				buf = buf[:0]
				n := min(batch, per-i)
				for j := 0; j < n; j++ {
					buf = resp.AppendCommandStrings(buf, "SET", "flood:"+strconv.Itoa(k)+":"+strconv.Itoa(i+j), val)
				}
				if err := cc.roundTrip(buf, n); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}(k)
	}
	cw.Wait()
	r.rate = float64(per*o.clients) / time.Since(start).Seconds()
	// Memory the server gives back late still counts: sample a while on.
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	r.peak = peak.Load()
	if e := firstErr.Load(); e != nil {
		return r, e.(error)
	}
	return r, nil
}

type hitResult struct {
	hitRate       float64
	keys, evicted int64
	used          int64
	rate          float64
}

// runHitRate runs the cache-aside loop on a fresh server under policy.
func runHitRate(o options, bin, policy string, z *zipf) (hitResult, error) {
	var r hitResult
	s, err := startServer(bin)
	if err != nil {
		return r, err
	}
	defer s.stop()
	c, err := dial(s.addr)
	if err != nil {
		return r, err
	}
	defer c.close()
	if err := configure(c, policy, o.maxmemory); err != nil {
		return r, err
	}
	// One stream per client, the same for every server.
	rngs := make([]*rand.Rand, o.clients)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(uint64(i)+1, 0x5eed))
	}
	if _, _, err := cacheLoop(o, s.addr, z, rngs, o.warmup); err != nil {
		return r, err
	}
	start := time.Now()
	hits, gets, err := cacheLoop(o, s.addr, z, rngs, o.ops)
	if err != nil {
		return r, err
	}
	r.rate = float64(gets) / time.Since(start).Seconds()
	r.hitRate = float64(hits) / float64(gets)
	v, _ := c.do("DBSIZE")
	r.keys = v.Int
	r.evicted = c.info("evicted_keys")
	r.used = c.info("used_memory")
	return r, nil
}

// cacheLoop runs total requests over the clients: each round trip GETs
// pipeline keys, then SETs those that missed (their replies read before
// the next round).
func cacheLoop(o options, addr string, z *zipf, rngs []*rand.Rand, total int) (hits, gets int64, err error) {
	var h, g atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	per := total / len(rngs)
	val := strings.Repeat("v", o.value)
	for k := range rngs {
		c, err := dial(addr)
		if err != nil {
			return 0, 0, err
		}
		wg.Add(1)
		go func(rng *rand.Rand) {
			defer wg.Done()
			defer c.close()
			keys := make([]string, o.pipeline)
			var buf []byte
			for done := 0; done < per; done += o.pipeline {
				n := min(o.pipeline, per-done)
				buf = buf[:0]
				for j := 0; j < n; j++ {
					keys[j] = "key:" + strconv.Itoa(z.next(rng))
					buf = resp.AppendCommandStrings(buf, "GET", keys[j])
				}
				c.w.Write(buf)
				if err := c.w.Flush(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				buf = buf[:0]
				sets := 0
				for j := 0; j < n; j++ {
					v, err := resp.ReadReply(c.r)
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					if v.Null {
						buf = resp.AppendCommandStrings(buf, "SET", keys[j], val)
						sets++
					} else {
						h.Add(1)
					}
				}
				g.Add(int64(n))
				if sets == 0 {
					continue
				}
				if err := c.roundTrip(buf, sets); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}(rngs[k])
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return 0, 0, e.(error)
	}
	return h.Load(), g.Load(), nil
}

// zipf draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s,
// by binary search in the cumulative distribution (any s > 0, unlike
// math/rand's Zipf which needs s > 1). Ranks are scattered over the key
// names so hot keys do not sit together.
type zipf struct {
	cdf  []float64
	perm []int32
}

func newZipf(n int, s float64) *zipf {
	z := &zipf{cdf: make([]float64, n), perm: make([]int32, n)}
	sum := 0.0
	for i := range z.cdf {
		sum += 1 / math.Pow(float64(i+1), s)
		z.cdf[i] = sum
	}
	for i := range z.cdf {
		z.cdf[i] /= sum
	}
	r := rand.New(rand.NewPCG(42, 42))
	for i := range z.perm {
		z.perm[i] = int32(i)
	}
	r.Shuffle(n, func(i, j int) { z.perm[i], z.perm[j] = z.perm[j], z.perm[i] })
	return z
}

func (z *zipf) next(r *rand.Rand) int {
	i := sort.SearchFloat64s(z.cdf, r.Float64())
	if i >= len(z.cdf) {
		i = len(z.cdf) - 1
	}
	return int(z.perm[i])
}
