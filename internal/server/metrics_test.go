package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/servertest"
)

// freePort is a port the kernel just handed out and took back, for the
// metrics listener (which, unlike the Redis port, cannot be injected).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func httpGet(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	cl := &http.Client{Timeout: 5 * time.Second}
	r, err := cl.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, string(b), r.Header
}

// scrape reads /metrics into series -> value, checking that every family
// has its HELP and TYPE lines before its samples.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	code, body, h := httpGet(t, base+"/metrics")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %q", code, h.Get("Content-Type"))
	}
	out := map[string]float64{}
	helped, typed := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "#" {
			switch f[1] {
			case "HELP":
				helped[f[2]] = true
			case "TYPE":
				typed[f[2]] = true
				if f[3] != "gauge" && f[3] != "counter" {
					t.Errorf("type %q", line)
				}
				if strings.HasSuffix(f[2], "_total") != (f[3] == "counter") {
					t.Errorf("counters and only they end in _total: %q", line)
				}
			}
			continue
		}
		series, val, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		name, _, _ := strings.Cut(series, "{")
		if !helped[name] || !typed[name] {
			t.Errorf("%s: sample before HELP/TYPE", name)
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("bad value in %q", line)
		}
		if _, dup := out[series]; dup {
			t.Errorf("%s twice", series)
		}
		out[series] = v
	}
	return out
}

func TestMetricsEndpoints(t *testing.T) {
	port := freePort(t)
	s := servertest.Start(t, "--metrics-port", port)
	base := "http://127.0.0.1:" + port

	if code, body, _ := httpGet(t, base+"/health"); code != 200 || body != "ok\n" {
		t.Errorf("/health: %d %q", code, body)
	}
	if code, body, _ := httpGet(t, base+"/ready"); code != 200 || body != "ready\n" {
		t.Errorf("/ready: %d %q", code, body)
	}
	if code, _, _ := httpGet(t, base+"/nosuch"); code != 404 {
		t.Errorf("/nosuch: %d", code)
	}

	before := scrape(t, base)
	for _, name := range []string{
		"redis_up", "redis_uptime_in_seconds", "redis_connected_clients", "redis_blocked_clients",
		"redis_memory_used_bytes", "redis_memory_max_bytes", "redis_commands_processed_total",
		"redis_connections_received_total", "redis_keyspace_hits_total", "redis_keyspace_misses_total",
		"redis_expired_keys_total", "redis_evicted_keys_total", "redis_net_input_bytes_total",
		"redis_net_output_bytes_total", `redis_db_keys{db="db0"}`, `redis_db_keys_expiring{db="db0"}`,
		"redis_rdb_last_save_timestamp_seconds", "redis_rdb_changes_since_last_save",
		"redis_loading_dump_file", "redis_aof_enabled",
	} {
		if _, ok := before[name]; !ok {
			t.Errorf("no series %s", name)
		}
	}
	if before["redis_up"] != 1 || before["redis_loading_dump_file"] != 0 || before["redis_aof_enabled"] != 0 ||
		before[`redis_db_keys{db="db0"}`] != 0 || before["redis_memory_used_bytes"] <= 0 {
		t.Errorf("initial values: %v", before)
	}
	if _, ok := before[`redis_commands_total{cmd="get"}`]; ok {
		t.Errorf("GET counted before any call")
	}

	c := s.Dial(t)
	c.Do("SET", "k", "v")
	c.Do("SET", "t", "v", "EX", "100")
	c.Do("GET", "k")
	c.Do("GET", "nosuch")
	c.Do("SELECT", "3")
	c.Do("SET", "k3", "v")
	c.Do("CONFIG", "SET", "maxmemory", "100mb")

	after := scrape(t, base)
	for series, want := range map[string]float64{
		`redis_commands_total{cmd="get"}`:        2,
		`redis_commands_total{cmd="set"}`:        3,
		`redis_commands_total{cmd="config|set"}`: 1,
		`redis_db_keys{db="db0"}`:                2,
		`redis_db_keys_expiring{db="db0"}`:       1,
		`redis_db_keys{db="db3"}`:                1,
		`redis_db_keys_expiring{db="db3"}`:       0,
		"redis_keyspace_hits_total":              1,
		"redis_keyspace_misses_total":            1,
		"redis_connected_clients":                1,
		"redis_connections_received_total":       1,
		"redis_rdb_changes_since_last_save":      3,
		"redis_memory_max_bytes":                 100 << 20,
	} {
		if got, ok := after[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if _, ok := after[`redis_commands_duration_seconds_total{cmd="get"}`]; !ok {
		t.Errorf("no GET duration")
	}
	for _, grew := range []string{"redis_commands_processed_total", "redis_net_input_bytes_total", "redis_net_output_bytes_total"} {
		if after[grew] <= before[grew] {
			t.Errorf("%s: %v then %v", grew, before[grew], after[grew])
		}
	}
	if after["redis_commands_processed_total"] != 7 {
		t.Errorf("commands processed %v, want 7", after["redis_commands_processed_total"])
	}

	// Stopped with the server.
	s.Stop()
	cl := &http.Client{Timeout: 2 * time.Second}
	if r, err := cl.Get(base + "/health"); err == nil {
		r.Body.Close()
		t.Errorf("/health answered %d after shutdown", r.StatusCode)
	}
}

// TestMetricsOff: no listener without metrics-port, and CONFIG GET knows
// the parameters.
func TestMetricsOff(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	if r := c.Do("CONFIG", "GET", "metrics-*"); !strings.Contains(r, "$12\r\nmetrics-port\r\n$1\r\n0\r\n") ||
		!strings.Contains(r, "$12\r\nmetrics-bind\r\n$9\r\n127.0.0.1\r\n") {
		t.Errorf("CONFIG GET metrics-*: %q", r)
	}
	if r := c.Do("CONFIG", "SET", "metrics-port", "1234"); !strings.HasPrefix(r, "-ERR CONFIG SET failed") {
		t.Errorf("CONFIG SET metrics-port: %q", r)
	}
}
