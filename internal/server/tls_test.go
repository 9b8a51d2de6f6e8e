package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/logging"
	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/server"
	"github.com/taconite/taconite/internal/servertest"
)

// testPKI is a CA with a server and a client certificate, as PEM files
// in a temporary directory.
type testPKI struct {
	dir                 string
	ca, srvCert, srvKey string
	cliCert, cliKey     string
	pool                *x509.CertPool
	client              tls.Certificate
	caCert              *x509.Certificate
	caKey               *ecdsa.PrivateKey
	serial              int64
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir(), pool: x509.NewCertPool()}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Taconite Test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p.caCert, _ = x509.ParseCertificate(der)
	p.caKey = key
	p.serial = 1
	p.pool.AddCert(p.caCert)
	p.ca = p.write(t, "ca.crt", "CERTIFICATE", der)
	p.srvCert, p.srvKey = p.issue(t, "server", true)
	p.cliCert, p.cliKey = p.issue(t, "client", false)
	p.client, err = tls.LoadX509KeyPair(p.cliCert, p.cliKey)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue signs a new leaf certificate with the CA.
func (p *testPKI) issue(t *testing.T, name string, server bool) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, name+".crt", "CERTIFICATE", der), p.write(t, name+".key", "EC PRIVATE KEY", kder)
}

// args are the directives of a TLS server with the PKI's files.
func (p *testPKI) args(extra ...string) []string {
	return append([]string{"--tls-cert-file", p.srvCert, "--tls-key-file", p.srvKey, "--tls-ca-cert-file", p.ca}, extra...)
}

// syncBuffer is a log the test reads while the server writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type tlsTestServer struct {
	plain, tls string
	log        *syncBuffer
	runErr     chan error
}

// startTLSServer runs a server with a plaintext and a TLS port on
// kernel-chosen ports. With wantFail, it returns once Run has failed.
func startTLSServer(t *testing.T, wantFail bool, args ...string) *tlsTestServer {
	t.Helper()
	cfg := config.New()
	if err := cfg.LoadArgs(append([]string{"--save", "", "--appendonly", "no"}, args...)); err != nil {
		t.Fatalf("config: %v", err)
	}
	pl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &tlsTestServer{plain: pl.Addr().String(), tls: tl.Addr().String(), log: &syncBuffer{}, runErr: make(chan error, 1)}
	srv := server.NewWithOptions(cfg, server.Options{
		Logger:       logging.New(ts.log, logging.Verbose),
		Listeners:    []net.Listener{pl},
		TLSListeners: []net.Listener{tl},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ts.runErr <- srv.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("server did not stop")
		}
	})
	if wantFail {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("server did not fail")
		}
		return ts
	}
	select {
	case <-srv.Ready():
	case <-done:
		t.Fatalf("server stopped: %v\n%s", <-ts.runErr, ts.log)
	}
	return ts
}

// tlsClient is a raw RESP client over TLS.
type tlsClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dialTLS(t *testing.T, addr string, conf *tls.Config) (*tlsClient, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	nc, err := tls.DialWithDialer(d, "tcp", addr, conf)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { nc.Close() })
	return &tlsClient{t: t, nc: nc, r: bufio.NewReader(nc)}, nil
}

func (c *tlsClient) do(args ...string) (string, error) {
	c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
		return "", err
	}
	b, err := resp.ReadRawReply(c.r)
	return string(b), err
}

func (c *tlsClient) must(args ...string) string {
	c.t.Helper()
	r, err := c.do(args...)
	if err != nil {
		c.t.Fatalf("%v: %v", args, err)
	}
	return r
}

func (p *testPKI) clientConf(withCert bool) *tls.Config {
	conf := &tls.Config{RootCAs: p.pool, ServerName: "localhost"}
	if withCert {
		conf.Certificates = []tls.Certificate{p.client}
	}
	return conf
}

func plainDo(t *testing.T, addr string, args ...string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write(resp.AppendCommandStrings(nil, args...))
	b, err := resp.ReadRawReply(bufio.NewReader(nc))
	if err != nil {
		t.Fatalf("plain %v: %v", args, err)
	}
	return string(b)
}

func TestTLSCommands(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	c, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING = %q", r)
	}
	if r := c.must("SET", "k", "v"); r != "+OK\r\n" {
		t.Fatalf("SET = %q", r)
	}
	// Both ports serve one keyspace at once.
	if r := plainDo(t, ts.plain, "GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("plain GET = %q", r)
	}
	if r := c.must("GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("GET = %q", r)
	}
	// CLIENT LIST shows the TLS client's own addresses, not the bridge's.
	list := c.must("CLIENT", "LIST")
	if want := "addr=" + c.nc.LocalAddr().String() + " laddr=" + ts.tls + " "; !strings.Contains(list, want) {
		t.Fatalf("CLIENT LIST = %q, want %q", list, want)
	}
	// A value larger than a TLS record and the socket buffers, both ways.
	big := strings.Repeat("0123456789abcdef", 1<<16)
	if r := c.must("SET", "big", big); r != "+OK\r\n" {
		t.Fatalf("SET big = %q", r)
	}
	if r := c.must("GET", "big"); r != "$1048576\r\n"+big+"\r\n" {
		t.Fatalf("GET big: %d bytes", len(r))
	}
	// A pipeline in one write.
	var pipe []byte
	for i := 0; i < 100; i++ {
		pipe = resp.AppendCommandStrings(pipe, "INCR", "n")
	}
	c.nc.Write(pipe)
	for i := 1; i <= 100; i++ {
		b, err := resp.ReadRawReply(c.r)
		if err != nil || string(b) != ":"+strconv.Itoa(i)+"\r\n" {
			t.Fatalf("INCR %d = %q, %v", i, b, err)
		}
	}
	// QUIT's reply arrives before the close.
	if r := c.must("QUIT"); r != "+OK\r\n" {
		t.Fatalf("QUIT = %q", r)
	}
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.r.ReadByte(); err != io.EOF {
		t.Fatalf("after QUIT: %v, want EOF", err)
	}
}

func TestTLSClientAuth(t *testing.T) {
	p := newPKI(t)
	// A client certificate from another CA.
	other := newPKI(t)
	otherConf := &tls.Config{RootCAs: p.pool, ServerName: "localhost", Certificates: []tls.Certificate{other.client}}

	t.Run("yes", func(t *testing.T) {
		ts := startTLSServer(t, false, p.args()...)
		for _, conf := range []*tls.Config{p.clientConf(false), otherConf} {
			// Under TLS 1.3 the client finishes its side of the handshake
			// before the server judged its certificate: the refusal shows
			// on the first read.
			c, err := dialTLS(t, ts.tls, conf)
			if err == nil {
				_, err = c.do("PING")
			}
			if err == nil {
				t.Fatalf("a client without a valid certificate was served")
			}
		}
		c, err := dialTLS(t, ts.tls, p.clientConf(true))
		if err != nil {
			t.Fatal(err)
		}
		if r := c.must("PING"); r != "+PONG\r\n" {
			t.Fatalf("PING = %q", r)
		}
	})
	t.Run("optional", func(t *testing.T) {
		ts := startTLSServer(t, false, p.args("--tls-auth-clients", "optional")...)
		for _, conf := range []*tls.Config{p.clientConf(false), p.clientConf(true)} {
			c, err := dialTLS(t, ts.tls, conf)
			if err != nil {
				t.Fatal(err)
			}
			if r := c.must("PING"); r != "+PONG\r\n" {
				t.Fatalf("PING = %q", r)
			}
		}
		c, err := dialTLS(t, ts.tls, otherConf)
		if err == nil {
			_, err = c.do("PING")
		}
		if err == nil {
			t.Fatalf("a certificate from an unknown CA was accepted")
		}
	})
	t.Run("no", func(t *testing.T) {
		// No CA needed when clients are not verified.
		ts := startTLSServer(t, false, "--tls-cert-file", p.srvCert, "--tls-key-file", p.srvKey, "--tls-auth-clients", "no")
		c, err := dialTLS(t, ts.tls, p.clientConf(false))
		if err != nil {
			t.Fatal(err)
		}
		if r := c.must("PING"); r != "+PONG\r\n" {
			t.Fatalf("PING = %q", r)
		}
	})
}

func TestTLSPlaintextRefused(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	// A client that connects and says nothing holds up nobody.
	silent, err := net.DialTimeout("tcp", ts.tls, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	nc, err := net.DialTimeout("tcp", ts.tls, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	b, _ := io.ReadAll(nc) // until the server closes
	if bytes.Contains(b, []byte("PONG")) {
		t.Fatalf("plaintext served on the TLS port: %q", b)
	}
	// Both ports still serve.
	if r := plainDo(t, ts.plain, "PING"); r != "+PONG\r\n" {
		t.Fatalf("plain PING = %q", r)
	}
	c, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING = %q", r)
	}
	// A plaintext client is not counted as a connection.
	info := c.must("INFO", "stats")
	if !strings.Contains(info, "total_connections_received:2\r\n") {
		t.Fatalf("INFO stats: %q", info)
	}
}

func TestTLSStartupErrors(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		args []string
		log  string
	}{
		{[]string{"--tls-cert-file", "/nonexistent.crt", "--tls-key-file", p.srvKey, "--tls-ca-cert-file", p.ca},
			"Failed to load certificate: /nonexistent.crt: no such file or directory"},
		{[]string{"--tls-cert-file", p.srvCert, "--tls-key-file", "/nonexistent.key", "--tls-ca-cert-file", p.ca},
			"Failed to load private key: /nonexistent.key"},
		{[]string{"--tls-cert-file", p.srvCert, "--tls-key-file", p.cliKey, "--tls-ca-cert-file", p.ca},
			"Failed to load private key: " + p.cliKey},
		{[]string{"--tls-cert-file", p.srvCert, "--tls-key-file", p.srvKey},
			"Either tls-ca-cert-file or tls-ca-cert-dir must be specified"},
		{[]string{"--tls-key-file", p.srvKey, "--tls-ca-cert-file", p.ca}, "No tls-cert-file configured!"},
		{p.args("--tls-protocols", "TLSv1.9"), "Invalid tls-protocols specified."},
		{p.args("--tls-ciphers", "FOO"), "Failed to configure ciphers: FOO"},
		{p.args("--tls-ciphersuites", "FOO"), "Failed to configure ciphersuites: FOO"},
	} {
		ts := startTLSServer(t, true, tc.args...)
		if err := <-ts.runErr; err == nil {
			t.Errorf("%q: Run succeeded", tc.args)
		}
		log := ts.log.String()
		if !strings.Contains(log, tc.log) || !strings.Contains(log, "Failed to configure TLS. Check logs for more info.") {
			t.Errorf("%q: log %q, want %q", tc.args, log, tc.log)
		}
	}
}

func TestTLSSettings(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args("--tls-protocols", "TLSv1.2", "--tls-ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL")...)
	conf := p.clientConf(true)
	conf.MaxVersion = tls.VersionTLS13
	c, err := dialTLS(t, ts.tls, conf)
	if err != nil {
		t.Fatal(err)
	}
	st := c.nc.(*tls.Conn).ConnectionState()
	if st.Version != tls.VersionTLS12 || st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Fatalf("negotiated %x %x", st.Version, st.CipherSuite)
	}
	// The loop's record layer serves TLS 1.2 as well.
	if r := c.must("SET", "k", strings.Repeat("v", 40000)); r != "+OK\r\n" {
		t.Fatalf("SET over TLS 1.2 = %q", r)
	}
	if r := c.must("STRLEN", "k"); r != ":40000\r\n" {
		t.Fatalf("STRLEN over TLS 1.2 = %q", r)
	}
	conf = p.clientConf(true)
	conf.MinVersion = tls.VersionTLS13
	if c, err := dialTLS(t, ts.tls, conf); err == nil {
		if _, err := c.do("PING"); err == nil {
			t.Fatalf("TLS 1.3 accepted with tls-protocols TLSv1.2")
		}
	}
}

func TestTLSConfigSetReload(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	c, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.must("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt"); r != "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.\r\n" {
		t.Fatalf("CONFIG SET bad cert = %q", r)
	}
	if r := c.must("CONFIG", "GET", "tls-cert-file"); !strings.Contains(r, p.srvCert) {
		t.Fatalf("tls-cert-file after a failed set: %q", r)
	}
	cert, key := p.issue(t, "server2", true)
	if r := c.must("CONFIG", "SET", "tls-cert-file", cert, "tls-key-file", key); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET = %q", r)
	}
	// The existing connection is unaffected, a new one gets the new
	// certificate.
	if r := c.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING = %q", r)
	}
	c2, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if cn := c2.nc.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "server2" {
		t.Fatalf("server certificate %q after CONFIG SET", cn)
	}
}

func TestTLSRedisCli(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("no redis-cli")
	}
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	host, port, _ := net.SplitHostPort(ts.tls)
	run := func(extra ...string) (string, error) {
		args := append([]string{"-h", host, "-p", port, "--tls", "--cacert", p.ca}, extra...)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := run("--cert", p.cliCert, "--key", p.cliKey, "SET", "x", "y"); err != nil || out != "OK\n" {
		if strings.Contains(out, "not supported") || strings.Contains(out, "Unrecognized option") {
			t.Skip("redis-cli without TLS")
		}
		t.Fatalf("redis-cli SET: %q %v", out, err)
	}
	if out, err := run("--cert", p.cliCert, "--key", p.cliKey, "GET", "x"); err != nil || out != "y\n" {
		t.Fatalf("redis-cli GET: %q %v", out, err)
	}
	if out, err := run("PING"); err == nil && strings.Contains(out, "PONG") {
		t.Fatalf("redis-cli without a client certificate served: %q", out)
	}
}

func TestTLSCADirAndLimits(t *testing.T) {
	p := newPKI(t)
	caDir := t.TempDir()
	b, _ := os.ReadFile(p.ca)
	os.WriteFile(filepath.Join(caDir, "whatever.pem"), b, 0o600)
	ts := startTLSServer(t, false, "--tls-cert-file", p.srvCert, "--tls-key-file", p.srvKey, "--tls-ca-cert-dir", caDir, "--maxclients", "2")
	c, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.must("CLIENT", "ID"); r == "" {
		t.Fatal("no CLIENT ID")
	}
	c2, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	c2.must("PING")
	// A third client is over maxclients: refused with Redis's error, in TLS.
	c3, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	c3.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := resp.ReadRawReply(c3.r); string(b) != "-ERR max number of clients reached\r\n" {
		t.Fatalf("over maxclients: %q %v", b, err)
	}
	// CLIENT KILL of a TLS client ends its TLS connection.
	id := strings.TrimSuffix(strings.TrimPrefix(c2.must("CLIENT", "ID"), ":"), "\r\n")
	if r := c.must("CLIENT", "KILL", "ID", id); r != ":1\r\n" {
		t.Fatalf("CLIENT KILL = %q", r)
	}
	c2.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.r.ReadByte(); err != io.EOF {
		t.Fatalf("killed client read: %v, want EOF", err)
	}
}

// trickleConn writes one byte per write(2), so that the server gets TLS
// records in pieces.
type trickleConn struct{ net.Conn }

func (c trickleConn) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := c.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// TestTLSPartialInput: the loop keeps a record that arrives in pieces,
// a command split over records, and input larger than what one readiness
// event reads (what tls.Conn holds must not wait for the next event).
func TestTLSPartialInput(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	nc, err := net.DialTimeout("tcp", ts.tls, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tc := tls.Client(trickleConn{nc}, p.clientConf(true))
	c := &tlsClient{t: t, nc: tc, r: bufio.NewReader(tc)}
	if r := c.must("SET", "k", "v"); r != "+OK\r\n" {
		t.Fatalf("SET = %q", r)
	}
	cmd := resp.AppendCommandStrings(nil, "GET", "k")
	for _, part := range [][]byte{cmd[:3], cmd[3:9], cmd[9:]} {
		if _, err := tc.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	if b, err := resp.ReadRawReply(c.r); string(b) != "$1\r\nv\r\n" {
		t.Fatalf("GET over three records = %q, %v", b, err)
	}

	// Many records in one go, more than a read buffer and a readiness
	// event's budget.
	c2, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	var pipe []byte
	for i := 0; i < n; i++ {
		pipe = resp.AppendCommandStrings(pipe, "INCR", "n")
	}
	c2.nc.SetDeadline(time.Now().Add(20 * time.Second))
	go c2.nc.Write(pipe)
	for i := 1; i <= n; i++ {
		b, err := resp.ReadRawReply(c2.r)
		if err != nil || string(b) != ":"+strconv.Itoa(i)+"\r\n" {
			t.Fatalf("INCR %d = %q, %v", i, b, err)
		}
	}
}

// TestTLSPushes: messages published on other connections and the MONITOR
// feed reach TLS clients (written from other goroutines than the
// client's loop), interleaved with their own replies.
func TestTLSPushes(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	sub, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if r := sub.must("SUBSCRIBE", "ch"); !strings.Contains(r, "subscribe") {
		t.Fatalf("SUBSCRIBE = %q", r)
	}
	mon, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if r := mon.must("MONITOR"); r != "+OK\r\n" {
		t.Fatalf("MONITOR = %q", r)
	}
	const pubs, each = 4, 200
	var wg sync.WaitGroup
	for i := 0; i < pubs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.DialTimeout("tcp", ts.plain, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			var pipe []byte
			for j := 0; j < each; j++ {
				pipe = resp.AppendCommandStrings(pipe, "PUBLISH", "ch", "m")
			}
			nc.Write(pipe)
			r := bufio.NewReader(nc)
			for j := 0; j < each; j++ {
				if _, err := resp.ReadRawReply(r); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	sub.nc.SetDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < pubs*each; i++ {
		b, err := resp.ReadRawReply(sub.r)
		if err != nil || string(b) != "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n" {
			t.Fatalf("message %d = %q, %v", i, b, err)
		}
	}
	wg.Wait()
	mon.nc.SetDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < pubs*each; i++ {
		b, err := resp.ReadRawReply(mon.r)
		if err != nil || !strings.Contains(string(b), `"PUBLISH" "ch" "m"`) {
			t.Fatalf("MONITOR line %d = %q, %v", i, b, err)
		}
	}
}

// TestTLSOutputLimit: a TLS client that does not read its replies is cut
// off at client-output-buffer-limit, as a plaintext one.
func TestTLSOutputLimit(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args("--client-output-buffer-limit", "normal 1mb 0 0")...)
	c, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	c.must("SET", "big", strings.Repeat("x", 200<<10))
	slow, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	slow.must("CLIENT", "SETNAME", "slow")
	slow.nc.SetDeadline(time.Now().Add(20 * time.Second))
	floodUntilCut(t, c.must, slow.nc, "the TLS client")
}

// TestTLSProtectedMode: a client from another address than 127.0.0.1 is
// refused on the TLS port too, with the -DENIED text sent over TLS.
func TestTLSProtectedMode(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	nc, err := tls.DialWithDialer(d, "tcp", ts.tls, p.clientConf(true))
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			t.Skipf("cannot dial from 127.0.0.2: %v", err)
		}
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(nc)
	if !strings.HasPrefix(string(b), "-DENIED ") || err != nil {
		t.Fatalf("remote TLS client: %q, %v", b, err)
	}
}

// TestTLSShutdown: SHUTDOWN closes the TLS clients (with close_notify).
func TestTLSShutdown(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	idle, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	idle.must("PING")
	c, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	c.nc.Write(resp.AppendCommandStrings(nil, "SHUTDOWN", "NOSAVE"))
	idle.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle.r.ReadByte(); err != io.EOF {
		t.Fatalf("idle TLS client at shutdown: %v, want EOF", err)
	}
	select {
	case err := <-ts.runErr:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestTLSHalfClose: commands followed at once by close_notify are still
// answered before the server closes.
func TestTLSHalfClose(t *testing.T) {
	p := newPKI(t)
	ts := startTLSServer(t, false, p.args()...)
	c, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	tc := c.nc.(*tls.Conn)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	tc.Write(append(resp.AppendCommandStrings(nil, "SET", "k", "v"), resp.AppendCommandStrings(nil, "GET", "k")...))
	if err := tc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c.r)
	if string(b) != "+OK\r\n$1\r\nv\r\n" || err != nil {
		t.Fatalf("after close_notify: %q, %v", b, err)
	}
}

// TestTLSConfigSetPort: CONFIG SET tls-port moves the TLS port at once
// (the old one refuses, TLS clients already connected stay), a port in use
// is refused with Redis's text and the old one kept, bind moves the TLS
// port too, and tls-port 0 stops TLS. As redis-server 7.0.15 does.
func TestTLSConfigSetPort(t *testing.T) {
	p := newPKI(t)
	// Protected mode would refuse the clients of 127.0.0.2.
	ts := startTLSServer(t, false, p.args("--protected-mode", "no")...)
	old, err := dialTLS(t, ts.tls, p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	old.must("PING")
	p1 := freePort(t)
	if r := plainDo(t, ts.plain, "CONFIG", "SET", "tls-port", p1); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-port = %q", r)
	}
	wantRefused(t, ts.tls)
	c, err := dialTLS(t, on("127.0.0.1", p1), p.clientConf(true))
	if err != nil {
		t.Fatalf("TLS on the new port: %v", err)
	}
	if r := c.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING on the new port = %q", r)
	}
	if r := old.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING on the old connection = %q", r)
	}

	// A port in use (the plaintext one): refused, the old one kept.
	_, plainPort, _ := net.SplitHostPort(ts.plain)
	if r := c.must("CONFIG", "SET", "tls-port", plainPort); r != configSetFailed("tls-port", rerr.ConfigListenFailed) {
		t.Fatalf("CONFIG SET tls-port (in use) = %q", r)
	}
	if r := c.must("CONFIG", "GET", "tls-port"); r != "*2\r\n$8\r\ntls-port\r\n$"+strconv.Itoa(len(p1))+"\r\n"+p1+"\r\n" {
		t.Fatalf("CONFIG GET tls-port after a failed set = %q", r)
	}
	if c2, err := dialTLS(t, on("127.0.0.1", p1), p.clientConf(true)); err != nil {
		t.Fatalf("TLS port after a failed set: %v", err)
	} else if r := c2.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING = %q", r)
	}
	if !strings.Contains(ts.log.String(), "Could not create server TLS listening socket 127.0.0.1:"+plainPort) {
		t.Errorf("log: %q", ts.log.String())
	}

	// bind moves both ports (the plaintext one first gets a port of its
	// own: the injected listener's is not the port directive's).
	if r := c.must("CONFIG", "SET", "port", freePort(t), "bind", "127.0.0.2"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET bind = %q", r)
	}
	wantRefused(t, on("127.0.0.1", p1))
	if c3, err := dialTLS(t, on("127.0.0.2", p1), p.clientConf(true)); err != nil {
		t.Fatalf("TLS on the new bind address: %v", err)
	} else if r := c3.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING = %q", r)
	}

	// tls-port 0: no TLS port any more, the TLS clients stay.
	if r := c.must("CONFIG", "SET", "tls-port", "0"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-port 0 = %q", r)
	}
	wantRefused(t, on("127.0.0.2", p1))
	if r := c.must("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING after tls-port 0 = %q", r)
	}
}

// TestTLSConfigSetPortEnable: CONFIG SET tls-port on a server started
// without TLS loads the TLS settings first and refuses with Redis's text
// if they do not load. While tls-port is 0 the tls-* directives are not
// checked, and once TLS was configured a later tls-port reuses that
// configuration, as redis-server 7.0.15 does.
func TestTLSConfigSetPortEnable(t *testing.T) {
	p := newPKI(t)
	s := servertest.Start(t)
	c := s.Dial(t)
	p1 := freePort(t)
	if r := c.Do("CONFIG", "SET", "tls-port", p1); r != configSetFailed("tls-port", rerr.ConfigTLSFailed) {
		t.Fatalf("CONFIG SET tls-port without certificates = %q", r)
	}
	if r := c.Do("CONFIG", "GET", "tls-port"); r != "*2\r\n$8\r\ntls-port\r\n$1\r\n0\r\n" {
		t.Fatalf("tls-port after a failed set = %q", r)
	}
	wantRefused(t, on("127.0.0.1", p1))
	if r := c.Do("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt", "tls-key-file", p.srvKey, "tls-ca-cert-file", p.ca); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-cert-file with TLS off = %q", r)
	}
	if r := c.Do("CONFIG", "SET", "tls-port", p1); r != configSetFailed("tls-port", rerr.ConfigTLSFailed) {
		t.Fatalf("CONFIG SET tls-port with a missing certificate = %q", r)
	}
	if r := c.Do("CONFIG", "SET", "tls-cert-file", p.srvCert); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-cert-file = %q", r)
	}
	if r := c.Do("CONFIG", "SET", "tls-port", p1); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-port = %q", r)
	}
	tc, err := dialTLS(t, on("127.0.0.1", p1), p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if r := tc.must("SET", "k", "v"); r != "+OK\r\n" {
		t.Fatalf("SET over TLS = %q", r)
	}
	if r := c.Do("GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("GET = %q", r)
	}

	if r := c.Do("CONFIG", "SET", "tls-port", "0"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-port 0 = %q", r)
	}
	wantRefused(t, on("127.0.0.1", p1))
	if r := c.Do("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-cert-file with TLS off = %q", r)
	}
	p2 := freePort(t)
	if r := c.Do("CONFIG", "SET", "tls-port", p2); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET tls-port again = %q", r)
	}
	tc2, err := dialTLS(t, on("127.0.0.1", p2), p.clientConf(true))
	if err != nil {
		t.Fatal(err)
	}
	if cn := tc2.nc.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "server" {
		t.Fatalf("server certificate %q", cn)
	}
	if r := tc2.must("GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("GET over TLS = %q", r)
	}
}
