// Command taconite runs the Taconite server. It takes the same arguments as
// redis-server: an optional configuration file, then --directive value
// pairs (taconite --port 6380 --save "" --appendonly no).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/taconite/taconite/internal/acl"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/server"
)

const usage = `Usage: taconite [/path/to/redis.conf] [options] [-]
       taconite - (read config from stdin)
       taconite -v or --version
       taconite -h or --help
       taconite check-rdb <file.rdb>
       taconite check-aof [--fix] <file.manifest|file.aof>

Taconite is an in-memory data store compatible with Redis %s.
It reads redis.conf files and accepts every redis-server directive.

Examples:
       taconite (run the server with default config)
       taconite /etc/redis/6379.conf
       taconite --port 7777
       taconite --port 7777 --replicaof 127.0.0.1 8888
       taconite /etc/myredis.conf --loglevel verbose -
       taconite /etc/myredis.conf --loglevel verbose
`

func main() {
	args := os.Args[1:]
	if checkTool(args) {
		return
	}
	if len(args) == 1 {
		switch args[0] {
		case "-v", "--version":
			fmt.Printf("Taconite server v=%s (Redis %s compatible)\n", server.Version, server.RedisVersion)
			return
		case "-h", "--help":
			fmt.Printf(usage, server.RedisVersion)
			return
		}
	}
	cfg := config.New()
	// rename-command names and the rules of user directives are checked
	// against the command table while the file is read, as redis-server
	// does.
	cmds := command.Default()
	cfg.SetChecks(config.Checks{
		CommandExists: func(name string) bool { return cmds.Lookup([]byte(name)) != nil },
		UserRules: func(rules []string) (int, string) {
			return acl.CheckRules(cmds, rules, false)
		},
	})
	if err := cfg.LoadArgs(args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// TACONITE_CPUPROFILE=file writes a Go CPU profile of the whole run,
	// for performance work.
	if path := os.Getenv("TACONITE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv := server.New(cfg)
	// Like redis-server, refuse to run with users that did not load.
	if err := srv.ReportACLStartup(); err != nil {
		os.Exit(1)
	}
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
