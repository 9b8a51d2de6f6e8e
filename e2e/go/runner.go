package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"
)

// The check runner: each check prints one line that e2e/run.sh reads
// ("##e2e PASS|FAIL go-redis/<check> [reason]"), and the scenario ends with
// "##e2e DONE". Which failures are expected is decided by run.sh from
// e2e/xfail.txt, never here.

const scenario = "go-redis"

// T is handed to a check; its failure methods end the check at once.
type T struct {
	ctx context.Context
}

// failure carries a failed assertion out of a check through panic, so a
// check reads as straight-line code.
type failure struct{ msg string }

func (t *T) Fatalf(format string, args ...any) {
	panic(failure{msg: fmt.Sprintf(format, args...) + caller()})
}

// caller names the first line outside this file: the assertion in a check.
func caller() string {
	for skip := 1; skip < 10; skip++ {
		_, file, line, ok := runtime.Caller(skip)
		if !ok {
			break
		}
		if filepath.Base(file) != "runner.go" {
			return fmt.Sprintf(" (%s:%d)", filepath.Base(file), line)
		}
	}
	return ""
}

// NoErr fails the check if err is not nil.
func (t *T) NoErr(err error) {
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// Eq fails the check unless got and want are deeply equal.
func (t *T) Eq(got, want any, what string) {
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %#v, want %#v", what, got, want)
	}
}

// True fails the check unless cond holds.
func (t *T) True(cond bool, what string) {
	if !cond {
		t.Fatalf("%s", what)
	}
}

type runner struct {
	failed map[string]bool
}

type opt struct {
	timeout time.Duration
	needs   []string
}

// check runs fn as check `name`, bounded in time. A check that does not
// return in time is reported as failed and left behind; the process exits
// when all checks are done.
func (r *runner) check(name string, o opt, fn func(t *T)) {
	full := scenario + "/" + name
	var missing []string
	for _, n := range o.needs {
		if r.failed[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		r.failed[name] = true
		emit("FAIL %s not run: needs %s", full, strings.Join(missing, ", "))
		return
	}
	if o.timeout == 0 {
		o.timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	done := make(chan string, 1)
	go func() {
		defer func() {
			switch p := recover().(type) {
			case nil:
				done <- ""
			case failure:
				done <- p.msg
			default:
				done <- fmt.Sprintf("panic: %v%s", p, caller())
			}
		}()
		fn(&T{ctx: ctx})
	}()
	var msg string
	select {
	case msg = <-done:
	case <-time.After(o.timeout + 2*time.Second):
		msg = fmt.Sprintf("check timed out after %v", o.timeout)
	}
	if msg == "" {
		emit("PASS %s", full)
		return
	}
	r.failed[name] = true
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	emit("FAIL %s %s", full, msg)
}

func emit(format string, args ...any) {
	fmt.Fprintf(os.Stdout, "##e2e "+format+"\n", args...)
}
