package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/rerr"
	"golang.org/x/sys/unix"
)

// TLS (tls-port and the tls-* directives) on Go's crypto/tls.
//
// A goroutine accepts on each socket of the TLS port and each connection
// is handshaken on its own goroutine, with a deadline, as crypto/tls
// handshakes over a blocking net.Conn. The socket is then handed to an
// event loop as a raw fd, like an accepted plaintext one (with the
// client's real addresses, for CLIENT LIST and protected mode), and the
// loop runs the record layer itself (tls_conn.go): no extra goroutine,
// copy or wake-up per request.
//
// CONFIG SET tls-port and bind re-open the TLS sockets (a listenGroup,
// netloop.go); tls-port 0 closes them. Connections already made stay.

// tlsHandshakeTimeout bounds a handshake, so that a client that connects
// and sends nothing (or plaintext that never completes a record) does not
// hold a goroutine and a socket for ever.
const tlsHandshakeTimeout = 10 * time.Second

// tlsParams are the directives a CONFIG SET re-applies to new connections.
var tlsParams = []string{
	"tls-cert-file", "tls-key-file", "tls-ca-cert-file", "tls-ca-cert-dir",
	"tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-ciphersuites",
	"tls-prefer-server-ciphers",
}

// errTLSConfig is CONFIG SET's reason when the new TLS settings do not
// load (the details go to the log, as in Redis).
var errTLSConfig = errors.New(rerr.ConfigTLSFailed)

type tlsServer struct {
	s *Server
	// conf is what new connections handshake with; nil until TLS is
	// first configured (at startup with a tls-port, or by CONFIG SET
	// tls-port).
	conf  atomic.Pointer[tls.Config]
	group *listenGroup  // the TLS port's sockets
	next  atomic.Uint64 // round-robin loop choice
	wg    sync.WaitGroup
	mu    sync.Mutex // guards conns and done
	conns map[net.Conn]struct{}
	done  bool
	once  sync.Once // stop runs once
}

// startTLS opens the TLS port (tls-port on the bind addresses, or the
// injected listeners) and serves it until the returned stop is called.
// With tls-port 0 and no injected listener nothing listens until a
// CONFIG SET tls-port. A TLS configuration that does not load is fatal,
// as for redis-server.
func (s *Server) startTLS() (stop func(), err error) {
	t := &tlsServer{s: s, conns: map[net.Conn]struct{}{}}
	t.group = &listenGroup{s: s, what: "TLS", lc: s.tlsListenConfig, serve: t.serveListener,
		stop: func(sk listenSock) { sk.ln.Close() }}
	lns := s.opts.TLSListeners
	if port := s.cfg.Int("tls-port"); lns != nil || port != 0 {
		conf, err := buildTLSConfig(s.cfg)
		if err != nil {
			s.log.Warningf("%v", err)
			s.log.Warningf("Failed to configure TLS. Check logs for more info.")
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		t.conf.Store(conf)
		if lns == nil {
			if lns, err = s.listenBind(s.tlsListenConfig(), port, "TLS"); err != nil {
				return nil, err
			}
		}
	}
	for _, l := range lns {
		s.log.Noticef("Listening on %s (TLS)", l.Addr())
		t.group.adopt(l) // cannot fail
	}
	for _, name := range tlsParams {
		s.cfg.OnApply(name, t.reload)
	}
	s.cfg.OnApply("tls-port", func(c *config.Config) error {
		if err := t.configure(c); err != nil {
			return err
		}
		if err := t.group.apply(c.Strings("bind"), c.Int("tls-port")); err != nil {
			return errors.New(rerr.ConfigListenFailed)
		}
		return nil
	})
	// bind moves both ports, so its hook is here, where both groups are
	// known.
	s.cfg.OnApply("bind", func(c *config.Config) error {
		bind := c.Strings("bind")
		err := s.plain.apply(bind, c.Int("port"))
		s.setAddrs()
		if err == nil {
			if err = t.configure(c); err == nil {
				err = t.group.apply(bind, c.Int("tls-port"))
			}
		}
		if err != nil {
			s.log.Warningf("Failed to bind")
			return errors.New(rerr.ConfigBindFailed)
		}
		return nil
	})
	return t.stop, nil
}

// tlsListenConfig sets tcp-keepalive on the connections the TLS port
// accepts (the loop sets it on plaintext ones itself).
func (s *Server) tlsListenConfig() net.ListenConfig {
	ka := time.Duration(s.cfg.Int("tcp-keepalive")) * time.Second
	lc := net.ListenConfig{KeepAliveConfig: net.KeepAliveConfig{
		Enable: ka > 0, Idle: ka, Interval: max(ka/3, time.Second), Count: 3,
	}}
	if ka <= 0 {
		lc.KeepAlive = -1
	}
	return lc
}

// serveListener starts accepting on a socket of the TLS port.
func (t *tlsServer) serveListener(ln net.Listener) (listenSock, error) {
	t.wg.Add(1)
	go t.acceptLoop(ln)
	return listenSock{ln: ln}, nil
}

// configure loads the TLS settings when a tls-port is set for the first
// time. Once loaded they are kept while tls-port is 0, and a later
// tls-port uses them even if tls-* directives changed meanwhile (they are
// only checked while TLS is on), as in Redis.
func (t *tlsServer) configure(c *config.Config) error {
	if c.Int("tls-port") == 0 || t.conf.Load() != nil {
		return nil
	}
	return t.load(c)
}

// reload is the CONFIG SET hook of every tls-* directive: while TLS is
// on, new connections use the new certificates and settings, established
// ones keep theirs.
func (t *tlsServer) reload(c *config.Config) error {
	if c.Int("tls-port") == 0 && !t.group.listening() {
		return nil
	}
	return t.load(c)
}

// load builds the TLS settings from the tls-* directives for the
// connections to come; the details of a failure go to the log.
func (t *tlsServer) load(c *config.Config) error {
	conf, err := buildTLSConfig(c)
	if err != nil {
		t.s.log.Warningf("%v", err)
		return errTLSConfig
	}
	t.conf.Store(conf)
	return nil
}

// stop closes the TLS listeners and the connections still handshaking,
// and waits for the accept and handshake goroutines, so that every
// connection is on a loop before the loops stop. Connections on a loop
// end with it.
func (t *tlsServer) stop() { t.once.Do(t.stop1) }

func (t *tlsServer) stop1() {
	t.mu.Lock()
	t.done = true
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	for _, sk := range t.group.close() {
		sk.ln.Close()
	}
	t.wg.Wait()
}

// track remembers a connection being set up, so that stop can end it;
// false once stopping.
func (t *tlsServer) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *tlsServer) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

func (t *tlsServer) acceptLoop(l net.Listener) {
	defer t.wg.Done()
	var delay time.Duration
	for {
		raw, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off rather than spin.
			t.s.log.Warningf("Accepting client connection: %v", err)
			delay = min(max(delay*2, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !t.track(raw) {
			raw.Close()
			return
		}
		t.wg.Add(1)
		go t.serve(raw)
	}
}

// serve handshakes one connection and hands it to a loop.
func (t *tlsServer) serve(raw net.Conn) {
	s := t.s
	defer t.wg.Done()
	defer t.untrack(raw)
	tconn := newTLSConn(raw, t.conf.Load())
	tc := tconn.tc
	raw.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		s.log.Verbosef("Error accepting a client connection: %v (addr=%s laddr=%s)", err, raw.RemoteAddr(), raw.LocalAddr())
		raw.Close()
		return
	}

	peer := tcpSockaddr(raw.RemoteAddr())
	laddr := raw.LocalAddr().String()
	if lsa := tcpSockaddr(raw.LocalAddr()); lsa != nil {
		laddr = sockaddrString(lsa)
	}
	raddr := raw.RemoteAddr().String()
	if peer != nil {
		raddr = sockaddrString(peer)
	}
	fd, err := takeFD(raw)
	if err != nil {
		if !errors.Is(err, net.ErrClosed) { // closed by stop: shutting down
			s.log.Warningf("Accepting client connection: %v", err)
		}
		raw.Close()
		return
	}
	c := s.newClient(fd, raddr, laddr)
	c.tls = tconn
	tconn.handover(c)
	target := s.loops[int(t.next.Add(1)-1)%len(s.loops)]
	c.loop = target
	if msg := s.admit(c, peer); msg != "" {
		// Refused in TLS, best effort as for a plaintext client.
		c.wmu.Lock()
		tc.Write([]byte(msg))
		c.closeTLSLocked()
		c.wmu.Unlock()
		unix.Close(fd)
		return
	}
	if !target.post(func() {
		target.register(c)
		// Input that came with the end of the handshake is in the
		// tls.Conn already, where epoll cannot see it.
		if !c.closed {
			c.onReadable()
		}
	}) {
		// The loop has already shut down.
		unix.Close(fd)
		s.forgetClient(c)
	}
}

// forgetClient drops a client admitted but never handed to a loop.
func (s *Server) forgetClient(c *client) {
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
}

// tcpSockaddr converts a TCP address for protected mode and the
// addresses CLIENT LIST shows.
func tcpSockaddr(a net.Addr) unix.Sockaddr {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		sa := &unix.SockaddrInet4{Port: ta.Port}
		copy(sa.Addr[:], ip4)
		return sa
	}
	sa := &unix.SockaddrInet6{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To16())
	return sa
}

// buildTLSConfig turns the tls-* directives into a server tls.Config. Its
// errors are redis-server's log lines for the same mistakes.
func buildTLSConfig(c *config.Config) (*tls.Config, error) {
	certFile, keyFile := c.String("tls-cert-file"), c.String("tls-key-file")
	caFile, caDir := c.String("tls-ca-cert-file"), c.String("tls-ca-cert-dir")
	auth := c.String("tls-auth-clients")
	if certFile == "" {
		return nil, errors.New("No tls-cert-file configured!")
	}
	if keyFile == "" {
		return nil, errors.New("No tls-key-file configured!")
	}
	if auth != "no" && caFile == "" && caDir == "" {
		return nil, errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("Failed to load certificate: %s: %v", certFile, unwrapPathErr(err))
	}
	if b, _ := pem.Decode(certPEM); b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("Failed to load certificate: %s: no PEM certificate found", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("Failed to load private key: %s: %v", keyFile, unwrapPathErr(err))
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	// The loop encrypts a batch of replies at once and writes all its
	// records with one write(2), so the small first records of dynamic
	// sizing (meant to let a browser start parsing early) only add
	// per-record overhead.
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, DynamicRecordSizingDisabled: true}
	if caFile != "" || caDir != "" {
		pool, err := loadCAs(caFile, caDir)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
		}
		conf.ClientCAs = pool
	}
	switch auth {
	case "no":
		conf.ClientAuth = tls.NoClientCert
	case "optional":
		conf.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if conf.MinVersion, conf.MaxVersion, err = tlsVersions(c.String("tls-protocols")); err != nil {
		return nil, err
	}
	if v := c.String("tls-ciphers"); v != "" {
		if conf.CipherSuites, err = tls12Ciphers(v); err != nil {
			return nil, err
		}
	}
	if v := c.String("tls-ciphersuites"); v != "" {
		if err := checkTLS13Suites(v); err != nil {
			return nil, err
		}
	}
	// tls-prefer-server-ciphers: Go's server always chooses the suite
	// itself (by its own order, favouring AES when the CPU has it); the
	// field is kept for clarity but crypto/tls ignores it.
	conf.PreferServerCipherSuites = c.Bool("tls-prefer-server-ciphers")
	return conf, nil
}

// unwrapPathErr drops the path os.ReadFile puts in front, which the
// message already names.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadCAs reads the CA bundle file and every PEM certificate in the CA
// directory (OpenSSL wants hashed names there; any file name is taken).
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, unwrapPathErr(err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s: no PEM certificate found", file)
		}
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, unwrapPathErr(err)
		}
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				pool.AppendCertsFromPEM(b)
			}
		}
	}
	return pool, nil
}

// tlsVersions parses tls-protocols; the default is Redis's "TLSv1.2
// TLSv1.3". Go takes a range, so "TLSv1 TLSv1.3" also allows 1.1 and 1.2.
func tlsVersions(v string) (lo, hi uint16, err error) {
	if strings.TrimSpace(v) == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, w := range strings.Fields(v) {
		var ver uint16
		switch strings.ToLower(w) {
		case "tlsv1":
			ver = tls.VersionTLS10
		case "tlsv1.1":
			ver = tls.VersionTLS11
		case "tlsv1.2":
			ver = tls.VersionTLS12
		case "tlsv1.3":
			ver = tls.VersionTLS13
		default:
			return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
		if lo == 0 || ver < lo {
			lo = ver
		}
		hi = max(hi, ver)
	}
	return lo, hi, nil
}

// opensslCiphers maps OpenSSL's names of the TLS 1.2 suites Go implements
// to Go's identifiers.
var opensslCiphers = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
}

// tls12Ciphers parses tls-ciphers, an OpenSSL cipher list. Suite names
// (OpenSSL's or IANA's) select suites in order; the DEFAULT, HIGH and ALL
// keywords keep Go's defaults; exclusions (!X, -X) and other operators
// are ignored, as Go only offers suites OpenSSL's HIGH would keep. A list
// naming nothing known is refused, as by Redis.
func tls12Ciphers(v string) ([]uint16, error) {
	byName := map[string]uint16{}
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		byName[cs.Name] = cs.ID
	}
	var ids []uint16
	keyword := false
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := opensslCiphers[w]; ok {
			ids = append(ids, id)
			continue
		}
		if id, ok := byName[w]; ok {
			ids = append(ids, id)
			continue
		}
		switch {
		case w == "DEFAULT" || w == "HIGH" || w == "ALL":
			keyword = true
		case strings.ContainsAny(w[:1], "!-+@"):
		default:
			return nil, fmt.Errorf("Failed to configure ciphers: %s", v)
		}
	}
	if len(ids) == 0 {
		if keyword {
			return nil, nil
		}
		return nil, fmt.Errorf("Failed to configure ciphers: %s", v)
	}
	return ids, nil
}

// checkTLS13Suites validates tls-ciphersuites. Go does not let a server
// narrow the TLS 1.3 suites (all of them are safe), so a valid list is
// accepted and the three suites stay on.
func checkTLS13Suites(v string) error {
	for _, w := range strings.Split(v, ":") {
		switch w {
		case "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
			"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256":
		default:
			return fmt.Errorf("Failed to configure ciphersuites: %s", v)
		}
	}
	return nil
}
