package server_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/ds/geohash"
	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

func geoExpect(t *testing.T, c *servertest.Conn, want string, args ...string) {
	t.Helper()
	if got := c.Do(args...); got != want {
		t.Fatalf("%v: got %q, want %q", args, got, want)
	}
}

func geoReply(t *testing.T, c *servertest.Conn, args ...string) resp.Value {
	t.Helper()
	raw := c.Do(args...)
	v, err := resp.ReadReply(bufioReader(raw))
	if err != nil {
		t.Fatalf("%v: bad reply %q: %v", args, raw, err)
	}
	return v
}

// The stored scores are Redis's geohashes, so zset commands see them.
func TestGeoScoresAreZsetScores(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	geoExpect(t, c, ":2\r\n", "GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
	geoExpect(t, c, "$16\r\n3479099956230698\r\n", "ZSCORE", "g", "Palermo")
	geoExpect(t, c, "+zset\r\n", "TYPE", "g")
	geoExpect(t, c, ":1\r\n", "ZREM", "g", "Catania")
	geoExpect(t, c, "*1\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n", "GEOPOS", "g", "Palermo")
	geoExpect(t, c, ":1\r\n", "COPY", "g", "g2")
	geoExpect(t, c, "*1\r\n$11\r\nsqc8b49rny0\r\n", "GEOHASH", "g2", "Palermo")
}

// GEOSEARCH finds exactly the members a brute-force scan over every
// member finds, in distance order, for circles and boxes of many sizes.
func TestGeoSearchMatchesBruteForce(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	r := rand.New(rand.NewPCG(7, 8))
	type pt struct {
		name     string
		lon, lat float64
	}
	var pts []pt
	args := []string{"GEOADD", "g"}
	for i := 0; i < 2000; i++ {
		lon := 2 + r.Float64()*20 - 10
		lat := 48 + r.Float64()*10 - 5
		name := fmt.Sprintf("p%d", i)
		args = append(args, strconv.FormatFloat(lon, 'f', 6, 64), strconv.FormatFloat(lat, 'f', 6, 64), name)
		sc, _ := geohash.Score(lon, lat)
		dlon, dlat, _ := geohash.DecodeScore(float64(sc))
		pts = append(pts, pt{name, dlon, dlat})
	}
	c.Do(args...)
	for q := 0; q < 60; q++ {
		sh := geohash.Shape{Lon: 2 + r.Float64()*16 - 8, Lat: 48 + r.Float64()*8 - 4, Conv: 1000}
		cmd := []string{"GEOSEARCH", "g", "FROMLONLAT", strconv.FormatFloat(sh.Lon, 'f', -1, 64), strconv.FormatFloat(sh.Lat, 'f', -1, 64)}
		if q%2 == 0 {
			sh.Radius = float64(r.IntN(400) + 1)
			cmd = append(cmd, "BYRADIUS", strconv.FormatFloat(sh.Radius, 'f', -1, 64), "km")
		} else {
			sh.Box, sh.Width, sh.Height = true, float64(r.IntN(600)+1), float64(r.IntN(600)+1)
			cmd = append(cmd, "BYBOX", strconv.FormatFloat(sh.Width, 'f', -1, 64), strconv.FormatFloat(sh.Height, 'f', -1, 64), "km")
		}
		cmd = append(cmd, "ASC", "WITHDIST")
		var want []string
		var wantDist []float64
		for _, p := range pts {
			if d, in := sh.Contains(p.lon, p.lat); in {
				want = append(want, p.name)
				wantDist = append(wantDist, d)
			}
		}
		v := geoReply(t, c, cmd...)
		var got []string
		last := -1.0
		for _, e := range v.Elems {
			got = append(got, string(e.Elems[0].Str))
			d, _ := strconv.ParseFloat(string(e.Elems[1].Str), 64)
			if d < last {
				t.Fatalf("%v: distances not ascending", cmd)
			}
			last = d
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%v: got %d members, brute force %d", cmd, len(got), len(want))
		}
	}
}

// COUNT without ANY keeps the nearest; with ANY it stops early but still
// returns members inside the area.
func TestGeoSearchCountAny(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for i := 0; i < 50; i++ {
		c.Do("GEOADD", "g", fmt.Sprintf("%.4f", 10+float64(i)*0.01), "45", fmt.Sprintf("m%02d", i))
	}
	v := geoReply(t, c, "GEOSEARCH", "g", "FROMLONLAT", "10", "45", "BYRADIUS", "100", "km", "COUNT", "3")
	if len(v.Elems) != 3 || string(v.Elems[0].Str) != "m00" || string(v.Elems[2].Str) != "m02" {
		t.Fatalf("COUNT 3: %v", v)
	}
	v = geoReply(t, c, "GEOSEARCH", "g", "FROMLONLAT", "10", "45", "BYRADIUS", "100", "km", "COUNT", "5", "ANY")
	if len(v.Elems) != 5 {
		t.Fatalf("COUNT 5 ANY: %v", v)
	}
	v = geoReply(t, c, "GEOSEARCH", "g", "FROMLONLAT", "10", "45", "BYRADIUS", "100", "km", "COUNT", "500", "DESC")
	if len(v.Elems) != 50 || string(v.Elems[0].Str) != "m49" {
		t.Fatalf("COUNT 500 DESC: %d elements", len(v.Elems))
	}
}

// STORE writes a sorted set with the small encoding when it fits, and an
// empty result deletes the destination.
func TestGeoSearchStore(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for i := 0; i < 200; i++ {
		c.Do("GEOADD", "g", fmt.Sprintf("%.4f", 10+float64(i)*0.001), "45", fmt.Sprintf("m%03d", i))
	}
	geoExpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "g")
	geoExpect(t, c, ":3\r\n", "GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "m000", "BYRADIUS", "0.2", "km", "STOREDIST")
	geoExpect(t, c, "$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d")
	geoExpect(t, c, "*2\r\n$4\r\nm000\r\n$1\r\n0\r\n", "ZRANGE", "d", "0", "0", "WITHSCORES")
	geoExpect(t, c, ":200\r\n", "GEORADIUSBYMEMBER", "g", "m000", "100", "km", "STORE", "d")
	geoExpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "d")
	geoExpect(t, c, ":0\r\n", "GEORADIUS", "g", "100", "10", "1", "km", "STORE", "d")
	geoExpect(t, c, ":0\r\n", "EXISTS", "d")
}

func BenchmarkGeoAdd(b *testing.B) {
	s := servertest.Start(b)
	c := s.Dial(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Do("GEOADD", "g", strconv.FormatFloat(-170+float64(i%340000)*0.001, 'f', 3, 64), "45.5", "m"+strconv.Itoa(i%10000))
	}
}

// A GEOSEARCH over an index of 10,000 members spread over a 20° square,
// with a 50 km radius (a few dozen hits).
func BenchmarkGeoSearch10k(b *testing.B) {
	s := servertest.Start(b)
	c := s.Dial(b)
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 10000; i += 500 {
		args := []string{"GEOADD", "g"}
		for j := i; j < i+500; j++ {
			args = append(args, strconv.FormatFloat(r.Float64()*20, 'f', 6, 64), strconv.FormatFloat(40+r.Float64()*20, 'f', 6, 64), "m"+strconv.Itoa(j))
		}
		c.Do(args...)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Do("GEOSEARCH", "g", "FROMLONLAT", "10", "50", "BYRADIUS", "50", "km", "ASC", "WITHDIST")
	}
}

// FuzzGeoArgs sends arbitrary argument lists to the geo commands over a
// small index: every one must get exactly one well-formed reply (the
// option parsers must neither panic nor read past the arguments).
func FuzzGeoArgs(f *testing.F) {
	s := servertest.Start(f)
	setup := s.Dial(f)
	setup.Do("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
	setup.Close()
	for _, seed := range []string{
		"GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH",
		"GEOSEARCH g FROMMEMBER Palermo BYBOX 400 400 km COUNT 1 ANY",
		"GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
		"GEORADIUS g 15 37 200 km STORE d COUNT",
		"GEORADIUSBYMEMBER g Palermo 200 mi STOREDIST",
		"GEORADIUS_RO g 15 37 200 km BYBOX",
		"GEOADD g NX CH 1 2 a",
		"GEODIST g Palermo Catania ft",
		"GEOPOS g Palermo x",
		"GEOHASH g Palermo",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := splitFields(line)
		if len(args) == 0 || len(args) > 40 || !geoCommands[strings.ToUpper(args[0])] {
			return // other commands may block or never reply
		}
		// A connection bound to this input's t (Conn reports through it).
		c := s.Dial(t)
		defer c.Close()
		raw := c.Do(args...)
		if _, err := resp.ReadReply(bufioReader(raw)); err != nil {
			t.Fatalf("%q: bad reply %q", line, raw)
		}
	})
}

var geoCommands = map[string]bool{
	"GEOADD": true, "GEODIST": true, "GEOHASH": true, "GEOPOS": true,
	"GEOSEARCH": true, "GEOSEARCHSTORE": true, "GEORADIUS": true,
	"GEORADIUS_RO": true, "GEORADIUSBYMEMBER": true, "GEORADIUSBYMEMBER_RO": true,
}

// splitFields splits on spaces, keeping empty strings out.
func splitFields(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}
