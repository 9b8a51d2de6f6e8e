// Package logging writes the server log in Redis's format,
// "pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message", so log scrapers and
// operators used to redis-server read Taconite's log unchanged.
package logging

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Level is a log verbosity, ordered as Redis's loglevel directive.
type Level int

// The levels, with the mark Redis prints for each.
const (
	Debug Level = iota
	Verbose
	Notice
	Warning
	Nothing
)

var marks = [...]byte{'.', '-', '*', '#'}

// ParseLevel maps a loglevel directive value to a Level.
func ParseLevel(s string) (Level, bool) {
	switch s {
	case "debug":
		return Debug, true
	case "verbose":
		return Verbose, true
	case "notice":
		return Notice, true
	case "warning":
		return Warning, true
	case "nothing":
		return Nothing, true
	}
	return Notice, false
}

// Logger is safe for concurrent use.
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	close io.Closer
	level Level
	pid   int
	role  byte
	now   func() time.Time
}

// New returns a logger writing to w at the given level.
func New(w io.Writer, level Level) *Logger {
	return &Logger{w: w, level: level, pid: os.Getpid(), role: 'M', now: time.Now}
}

// Discard returns a logger that writes nothing (tests).
func Discard() *Logger { return New(io.Discard, Nothing) }

// SetLevel changes the verbosity.
func (l *Logger) SetLevel(level Level) {
	l.mu.Lock()
	l.level = level
	l.mu.Unlock()
}

// SetFile redirects the log to path ("" means standard output), as the
// logfile directive does.
func (l *Logger) SetFile(path string) error {
	var w io.Writer = os.Stdout
	var c io.Closer
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		w, c = f, f
	}
	l.mu.Lock()
	old := l.close
	l.w, l.close = w, c
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// Close releases a log file opened by SetFile.
func (l *Logger) Close() {
	l.mu.Lock()
	c := l.close
	l.close = nil
	l.w = io.Discard
	l.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Logf writes one line at level.
func (l *Logger) Logf(level Level, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if level < l.level || level >= Nothing {
		return
	}
	t := l.now()
	fmt.Fprintf(l.w, "%d:%c %s %c %s\n", l.pid, l.role, t.Format("02 Jan 2006 15:04:05.000"), marks[level], fmt.Sprintf(format, args...))
}

// Debugf, Verbosef, Noticef and Warningf log at their levels.
func (l *Logger) Debugf(format string, args ...any)   { l.Logf(Debug, format, args...) }
func (l *Logger) Verbosef(format string, args ...any) { l.Logf(Verbose, format, args...) }
func (l *Logger) Noticef(format string, args ...any)  { l.Logf(Notice, format, args...) }
func (l *Logger) Warningf(format string, args ...any) { l.Logf(Warning, format, args...) }
