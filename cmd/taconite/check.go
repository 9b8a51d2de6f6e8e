package main

import (
	"fmt"
	"os"
	"time"

	"github.com/taconite/taconite/internal/aof"
	"github.com/taconite/taconite/internal/rdb"
)

// checkTool runs `taconite check-rdb FILE` or `taconite check-aof [--fix]
// FILE` (redis-check-rdb and redis-check-aof) and reports whether args
// named one; it exits with status 1 on a damaged file.
func checkTool(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "check-rdb":
		if len(args) != 2 {
			fmt.Fprintln(os.Stderr, "Usage: taconite check-rdb <rdb-file-name>")
			os.Exit(1)
		}
		f, err := os.Open(args[1])
		if err == nil {
			_, err = rdb.Check(f, os.Stdout, args[1], time.Now())
			f.Close()
		}
		if err != nil {
			fmt.Printf("--- RDB ERROR DETECTED ---\n%v\n", err)
			os.Exit(1)
		}
		return true
	case "check-aof":
		fix := len(args) == 3 && args[1] == "--fix"
		if len(args) != 2 && !fix {
			fmt.Fprintln(os.Stderr, "Usage: taconite check-aof [--fix] <file.manifest|file.aof>")
			os.Exit(1)
		}
		if err := aof.Check(args[len(args)-1], fix, os.Stdout); err != nil {
			fmt.Printf("AOF is not valid: %v\n", err)
			os.Exit(1)
		}
		return true
	}
	return false
}
