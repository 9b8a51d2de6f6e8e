package server

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// INFO [section ...]: Redis's field names and section order, so tools that
// scrape INFO (and clients that read redis_version) work unchanged.

var infoDefault = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}
var infoAll = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}

func cmdInfo(c *client, argv [][]byte) {
	want := map[string]bool{}
	if len(argv) == 1 {
		for _, s := range infoDefault {
			want[s] = true
		}
	}
	for _, a := range argv[1:] {
		s := strings.ToLower(string(a))
		switch s {
		case "default":
			for _, d := range infoDefault {
				want[d] = true
			}
		case "all", "everything":
			for _, d := range infoAll {
				want[d] = true
			}
		default:
			want[s] = true
		}
	}
	var b strings.Builder
	for _, sec := range infoAll {
		if !want[sec] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		c.s.infoSection(&b, sec)
	}
	c.replyVerbatim(b.String())
}

func field(b *strings.Builder, name string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, v)
}

// humanBytes formats like Redis's bytesToHuman.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return fmt.Sprintf("%dB", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.2fK", f/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.2fM", f/(1024*1024))
	case n < 1024*1024*1024*1024:
		return fmt.Sprintf("%.2fG", f/(1024*1024*1024))
	}
	return fmt.Sprintf("%.2fT", f/(1024*1024*1024*1024))
}

// rss reads the resident set size from /proc, the only memory figure
// comparable with Redis's used_memory_rss.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

func (s *Server) infoSection(b *strings.Builder, sec string) {
	switch sec {
	case "server":
		b.WriteString("# Server\r\n")
		field(b, "redis_version", RedisVersion)
		field(b, "redis_git_sha1", "00000000")
		field(b, "redis_git_dirty", 0)
		field(b, "redis_build_id", "0")
		field(b, "redis_mode", "standalone")
		var u syscall.Utsname
		osName := runtime.GOOS
		if syscall.Uname(&u) == nil {
			osName = fmt.Sprintf("%s %s %s", cstr(u.Sysname[:]), cstr(u.Release[:]), cstr(u.Machine[:]))
		}
		field(b, "os", osName)
		field(b, "arch_bits", strconv.IntSize)
		field(b, "monotonic_clock", "POSIX clock_gettime")
		field(b, "multiplexing_api", "epoll")
		field(b, "atomicvar_api", "c11-builtin")
		field(b, "gcc_version", "0.0.0")
		field(b, "process_id", os.Getpid())
		field(b, "process_supervised", "no")
		field(b, "run_id", s.runID)
		field(b, "tcp_port", s.cfg.Int("port"))
		now := time.Now()
		field(b, "server_time_usec", now.UnixMicro())
		up := now.Sub(s.startTime)
		field(b, "uptime_in_seconds", int64(up.Seconds()))
		field(b, "uptime_in_days", int64(up.Hours()/24))
		field(b, "hz", s.cfg.Int("hz"))
		field(b, "configured_hz", s.cfg.Int("hz"))
		field(b, "lru_clock", now.Unix()&(1<<24-1))
		exe, _ := os.Executable()
		field(b, "executable", exe)
		field(b, "config_file", s.cfg.File())
		field(b, "io_threads_active", 0)
		field(b, "taconite_version", Version)
		field(b, "go_version", runtime.Version())
	case "clients":
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		b.WriteString("# Clients\r\n")
		field(b, "connected_clients", n)
		field(b, "cluster_connections", 0)
		field(b, "maxclients", s.maxClients.Load())
		field(b, "client_recent_max_input_buffer", 0)
		field(b, "client_recent_max_output_buffer", 0)
		field(b, "blocked_clients", s.blocked.count.Load())
		field(b, "tracking_clients", 0)
		field(b, "clients_in_timeout_table", 0)
	case "memory":
		s.infoMemory(b)
	case "persistence":
		b.WriteString("# Persistence\r\n")
		s.loadingInfo(func(name string, v any) { field(b, name, v) }, false)
		field(b, "async_loading", 0)
		field(b, "current_cow_peak", 0)
		field(b, "current_cow_size", 0)
		field(b, "current_fork_perc", "0.00")
		s.persistInfo(func(name string, v any) { field(b, name, v) })
		aofOn := 0
		if s.aofLog.Load() != nil {
			aofOn = 1
		}
		field(b, "aof_enabled", aofOn)
		s.aofInfo(func(name string, v any) { field(b, name, v) })
		field(b, "aof_last_write_status", "ok")
		s.loadingInfo(func(name string, v any) { field(b, name, v) }, true)
	case "stats":
		t := s.ks.Totals()
		lt := s.totals()
		b.WriteString("# Stats\r\n")
		field(b, "total_connections_received", s.stats.connections.Load())
		field(b, "total_commands_processed", lt.commands)
		ops, inKbps, outKbps := s.instantRates()
		field(b, "instantaneous_ops_per_sec", ops)
		field(b, "total_net_input_bytes", lt.netIn)
		field(b, "total_net_output_bytes", lt.netOut)
		field(b, "total_net_repl_input_bytes", 0)
		field(b, "total_net_repl_output_bytes", 0)
		field(b, "instantaneous_input_kbps", fmt.Sprintf("%.2f", inKbps))
		field(b, "instantaneous_output_kbps", fmt.Sprintf("%.2f", outKbps))
		field(b, "rejected_connections", s.stats.rejectedConns.Load())
		field(b, "sync_full", 0)
		field(b, "sync_partial_ok", 0)
		field(b, "sync_partial_err", 0)
		field(b, "expired_keys", t.ExpiredKeys)
		field(b, "expired_stale_perc", "0.00")
		field(b, "expired_time_cap_reached_count", 0)
		field(b, "evicted_keys", t.EvictedKeys)
		field(b, "evicted_clients", s.clientEvict.evicted.Load())
		total, current := s.exceededTimes()
		field(b, "total_eviction_exceeded_time", total)
		field(b, "current_eviction_exceeded_time", current)
		field(b, "keyspace_hits", t.KeyspaceHits)
		field(b, "keyspace_misses", t.KeyspaceMiss)
		ch, pat, sh := s.pubsubCounts()
		field(b, "pubsub_channels", ch)
		field(b, "pubsub_patterns", pat)
		field(b, "pubsubshard_channels", sh)
		field(b, "latest_fork_usec", 0)
		field(b, "total_forks", 0)
		field(b, "migrate_cached_sockets", 0)
		tk, ti, tp := s.trackingCounts()
		field(b, "tracking_total_keys", tk)
		field(b, "tracking_total_items", ti)
		field(b, "tracking_total_prefixes", tp)
		field(b, "unexpected_error_replies", s.stats.unexpectedError.Load())
		field(b, "total_error_replies", s.errStats.total())
		field(b, "dump_payload_sanitizations", 0)
	case "replication":
		b.WriteString("# Replication\r\n")
		field(b, "role", "master")
		field(b, "connected_slaves", 0)
		field(b, "master_failover_state", "no-failover")
		field(b, "master_replid", s.runID)
		field(b, "master_replid2", strings.Repeat("0", 40))
		field(b, "master_repl_offset", 0)
		field(b, "second_repl_offset", -1)
		field(b, "repl_backlog_active", 0)
		field(b, "repl_backlog_size", s.cfg.Int("repl-backlog-size"))
		field(b, "repl_backlog_first_byte_offset", 0)
		field(b, "repl_backlog_histlen", 0)
	case "cpu":
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		b.WriteString("# CPU\r\n")
		field(b, "used_cpu_sys", fmt.Sprintf("%d.%06d", ru.Stime.Sec, ru.Stime.Usec))
		field(b, "used_cpu_user", fmt.Sprintf("%d.%06d", ru.Utime.Sec, ru.Utime.Usec))
		field(b, "used_cpu_sys_children", "0.000000")
		field(b, "used_cpu_user_children", "0.000000")
	case "modules":
		b.WriteString("# Modules\r\n")
	case "commandstats":
		b.WriteString("# Commandstats\r\n")
		for _, cmd := range s.allCommands() {
			calls, usec, rejected, failed := s.commandStat(cmd.ID)
			if calls == 0 && rejected == 0 && failed == 0 {
				continue
			}
			per := 0.0
			if calls > 0 {
				per = float64(usec) / float64(calls)
			}
			fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
				cmd.FullName(), calls, usec, per, rejected, failed)
		}
	case "errorstats":
		b.WriteString("# Errorstats\r\n")
		s.errStats.mu.Lock()
		codes := make([]string, 0, len(s.errStats.m))
		for k := range s.errStats.m {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		for _, k := range codes {
			fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", k, s.errStats.m[k])
		}
		s.errStats.mu.Unlock()
	case "latencystats":
		b.WriteString("# Latencystats\r\n")
		s.infoLatencyStats(b)
	case "cluster":
		b.WriteString("# Cluster\r\n")
		field(b, "cluster_enabled", 0)
	case "keyspace":
		b.WriteString("# Keyspace\r\n")
		for db, in := range s.ks.Info() {
			if in.Keys > 0 {
				fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, in.Keys, in.Expires)
			}
		}
	}
}

// infoMemory is INFO's memory section: Redis's fields, from the figures
// a Go heap has. used_memory is evict.go's estimate of the live heap; the
// allocator_* fields are the Go heap's allocated bytes (live data and
// garbage not yet collected), the spans in use, and the heap memory held
// from the operating system. runtime/metrics is read rather than
// runtime.ReadMemStats, which stops the world.
func (s *Server) infoMemory(b *strings.Builder) {
	s.calibrate()
	m := [8]metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/heap/objects:objects"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/gomemlimit:bytes"},
		{Name: "/memory/classes/total:bytes"},
	}
	metrics.Read(m[:])
	allocated := int64(m[0].Value.Uint64())
	active := allocated + int64(m[1].Value.Uint64())
	resident := active + int64(m[2].Value.Uint64())
	used := s.usedMemory()
	peak := max(s.evict.peak.Load(), used)
	startup := min(s.evict.startup.Load(), used)
	r := rss()
	ratio := func(a, b int64) string {
		if b <= 0 {
			return "0.00"
		}
		return fmt.Sprintf("%.2f", float64(a)/float64(b))
	}
	perc := func(a, b int64) string {
		if b <= 0 {
			return "0.00%"
		}
		return fmt.Sprintf("%.2f%%", float64(a)*100/float64(b))
	}
	b.WriteString("# Memory\r\n")
	field(b, "used_memory", used)
	field(b, "used_memory_human", humanBytes(used))
	field(b, "used_memory_rss", r)
	field(b, "used_memory_rss_human", humanBytes(r))
	field(b, "used_memory_peak", peak)
	field(b, "used_memory_peak_human", humanBytes(peak))
	field(b, "used_memory_peak_perc", perc(used, peak))
	field(b, "used_memory_overhead", startup)
	field(b, "used_memory_startup", startup)
	field(b, "used_memory_dataset", used-startup)
	field(b, "used_memory_dataset_perc", perc(used-startup, used-startup))
	field(b, "allocator_allocated", allocated)
	field(b, "allocator_active", active)
	field(b, "allocator_resident", resident)
	var si syscall.Sysinfo_t
	var total int64
	if syscall.Sysinfo(&si) == nil {
		total = int64(si.Totalram) * int64(si.Unit)
	}
	field(b, "total_system_memory", total)
	field(b, "total_system_memory_human", humanBytes(total))
	field(b, "used_memory_lua", 0)
	field(b, "used_memory_vm_eval", 0)
	field(b, "used_memory_lua_human", humanBytes(0))
	field(b, "used_memory_scripts_eval", 0)
	field(b, "number_of_cached_scripts", s.scripts.e.Count())
	field(b, "number_of_functions", 0)
	field(b, "number_of_libraries", 0)
	field(b, "used_memory_vm_functions", 0)
	field(b, "used_memory_vm_total", 0)
	field(b, "used_memory_vm_total_human", humanBytes(0))
	field(b, "used_memory_functions", 0)
	field(b, "used_memory_scripts", 0)
	field(b, "used_memory_scripts_human", humanBytes(0))
	mm := maxmemoryOf(s.cfg)
	field(b, "maxmemory", mm)
	field(b, "maxmemory_human", humanBytes(mm))
	field(b, "maxmemory_policy", s.cfg.String("maxmemory-policy"))
	field(b, "allocator_frag_ratio", ratio(active, allocated))
	field(b, "allocator_frag_bytes", active-allocated)
	field(b, "allocator_rss_ratio", ratio(resident, active))
	field(b, "allocator_rss_bytes", resident-active)
	field(b, "rss_overhead_ratio", ratio(r, resident))
	field(b, "rss_overhead_bytes", r-resident)
	field(b, "mem_fragmentation_ratio", ratio(r, used))
	field(b, "mem_fragmentation_bytes", r-used)
	field(b, "mem_not_counted_for_evict", 0)
	field(b, "mem_replication_backlog", 0)
	field(b, "mem_total_replication_buffers", 0)
	field(b, "mem_clients_slaves", 0)
	field(b, "mem_clients_normal", 0)
	field(b, "mem_cluster_links", 0)
	field(b, "mem_aof_buffer", 0)
	field(b, "mem_allocator", "go-"+runtime.Version())
	field(b, "active_defrag_running", 0)
	field(b, "lazyfree_pending_objects", 0)
	field(b, "lazyfreed_objects", 0)
	// Taconite's own: the Go runtime's figures behind the above.
	field(b, "go_heap_live", m[3].Value.Uint64())
	field(b, "go_heap_inuse", active)
	field(b, "go_heap_objects", m[4].Value.Uint64())
	field(b, "go_gc_cycles", m[5].Value.Uint64())
	field(b, "go_memory_limit", m[6].Value.Uint64())
	field(b, "go_memory_total", m[7].Value.Uint64())
	field(b, "keyspace_data_bytes", s.ks.DataBytes())
}

func (e *errStats) total() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var n int64
	for _, v := range e.m {
		n += v
	}
	return n
}

func cstr(b []int8) string {
	var out []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}
