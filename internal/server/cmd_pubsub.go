package server

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/glob"
	"github.com/taconite/taconite/internal/resp"
)

// Publish/subscribe. The registry maps channels, patterns and shard
// channels to their subscribers; a client's own subscription sets are
// touched only by its loop. PUBLISH runs on the publisher's loop: it
// appends the message, encoded for each subscriber's protocol, to the
// subscriber's delivery queue and asks the subscriber's loop to flush it
// (one wake-up per batch, not per message). A subscriber whose queued
// output passes client-output-buffer-limit pubsub is disconnected, so a
// reader that stalls costs bounded memory and never slows the publisher.
//
// Lock order: pubsubRegistry.mu, then client.wmu, then loop.mu; all
// three are taken after shard locks (keyspace notifications publish from
// inside commands).

type subscribers map[*client]struct{}

type pubsubRegistry struct {
	mu       sync.RWMutex
	channels map[string]subscribers
	patterns map[string]subscribers
	shard    map[string]subscribers
}

// subKind tells the three subscription namespaces apart.
type subKind int

const (
	subChannel subKind = iota
	subPattern
	subShard
)

var subNames = [3]struct{ sub, unsub, msg string }{
	{"subscribe", "unsubscribe", "message"},
	{"psubscribe", "punsubscribe", "pmessage"},
	{"ssubscribe", "sunsubscribe", "smessage"},
}

func pubsubHandlers() []handler {
	return []handler{
		{name: "subscribe", fn: cmdSubscribe},
		{name: "unsubscribe", fn: cmdUnsubscribe},
		{name: "psubscribe", fn: cmdPSubscribe},
		{name: "punsubscribe", fn: cmdPUnsubscribe},
		{name: "ssubscribe", fn: cmdSSubscribe},
		{name: "sunsubscribe", fn: cmdSUnsubscribe},
		{name: "publish", fn: cmdPublish},
		{name: "spublish", fn: cmdSPublish},
		{name: "pubsub|channels", fn: cmdPubsubChannels},
		{name: "pubsub|numsub", fn: cmdPubsubNumSub},
		{name: "pubsub|numpat", fn: cmdPubsubNumPat},
		{name: "pubsub|shardchannels", fn: cmdPubsubShardChannels},
		{name: "pubsub|shardnumsub", fn: cmdPubsubShardNumSub},
		{name: "pubsub|help", fn: cmdPubsubHelp},
	}
}

// subscribed reports whether the client has any subscription (RESP2
// clients are then in the subscribed context).
func (c *client) subscribed() bool {
	return len(c.subs[subChannel])+len(c.subs[subPattern])+len(c.subs[subShard]) > 0
}

// allowedSubscribed reports whether a RESP2 client in the subscribed
// context may run cmd.
func allowedSubscribed(cmd *command.Command) bool {
	switch cmd.Name {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

func (r *pubsubRegistry) table(k subKind) map[string]subscribers {
	switch k {
	case subPattern:
		if r.patterns == nil {
			r.patterns = map[string]subscribers{}
		}
		return r.patterns
	case subShard:
		if r.shard == nil {
			r.shard = map[string]subscribers{}
		}
		return r.shard
	}
	if r.channels == nil {
		r.channels = map[string]subscribers{}
	}
	return r.channels
}

// subCount is the count Redis reports after (un)subscribing: channels and
// patterns together, shard channels on their own.
func (c *client) subCount(k subKind) int {
	if k == subShard {
		return len(c.subs[subShard])
	}
	return len(c.subs[subChannel]) + len(c.subs[subPattern])
}

func (c *client) replySubEvent(name string, ch []byte, null bool, count int) {
	if c.muted() {
		return
	}
	c.out = resp.AppendPushLen(c.out, 3, c.proto)
	c.out = resp.AppendBulkString(c.out, name)
	if null {
		c.out = resp.AppendNullBulk(c.out, c.proto)
	} else {
		c.out = resp.AppendBulk(c.out, ch)
	}
	c.out = resp.AppendInt(c.out, int64(count))
}

func (c *client) subscribe(k subKind, names [][]byte) {
	r := &c.s.pubsub
	for _, n := range names {
		name := string(n)
		if c.subs[k] == nil {
			c.subs[k] = map[string]struct{}{}
		}
		if _, ok := c.subs[k][name]; !ok {
			c.subs[k][name] = struct{}{}
			r.mu.Lock()
			t := r.table(k)
			set := t[name]
			if set == nil {
				set = subscribers{}
				t[name] = set
			}
			set[c] = struct{}{}
			r.mu.Unlock()
		}
		c.replySubEvent(subNames[k].sub, n, false, c.subCount(k))
	}
	c.storeSubCounts()
}

// storeSubCounts publishes the subscription counts for CLIENT LIST.
func (c *client) storeSubCounts() {
	c.subCountShared.Store(int32(len(c.subs[subChannel]) + len(c.subs[subPattern]) + len(c.subs[subShard])))
	c.subKinds[subChannel].Store(int32(len(c.subs[subChannel])))
	c.subKinds[subPattern].Store(int32(len(c.subs[subPattern])))
	c.subKinds[subShard].Store(int32(len(c.subs[subShard])))
}

// unsubscribe removes the named subscriptions, or all of kind k when names
// is empty, replying for each as Redis does (silently when quiet).
func (c *client) unsubscribe(k subKind, names [][]byte, quiet bool) {
	if len(names) == 0 {
		if len(c.subs[k]) == 0 {
			if !quiet {
				c.replySubEvent(subNames[k].unsub, nil, true, c.subCount(k))
			}
			return
		}
		all := make([]string, 0, len(c.subs[k]))
		for n := range c.subs[k] {
			all = append(all, n)
		}
		for _, n := range all {
			c.unsubscribeOne(k, n, quiet)
		}
		return
	}
	for _, n := range names {
		c.unsubscribeOne(k, string(n), quiet)
	}
}

func (c *client) unsubscribeOne(k subKind, name string, quiet bool) {
	if _, ok := c.subs[k][name]; ok {
		delete(c.subs[k], name)
		r := &c.s.pubsub
		r.mu.Lock()
		t := r.table(k)
		if set := t[name]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(t, name)
			}
		}
		r.mu.Unlock()
	}
	c.storeSubCounts()
	if !quiet {
		c.replySubEvent(subNames[k].unsub, []byte(name), false, c.subCount(k))
	}
}

// unsubscribeAll drops every subscription without replies (RESET, close).
func (c *client) unsubscribeAll() {
	for k := subChannel; k <= subShard; k++ {
		if len(c.subs[k]) > 0 {
			c.unsubscribe(k, nil, true)
		}
	}
}

func cmdSubscribe(c *client, argv [][]byte)    { c.subscribe(subChannel, argv[1:]) }
func cmdPSubscribe(c *client, argv [][]byte)   { c.subscribe(subPattern, argv[1:]) }
func cmdSSubscribe(c *client, argv [][]byte)   { c.subscribe(subShard, argv[1:]) }
func cmdUnsubscribe(c *client, argv [][]byte)  { c.unsubscribe(subChannel, argv[1:], false) }
func cmdPUnsubscribe(c *client, argv [][]byte) { c.unsubscribe(subPattern, argv[1:], false) }
func cmdSUnsubscribe(c *client, argv [][]byte) { c.unsubscribe(subShard, argv[1:], false) }

func cmdPublish(c *client, argv [][]byte) {
	c.replyInt(int64(c.s.publish(subChannel, argv[1], argv[2])))
}

func cmdSPublish(c *client, argv [][]byte) {
	c.replyInt(int64(c.s.publish(subShard, argv[1], argv[2])))
}

// message is one published message, encoded lazily once per protocol.
type message struct {
	kind     subKind
	ch, data []byte
	enc      [2][]byte // RESP2, RESP3
	penc     map[string]*[2][]byte
}

func (m *message) bytes(proto int) []byte {
	i := 0
	if proto == 3 {
		i = 1
	}
	if m.enc[i] == nil {
		b := resp.AppendPushLen(nil, 3, proto)
		b = resp.AppendBulkString(b, subNames[m.kind].msg)
		b = resp.AppendBulk(b, m.ch)
		m.enc[i] = resp.AppendBulk(b, m.data)
	}
	return m.enc[i]
}

func (m *message) patternBytes(pat string, proto int) []byte {
	i := 0
	if proto == 3 {
		i = 1
	}
	if m.penc == nil {
		m.penc = map[string]*[2][]byte{}
	}
	e := m.penc[pat]
	if e == nil {
		e = &[2][]byte{}
		m.penc[pat] = e
	}
	if e[i] == nil {
		b := resp.AppendPushLen(nil, 4, proto)
		b = resp.AppendBulkString(b, "pmessage")
		b = resp.AppendBulkString(b, pat)
		b = resp.AppendBulk(b, m.ch)
		e[i] = resp.AppendBulk(b, m.data)
	}
	return e[i]
}

// publish delivers data on channel ch and returns the number of receivers
// (a client subscribed to the channel and to two matching patterns counts
// three times, as in Redis).
func (s *Server) publish(k subKind, ch, data []byte) int {
	r := &s.pubsub
	m := message{kind: k, ch: ch, data: data}
	n := 0
	r.mu.RLock()
	var chans map[string]subscribers
	if k == subShard {
		chans = r.shard
	} else {
		chans = r.channels
	}
	for c := range chans[string(ch)] {
		c.deliver(m.bytes(c.protoOf()))
		n++
	}
	if k == subChannel {
		for pat, set := range r.patterns {
			if !glob.Match([]byte(pat), ch) {
				continue
			}
			for c := range set {
				c.deliver(m.patternBytes(pat, c.protoOf()))
				n++
			}
		}
	}
	r.mu.RUnlock()
	return n
}

func (c *client) protoOf() int { return int(c.protoAtomic.Load()) }

// deliver queues pushed output (a message, an invalidation) for the client
// and has its loop send it. Safe from any goroutine. A client over its
// output buffer limit is disconnected instead.
func (c *client) deliver(b []byte) {
	lim := c.s.pubsubLimit.Load()
	c.wmu.Lock()
	if c.closed || c.killed.Load() {
		c.wmu.Unlock()
		return
	}
	if c.overLimit(lim, uint64(len(c.pend)+len(c.pubq)+len(b))) {
		c.wmu.Unlock()
		c.s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.describe())
		c.kill()
		return
	}
	c.pubq = append(c.pubq, b...)
	c.pubPending.Store(true)
	sched := !c.pubSched
	c.pubSched = true
	c.wmu.Unlock()
	if sched {
		c.loop.post(c.flushPub)
	}
}

// flushPub sends the queued pushes, after the replies already produced
// (a SUBSCRIBE's confirmation must precede the first message). Runs on
// the client's loop.
func (c *client) flushPub() {
	c.drainPub()
	c.flushOut()
}

// drainPub moves the queued pushes into the reply buffer. Runs on the
// client's loop.
func (c *client) drainPub() {
	c.wmu.Lock()
	c.out = append(c.out, c.pubq...)
	if cap(c.pubq) > outShrink {
		c.pubq = nil
	} else {
		c.pubq = c.pubq[:0]
	}
	c.pubSched = false
	c.pubPending.Store(false)
	c.wmu.Unlock()
}

// describe names a client in log lines.
func (c *client) describe() string {
	return "id=" + strconv.FormatInt(c.id, 10) + " addr=" + c.raddr
}

func cmdPubsubChannels(c *client, argv [][]byte) { c.pubsubChannels(subChannel, argv) }
func cmdPubsubShardChannels(c *client, argv [][]byte) {
	c.pubsubChannels(subShard, argv)
}

func (c *client) pubsubChannels(k subKind, argv [][]byte) {
	var pat []byte
	if len(argv) > 2 {
		pat = argv[2]
	}
	r := &c.s.pubsub
	r.mu.RLock()
	var out []string
	for name := range r.table(k) {
		if pat == nil || glob.Match(pat, []byte(name)) {
			out = append(out, name)
		}
	}
	r.mu.RUnlock()
	sort.Strings(out)
	c.replyStrings(out)
}

func cmdPubsubNumSub(c *client, argv [][]byte)      { c.pubsubNumSub(subChannel, argv) }
func cmdPubsubShardNumSub(c *client, argv [][]byte) { c.pubsubNumSub(subShard, argv) }

func (c *client) pubsubNumSub(k subKind, argv [][]byte) {
	r := &c.s.pubsub
	c.replyArrayLen(2 * (len(argv) - 2))
	r.mu.RLock()
	t := r.table(k)
	for _, ch := range argv[2:] {
		c.replyBulk(ch)
		c.replyInt(int64(len(t[string(ch)])))
	}
	r.mu.RUnlock()
}

// pubsubCounts is INFO's channel, pattern and shard channel counts.
func (s *Server) pubsubCounts() (int, int, int) {
	r := &s.pubsub
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.channels), len(r.patterns), len(r.shard)
}

func cmdPubsubNumPat(c *client, argv [][]byte) {
	r := &c.s.pubsub
	r.mu.RLock()
	n := len(r.patterns)
	r.mu.RUnlock()
	c.replyInt(int64(n))
}

func cmdPubsubHelp(c *client, argv [][]byte) {
	c.replyHelp("PUBSUB",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	)
}

// notify publishes a keyspace event, as Redis's notifyKeyspaceEvent: on
// __keyspace@<db>__:<key> with the event as message and on
// __keyevent@<db>__:<event> with the key, as notify-keyspace-events asks.
// Called from commands, with their shard locks held.
func (s *Server) notify(class int64, event string, key []byte, db int) {
	flags := s.notifyFlags.Load()
	if flags&class == 0 {
		return
	}
	if flags&config.NotifyKeyspace != 0 {
		ch := make([]byte, 0, 24+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publish(subChannel, ch, []byte(event))
	}
	if flags&config.NotifyKeyevent != 0 {
		ch := make([]byte, 0, 24+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.publish(subChannel, ch, key)
	}
}

// notifyOn reports whether any event of class would be published (so a
// command can skip preparing one).
func (s *Server) notifyOn(class int64) bool { return s.notifyFlags.Load()&class != 0 }

// c.notify is the form handlers use: the client's database.
func (c *client) notify(class int64, event string, key []byte) {
	if c.s.notifyFlags.Load()&class != 0 {
		c.s.notify(class, event, key, c.tx.DB)
	}
}

// pubsubLimits reloads the hot copies of the pub/sub settings.
func (s *Server) loadPubsubConfig() {
	lim := s.cfg.ClientOutputBufferLimit("pubsub")
	s.pubsubLimit.Store(&lim)
	normal := s.cfg.ClientOutputBufferLimit("normal")
	s.normalLimit.Store(&normal)
	s.notifyFlags.Store(s.cfg.Int("notify-keyspace-events"))
}

// pubsubFields holds the Server's pub/sub state (embedded in Server).
type pubsubFields struct {
	pubsub      pubsubRegistry
	pubsubLimit atomic.Pointer[config.OutputBufferLimit]
	normalLimit atomic.Pointer[config.OutputBufferLimit] // client-output-buffer-limit normal
	notifyFlags atomic.Int64
}

// overLimit applies an output buffer limit to size bytes of queued
// output: over the hard limit, or over the soft one for longer than its
// seconds. The caller holds c.wmu (softSince).
func (c *client) overLimit(lim *config.OutputBufferLimit, size uint64) bool {
	if lim == nil {
		return false
	}
	if lim.Hard > 0 && size > lim.Hard {
		return true
	}
	if lim.Soft > 0 && size > lim.Soft {
		now := time.Now()
		if c.softSince.IsZero() {
			c.softSince = now
			return false
		}
		return now.Sub(c.softSince) > time.Duration(lim.SoftSeconds)*time.Second
	}
	c.softSince = time.Time{}
	return false
}
