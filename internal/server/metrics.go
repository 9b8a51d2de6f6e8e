package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The metrics listener (metrics-port, metrics-bind): a small HTTP server
// beside the Redis port, so that Prometheus, Kubernetes probes and load
// balancers need no exporter sidecar speaking RESP.
//
//	GET /metrics  Prometheus text exposition, under the names redis_exporter
//	              uses, so existing dashboards work unchanged
//	GET /ready    200 once the data is loaded, 503 while loading
//	GET /health   200 while the server runs
//
// It starts before the data is loaded, so /ready answers 503 meanwhile,
// and stops first on shutdown. The figures come from the same counters
// INFO reads.

// startMetrics opens metrics-bind:metrics-port (nothing when the port is
// 0) and serves it on its own goroutines; stop closes it and waits for
// the requests in flight. stop may be called more than once.
func (s *Server) startMetrics() (stop func(), err error) {
	port := s.cfg.Int("metrics-port")
	if port == 0 {
		return func() {}, nil
	}
	host := s.cfg.String("metrics-bind")
	if host == "*" {
		host = ""
	}
	addr := net.JoinHostPort(host, strconv.FormatInt(port, 10))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("Could not create metrics listening socket %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /ready", s.serveReady)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warningf("Metrics listener stopped: %v", err)
		}
	}()
	s.log.Noticef("Metrics on http://%s/metrics", ln.Addr())
	var once sync.Once
	return func() {
		once.Do(func() {
			// A scrape holds no lock the shutdown needs; a second is
			// plenty for the one in flight to finish.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if hs.Shutdown(ctx) != nil {
				hs.Close()
			}
			<-done
		})
	}, nil
}

// ready reports whether the data is loaded and commands are served.
func (s *Server) ready() bool {
	select {
	case <-s.readyCh:
		return !s.persist.loading.Load()
	default:
		return false
	}
}

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("loading\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

// promWriter writes the text exposition format: each family's HELP and
// TYPE lines once, before its first sample.
type promWriter struct {
	b    strings.Builder
	last string
}

func (p *promWriter) family(name, typ, help string) {
	if p.last == name {
		return
	}
	p.last = name
	fmt.Fprintf(&p.b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (p *promWriter) gauge(name, help string, v float64) {
	p.family(name, "gauge", help)
	p.sample(name, "", "", v)
}

func (p *promWriter) counter(name, help string, v float64) {
	p.family(name, "counter", help)
	p.sample(name, "", "", v)
}

// sample writes one line, with at most one label.
func (p *promWriter) sample(name, label, value string, v float64) {
	p.b.WriteString(name)
	if label != "" {
		p.b.WriteString("{" + label + `="` + promEscape(value) + `"}`)
	}
	p.b.WriteByte(' ')
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		// Counts and timestamps as integers, not 1.796548884e+09.
		p.b.WriteString(strconv.FormatInt(int64(v), 10))
	} else {
		p.b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
	p.b.WriteByte('\n')
}

// promEscape escapes a label value: backslash, double quote, newline.
func promEscape(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	var p promWriter
	s.writeMetrics(&p)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(p.b.String()))
}

// writeMetrics gathers the figures of INFO's server, clients, memory,
// persistence, stats, commandstats and keyspace sections.
func (s *Server) writeMetrics(p *promWriter) {
	p.gauge("redis_up", "Information about the Redis instance", 1)
	p.gauge("redis_uptime_in_seconds", "uptime_in_seconds metric", float64(int64(time.Since(s.startTime).Seconds())))

	s.mu.Lock()
	clients := len(s.clients)
	s.mu.Unlock()
	p.gauge("redis_connected_clients", "connected_clients metric", float64(clients))
	p.gauge("redis_blocked_clients", "blocked_clients metric", float64(s.blocked.count.Load()))

	s.calibrate()
	p.gauge("redis_memory_used_bytes", "used_memory metric", float64(s.usedMemory()))
	p.gauge("redis_memory_max_bytes", "maxmemory metric", float64(maxmemoryOf(s.cfg)))
	ops, inKbps, outKbps := s.instantRates()
	p.gauge("redis_instantaneous_ops_per_sec", "instantaneous_ops_per_sec metric", float64(ops))
	p.gauge("redis_instantaneous_input_kbps", "instantaneous_input_kbps metric", inKbps)
	p.gauge("redis_instantaneous_output_kbps", "instantaneous_output_kbps metric", outKbps)

	lt := s.totals()
	t := s.ks.Totals()
	p.counter("redis_commands_processed_total", "total_commands_processed metric", float64(lt.commands))
	p.counter("redis_connections_received_total", "total_connections_received metric", float64(s.stats.connections.Load()))
	p.counter("redis_keyspace_hits_total", "keyspace_hits metric", float64(t.KeyspaceHits))
	p.counter("redis_keyspace_misses_total", "keyspace_misses metric", float64(t.KeyspaceMiss))
	p.counter("redis_expired_keys_total", "expired_keys metric", float64(t.ExpiredKeys))
	p.counter("redis_evicted_keys_total", "evicted_keys metric", float64(t.EvictedKeys))
	p.counter("redis_net_input_bytes_total", "total_net_input_bytes metric", float64(lt.netIn))
	p.counter("redis_net_output_bytes_total", "total_net_output_bytes metric", float64(lt.netOut))

	// As INFO's keyspace section lists only databases holding keys, but
	// db0 always, so that its series exist from the start.
	info := s.ks.Info()
	for _, f := range []struct {
		name, help string
		get        func(i int) int
	}{
		{"redis_db_keys", "Total number of keys by DB", func(i int) int { return info[i].Keys }},
		{"redis_db_keys_expiring", "Total number of expiring keys by DB", func(i int) int { return info[i].Expires }},
	} {
		p.family(f.name, "gauge", f.help)
		for i := range info {
			if i == 0 || info[i].Keys > 0 {
				p.sample(f.name, "db", "db"+strconv.Itoa(i), float64(f.get(i)))
			}
		}
	}

	cmds := s.allCommands()
	type stat struct{ calls, usec int64 }
	stats := make([]stat, len(cmds))
	for i, cmd := range cmds {
		stats[i].calls, stats[i].usec, _, _ = s.commandStat(cmd.ID)
	}
	p.family("redis_commands_total", "counter", "Total number of calls per command")
	for i, cmd := range cmds {
		if stats[i].calls > 0 {
			p.sample("redis_commands_total", "cmd", cmd.FullName(), float64(stats[i].calls))
		}
	}
	p.family("redis_commands_duration_seconds_total", "counter", "Total amount of time in seconds spent per command")
	for i, cmd := range cmds {
		if stats[i].calls > 0 {
			p.sample("redis_commands_duration_seconds_total", "cmd", cmd.FullName(), float64(stats[i].usec)/1e6)
		}
	}

	// Read through INFO's own field callback, whatever integer types
	// persist.go keeps them in.
	var changes, lastSave float64
	s.persistInfo(func(name string, v any) {
		switch name {
		case "rdb_changes_since_last_save":
			changes, _ = strconv.ParseFloat(fmt.Sprint(v), 64)
		case "rdb_last_save_time":
			lastSave, _ = strconv.ParseFloat(fmt.Sprint(v), 64)
		}
	})
	p.gauge("redis_rdb_last_save_timestamp_seconds", "rdb_last_save_time metric", lastSave)
	p.gauge("redis_rdb_changes_since_last_save", "rdb_changes_since_last_save metric", changes)
	p.gauge("redis_loading_dump_file", "loading metric", b2f(s.persist.loading.Load()))
	p.gauge("redis_aof_enabled", "aof_enabled metric", b2f(s.aofLog.Load() != nil))
}
