package server_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/taconite/taconite/internal/ds/geohash"
	"github.com/taconite/taconite/internal/servertest"
)

// A search that needs no distances (no sort, no WITHDIST) decides
// membership without them: it finds the members the distance-ordered
// search finds, on a listpack and on a skiplist, also with radii and
// boxes that pass exactly through members.
func TestGeoSearchWithoutDistancesAgrees(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	r := rand.New(rand.NewPCG(13, 14))
	type pt struct{ lon, lat float64 }
	var pts []pt
	for _, key := range []string{"small", "big"} {
		n := 100
		if key == "big" {
			n = 3000
		}
		args := []string{"GEOADD", key}
		for i := 0; i < n; i++ {
			lon := 2 + r.Float64()*4 - 2
			lat := 48 + r.Float64()*2 - 1
			args = append(args, strconv.FormatFloat(lon, 'f', 6, 64), strconv.FormatFloat(lat, 'f', 6, 64), fmt.Sprintf("p%d", i))
			if key == "big" {
				sc, _ := geohash.Score(lon, lat)
				dlon, dlat, _ := geohash.DecodeScore(float64(sc))
				pts = append(pts, pt{dlon, dlat})
			}
		}
		c.Do(args...)
	}
	geoExpect(t, c, "$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "small")
	geoExpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "big")
	members := func(args ...string) []string {
		t.Helper()
		v := geoReply(t, c, args...)
		var out []string
		for _, e := range v.Elems {
			if e.Elems != nil {
				e = e.Elems[0]
			}
			out = append(out, string(e.Str))
		}
		slices.Sort(out)
		return out
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for q := 0; q < 300; q++ {
		key := "big"
		if q%3 == 0 {
			key = "small"
		}
		lon, lat := 2+r.Float64()*3-1.5, 48+r.Float64()*1.5-0.75
		by := []string{"BYRADIUS", f(r.Float64() * 100), "km"}
		p := pts[r.IntN(len(pts))]
		switch q % 4 {
		case 1:
			// The circle passes through a member (of "big").
			by = []string{"BYRADIUS", f(geohash.Distance(lon, lat, p.lon, p.lat)), "m"}
		case 2:
			by = []string{"BYBOX", f(r.Float64() * 150), f(r.Float64() * 150), "km"}
		case 3:
			// The box's sides pass through a member.
			by = []string{"BYBOX", f(2 * geohash.Distance(lon, p.lat, p.lon, p.lat)), f(2 * geohash.Distance(p.lon, lat, p.lon, p.lat)), "m"}
		}
		base := append([]string{"GEOSEARCH", key, "FROMLONLAT", f(lon), f(lat)}, by...)
		want := members(append(slices.Clone(base), "ASC", "WITHDIST")...)
		if got := members(base...); !slices.Equal(got, want) {
			t.Fatalf("%v: %d members, with distances %d", base, len(got), len(want))
		}
		if len(want) == 0 {
			continue
		}
		// ANY stops early with members from the same set.
		n := r.IntN(len(want)) + 1
		got := members(append(slices.Clone(base), "COUNT", strconv.Itoa(n), "ANY")...)
		if len(got) != n {
			t.Fatalf("%v COUNT %d ANY: %d members", base, n, len(got))
		}
		for _, m := range got {
			if _, ok := slices.BinarySearch(want, m); !ok {
				t.Fatalf("%v COUNT %d ANY: %s is outside", base, n, m)
			}
		}
	}
}
