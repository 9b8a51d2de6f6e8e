// Command cmdrecord records Redis 7.0's command table from a running
// redis-server into the JSON that package internal/command embeds, and,
// optionally, raw replies and COMMAND GETKEYS results into that package's
// testdata for its byte-identity tests.
//
//	go run ./tools/cmdrecord -addr 127.0.0.1:PORT -out internal/command/data/commands.json -testdata internal/command/testdata
//
// record.sh starts a throwaway redis-server and does exactly that.
//
// It uses its own minimal RESP client (resp.go) and its own copy of the JSON
// schema (model.go), so that it builds even when the command package's data
// is missing or stale. Redis's command summaries are never written out:
// Taconite keeps its own in internal/command/data/summaries.json.
package main
