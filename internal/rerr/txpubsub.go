package rerr

// Transactions (MULTI/EXEC/WATCH) and publish/subscribe.
const (
	MultiNested       = "ERR MULTI calls can not be nested"
	ExecWithoutMulti  = "ERR EXEC without MULTI"
	DiscardNoMulti    = "ERR DISCARD without MULTI"
	WatchInsideMulti  = "ERR WATCH inside MULTI is not allowed"
	ExecAbort         = "EXECABORT Transaction discarded because of previous errors."
	NotAllowedInMulti = "ERR Command not allowed inside a transaction"
)

// SubscribedContext is the error of a command a RESP2 client in subscribed
// mode may not send.
func SubscribedContext(name string) string {
	return Clean("ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
}
