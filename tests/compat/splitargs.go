package compat

import (
	"errors"

	"github.com/taconite/taconite/internal/resp"
)

// SplitArgs splits a script line into arguments with redis-cli's rules
// (Redis's sdssplitargs, implemented once in resp.SplitArgs).
func SplitArgs(line string) ([][]byte, error) {
	args, ok := resp.SplitArgs([]byte(line))
	if !ok {
		return nil, errors.New("unbalanced quotes")
	}
	return args, nil
}
