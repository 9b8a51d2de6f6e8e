// Command msgbench measures what redis-benchmark cannot: transactions of
// several commands and pub/sub fan-out. It runs each workload against the
// servers given, in alternating rounds, and prints medians and ratios.
//
//	msgbench -a 127.0.0.1:7001 -b 127.0.0.1:7002 [-rounds 5] [-dur 2s]
//
// Workloads:
//
//	multi10  50 clients, each sending MULTI, 10 SETs and EXEC per round trip:
//	         transactions per second.
//	fanout   1 publisher, 100 subscribers of one channel: messages
//	         delivered per second (publisher pipelines 64 PUBLISHes at a time).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/resp"
)

func main() {
	a := flag.String("a", "", "first server (Taconite)")
	b := flag.String("b", "", "second server (Redis)")
	rounds := flag.Int("rounds", 5, "rounds per workload")
	dur := flag.Duration("dur", 2*time.Second, "duration of one run")
	subs := flag.Int("subs", 100, "subscribers for fanout")
	clients := flag.Int("clients", 50, "clients for multi10")
	only := flag.String("only", "", "run one workload (multi10, fanout)")
	flag.Parse()
	if *a == "" || *b == "" {
		fmt.Fprintln(os.Stderr, "usage: msgbench -a ADDR -b ADDR")
		os.Exit(2)
	}
	work := []struct {
		name string
		run  func(addr string) (float64, error)
	}{
		{"multi10", func(addr string) (float64, error) { return multi10(addr, *clients, *dur) }},
		{"fanout", func(addr string) (float64, error) { return fanout(addr, *subs, *dur) }},
	}
	fmt.Printf("%-8s | %12s %12s %7s | %s\n", "test", "A rate", "B rate", "A/B", "per-round A/B")
	for _, w := range work {
		if *only != "" && *only != w.name {
			continue
		}
		var ra, rb, ratios []float64
		for r := 0; r < *rounds; r++ {
			order := []string{*a, *b}
			if r%2 == 1 {
				order = []string{*b, *a}
			}
			res := map[string]float64{}
			for _, addr := range order {
				v, err := w.run(addr)
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s against %s: %v\n", w.name, addr, err)
					os.Exit(1)
				}
				res[addr] = v
			}
			ra = append(ra, res[*a])
			rb = append(rb, res[*b])
			ratios = append(ratios, res[*a]/res[*b])
		}
		rs := ""
		for _, x := range ratios {
			rs += fmt.Sprintf(" %.2f", x)
		}
		fmt.Printf("%-8s | %12.0f %12.0f %7.3f |%s\n", w.name, median(ra), median(rb), median(ratios), rs)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
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

func (c *conn) send(args ...string) { c.w.Write(resp.AppendCommandStrings(nil, args...)) }

func (c *conn) read() ([]byte, error) { return resp.ReadRawReply(c.r) }

// skip reads past one reply without keeping it: the simple types, bulk
// strings and arrays of them that multi10 gets back. An error reply is an
// error.
func (c *conn) skip() error {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 {
		return fmt.Errorf("msgbench: short reply line %q", line)
	}
	switch line[0] {
	case '+', ':':
		return nil
	case '-':
		return fmt.Errorf("msgbench: %s", bytes.TrimSpace(line))
	case '$':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil || n < 0 {
			return err
		}
		_, err = c.r.Discard(n + 2)
		return err
	case '*':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			if err := c.skip(); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("msgbench: unexpected reply %q", line)
}

// multi10: each client loops MULTI, 10 x SET, EXEC (pipelined, one round
// trip per transaction).
func multi10(addr string, clients int, dur time.Duration) (float64, error) {
	var done atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		c, err := dial(addr)
		if err != nil {
			return 0, err
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer c.nc.Close()
			// The transaction is the same every time: built once, and its
			// replies skipped without copying, so that the client, which
			// shares the machine with the server, spends as little CPU per
			// transaction as it can (as redis-benchmark builds its command
			// once).
			buf := resp.AppendCommandStrings(nil, "MULTI")
			for k := 0; k < 10; k++ {
				buf = resp.AppendCommandStrings(buf, "SET", "tx:"+strconv.Itoa(i)+":"+strconv.Itoa(k), "value")
			}
			buf = resp.AppendCommandStrings(buf, "EXEC")
			for time.Now().Before(stop) {
				c.w.Write(buf)
				if err := c.w.Flush(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				for k := 0; k < 12; k++ {
					if err := c.skip(); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
				done.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return 0, e.(error)
	}
	return float64(done.Load()) / dur.Seconds(), nil
}

// fanout: subs subscribers on one channel, one publisher pipelining
// PUBLISH in batches of 64 for dur; the rate counts messages received.
func fanout(addr string, subs int, dur time.Duration) (float64, error) {
	var got atomic.Int64
	var wg sync.WaitGroup
	conns := make([]*conn, 0, subs)
	for i := 0; i < subs; i++ {
		c, err := dial(addr)
		if err != nil {
			return 0, err
		}
		c.send("SUBSCRIBE", "fan")
		c.w.Flush()
		if _, err := c.read(); err != nil {
			return 0, err
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		wg.Add(1)
		go func(c *conn) {
			defer wg.Done()
			for {
				if _, err := c.read(); err != nil {
					return
				}
				got.Add(1)
			}
		}(c)
	}
	p, err := dial(addr)
	if err != nil {
		return 0, err
	}
	defer p.nc.Close()
	msg := "0123456789012345678901234567890123456789012345678901234567890123"
	start := time.Now()
	stop := start.Add(dur)
	sent := int64(0)
	for time.Now().Before(stop) {
		for k := 0; k < 64; k++ {
			p.send("PUBLISH", "fan", msg)
		}
		if err := p.w.Flush(); err != nil {
			return 0, err
		}
		for k := 0; k < 64; k++ {
			if _, err := p.read(); err != nil {
				return 0, err
			}
		}
		sent += 64
		// Keep the subscribers within reach of the publisher, so the rate
		// is delivery, not buffering.
		for got.Load() < (sent-256)*int64(subs) && time.Now().Before(stop.Add(5*time.Second)) {
			time.Sleep(50 * time.Microsecond)
		}
	}
	want := sent * int64(subs)
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	for _, c := range conns {
		c.nc.Close()
	}
	wg.Wait()
	if got.Load() < want {
		return 0, fmt.Errorf("fanout: %d of %d messages delivered", got.Load(), want)
	}
	return float64(got.Load()) / el.Seconds(), nil
}
