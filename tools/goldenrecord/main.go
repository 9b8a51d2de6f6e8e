// Command goldenrecord records the golden files of the compatibility tests
// from a real redis-server.
//
//	go run ./tools/goldenrecord -addr 127.0.0.1:PORT testdata/compat/*.txt
//	go run ./tools/goldenrecord -server redis-server testdata/compat/*.txt
//
// With -addr it uses a server that is already running (which should have
// been started with compat.ServerArgs()). With -server it starts the given
// redis-server binary itself on a free 127.0.0.1 port with those arguments,
// records, and stops it by its PID. Before each script the server is
// flushed and new connections are opened, as the test runner does.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/tests/compat"
)

func main() {
	addr := flag.String("addr", "", "host:port of a running redis-server to record from")
	server := flag.String("server", "", "redis-server binary to start on a free port for the recording")
	keep := flag.Bool("keep", true, "keep a golden reply that the new one still matches under the step's directives (a TIME, an id, an unordered reply), so re-recording only changes what really changed")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: goldenrecord (-addr host:port | -server redis-server) script.txt...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if (*addr == "") == (*server == "") || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*addr, *server, *keep, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "goldenrecord:", err)
		os.Exit(1)
	}
}

func run(addr, server string, keep bool, scripts []string) error {
	// Parse everything first so that a typo in one script does not leave
	// half of the golden files re-recorded.
	parsed := make([]*compat.Script, 0, len(scripts))
	for _, path := range scripts {
		s, err := compat.ParseScriptFile(path)
		if err != nil {
			return err
		}
		parsed = append(parsed, s)
	}
	if server != "" {
		srv, err := startRedis(server)
		if err != nil {
			return err
		}
		defer srv.stop()
		addr = srv.addr
	}
	version, err := serverVersion(addr)
	if err != nil {
		return err
	}
	for _, s := range parsed {
		if err := record(addr, version, keep, s); err != nil {
			return err
		}
	}
	return nil
}

func record(addr, version string, keep bool, s *compat.Script) error {
	if err := compat.ResetServer(addr); err != nil {
		return fmt.Errorf("resetting the server before %s: %w", s.Path, err)
	}
	replies, errs := compat.Run(addr, s.Steps)
	for i, err := range errs {
		step := s.Steps[i]
		if err != nil {
			return fmt.Errorf("%s:%d: %s: %w", s.Path, step.Line, step.Text, err)
		}
		// A reply that fails its own directive (a TTL outside its !range,
		// a scalar under !unordered) means the script is wrong.
		if why := compat.Compare(step.Check, replies[i], replies[i]); why != "" {
			return fmt.Errorf("%s:%d: %s: the reference reply %q does not satisfy the directive: %s", s.Path, step.Line, step.Text, replies[i], why)
		}
	}
	kept := 0
	if keep {
		kept = keepOld(s, replies)
	}
	header := fmt.Sprintf("Golden replies for %s, recorded from redis-server %s by tools/goldenrecord.\nDo not edit: change the script and run `make golden`.",
		filepath.Base(s.Path), version)
	out := compat.FormatGolden(header, s.Steps, replies)
	path := compat.GoldenPath(s.Path)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d commands (%d equivalent replies kept from the old file)\n", path, len(s.Steps), kept)
	return nil
}

// keepOld replaces each new reply by the one already in the golden file
// when that entry is for the same step and the new reply still passes the
// step's comparison against it. Replies that legitimately vary (times, ids,
// the order of unordered replies) would otherwise churn on every recording.
func keepOld(s *compat.Script, replies [][]byte) int {
	old, err := compat.ParseGoldenFile(compat.GoldenPath(s.Path))
	if err != nil {
		return 0
	}
	kept := 0
	for i, step := range s.Steps {
		if i >= len(old) || compat.MatchScript(s.Steps[i:i+1], old[i:i+1]) != nil {
			continue
		}
		if compat.Compare(step.Check, old[i].Reply, replies[i]) == "" && !bytes.Equal(old[i].Reply, replies[i]) {
			replies[i] = old[i].Reply
			kept++
		}
	}
	return kept
}

// serverVersion asks the server for its version, which goes into each golden
// file's header to say what the replies came from.
func serverVersion(addr string) (string, error) {
	sess := compat.NewSession(addr)
	defer sess.Close()
	args := [][]byte{[]byte("INFO"), []byte("server")}
	reply, err := sess.Do(compat.Step{Text: "INFO server", Args: args, Conn: compat.MainConn})
	if err != nil {
		return "", fmt.Errorf("INFO server: %w", err)
	}
	v, err := resp.ReadReply(bufio.NewReader(bytes.NewReader(reply)))
	if err != nil || v.Type != '$' {
		return "", fmt.Errorf("INFO server replied %q", reply)
	}
	for _, line := range strings.Split(string(v.Str), "\r\n") {
		if ver, ok := strings.CutPrefix(line, "redis_version:"); ok {
			return ver, nil
		}
	}
	return "", errors.New("INFO server has no redis_version")
}

type redisProc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startRedis starts redis-server on a free loopback port and returns once
// its log says it accepts connections.
func startRedis(binary string) (*redisProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--daemonize", "no"}, compat.ServerArgs()...)
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &redisProc{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		// Read the log until the server says it is ready, then keep
		// draining it so the server never blocks on a full pipe.
		sc := bufio.NewScanner(stdout)
		var log []string
		signalled := false
		for sc.Scan() {
			if !signalled {
				log = append(log, sc.Text())
				if strings.Contains(sc.Text(), "Ready to accept connections") {
					ready <- nil
					signalled = true
				}
			}
		}
		if !signalled {
			ready <- fmt.Errorf("redis-server exited before it was ready; its log:\n%s", strings.Join(log, "\n"))
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(p.done)
	}()
	select {
	case err := <-ready:
		if err != nil {
			p.stop()
			return nil, err
		}
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, errors.New("redis-server did not become ready within 30s")
	}
	fmt.Printf("recording from redis-server pid %d on %s\n", cmd.Process.Pid, p.addr)
	return p, nil
}

// stop kills the server by its PID and waits for it to exit.
func (p *redisProc) stop() {
	p.cmd.Process.Kill()
	<-p.done
}

// freePort asks the kernel for a port nobody uses right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
