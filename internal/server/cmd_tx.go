package server

// Commands of transactions: MULTI EXEC DISCARD WATCH UNWATCH.

func txHandlers() []handler { return nil }
