package geohash

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Scores and positions below were read from redis-server 7.0.15.
func TestScoreMatchesRedis(t *testing.T) {
	cases := []struct {
		lon, lat float64
		score    uint64
	}{
		{13.361389, 38.115556, 3479099956230698},
		{15.087269, 37.502669, 3479447370796909},
	}
	for _, c := range cases {
		got, ok := Score(c.lon, c.lat)
		if !ok || got != c.score {
			t.Errorf("Score(%v, %v) = %d, %v; want %d", c.lon, c.lat, got, ok, c.score)
		}
	}
	lon, lat, ok := DecodeScore(3479099956230698)
	if !ok || lon != 13.36138933897018433 || lat != 38.11555639549629859 {
		t.Errorf("DecodeScore = %.17f %.17f %v", lon, lat, ok)
	}
	if s, _ := String11(lon, lat); s != "sqc8b49rny0" {
		t.Errorf("String11 = %q", s)
	}
}

func TestEncodeRejectsOutOfRange(t *testing.T) {
	for _, p := range [][2]float64{{180.0001, 0}, {-180.0001, 0}, {0, 85.06}, {0, -85.06}, {math.NaN(), 0}} {
		if _, ok := Score(p[0], p[1]); ok {
			t.Errorf("Score(%v) accepted", p)
		}
	}
	if _, ok := Score(180, LatMax); !ok {
		t.Error("corner rejected")
	}
}

func TestDecodeInsideCell(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		lon := r.Float64()*360 - 180
		lat := r.Float64()*2*LatMax - LatMax
		s, ok := Score(lon, lat)
		if !ok {
			t.Fatalf("Score(%v, %v) failed", lon, lat)
		}
		dlon, dlat, _ := DecodeScore(float64(s))
		if math.Abs(dlon-lon) > 1e-5 || math.Abs(dlat-lat) > 1e-5 {
			t.Fatalf("(%v,%v) decoded as (%v,%v)", lon, lat, dlon, dlat)
		}
		if d := Distance(lon, lat, dlon, dlat); d > 1 {
			t.Fatalf("decoded %v m away", d)
		}
	}
}

func TestNeighborsWrap(t *testing.T) {
	h, _ := Encode(179.99, 0, 10)
	nb := NeighborsOf(h)
	e, _ := Decode(nb.East)
	if e.Lon.Min != -180 {
		t.Errorf("east of the antimeridian starts at %v", e.Lon.Min)
	}
	w, _ := Decode(nb.West)
	c, _ := Decode(h)
	if w.Lon.Max != c.Lon.Min {
		t.Errorf("west cell ends at %v, centre starts at %v", w.Lon.Max, c.Lon.Min)
	}
	n, _ := Decode(nb.North)
	if n.Lat.Min != c.Lat.Max {
		t.Errorf("north cell starts at %v, centre ends at %v", n.Lat.Min, c.Lat.Max)
	}
}

func TestDistance(t *testing.T) {
	// GEODIST Sicily Palermo Catania on Redis.
	lon1, lat1, _ := DecodeScore(3479099956230698)
	lon2, lat2, _ := DecodeScore(3479447370796909)
	if d := Distance(lon1, lat1, lon2, lat2); math.Abs(d-166274.1516) > 0.00005 {
		t.Errorf("Distance = %.4f", d)
	}
	// A distance along a meridian takes the short path.
	one := 1.0
	if d := Distance(10, 0, 10, one); d != EarthRadius*(one*degToRad) {
		t.Errorf("meridian distance %v", d)
	}
	// STOREDIST from Redis: the full-precision digits.
	if d := Distance(15, 37, 13.36138933897018433, 38.11555639549629859) / 1000; d != 190.44242984775784 {
		t.Errorf("Distance = %.17g", d)
	}
}

func TestTrigCloseToMath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		x := (r.Float64()*2 - 1) * math.Pi
		if d := math.Abs(sin(x) - math.Sin(x)); d > 4e-16 {
			t.Fatalf("sin(%v) off by %v", x, d)
		}
		if d := math.Abs(cos(x) - math.Cos(x)); d > 4e-16 {
			t.Fatalf("cos(%v) off by %v", x, d)
		}
		// math.Asin loses several ulps near 1, so compare below that.
		y := r.Float64() * 0.9
		if d := math.Abs(asin(y) - math.Asin(y)); d > 4e-16 {
			t.Fatalf("asin(%v) off by %v", y, d)
		}
	}
}

// The search cells must contain every point of the shape: brute force
// over random points agrees with the cell scan.
func TestSearchAreasCoverShape(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 200; i++ {
		sh := Shape{Lon: r.Float64()*360 - 180, Lat: r.Float64()*160 - 80, Conv: 1000}
		if i%2 == 0 {
			sh.Radius = r.Float64() * 500
		} else {
			sh.Box, sh.Width, sh.Height = true, r.Float64()*800, r.Float64()*800
		}
		areas := SearchAreas(&sh)
		for j := 0; j < 200; j++ {
			lon := sh.Lon + (r.Float64()*2-1)*10
			lat := sh.Lat + (r.Float64()*2-1)*5
			if !ValidLonLat(lon, lat) {
				continue
			}
			s, _ := Score(lon, lat)
			plon, plat, _ := DecodeScore(float64(s))
			if _, in := sh.Contains(plon, plat); !in {
				continue
			}
			found := false
			for _, h := range areas {
				lo, hi := h.ScoreRange()
				if !h.IsZero() && s >= lo && s < hi {
					found = true
				}
			}
			if !found {
				t.Fatalf("shape %+v: point (%v,%v) in no search cell", sh, plon, plat)
			}
		}
	}
}

func FuzzDecodeScore(f *testing.F) {
	for _, s := range []float64{0, 1, 3479099956230698, 1 << 52, -1, 1e300, math.Inf(1), math.NaN()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s float64) {
		lon, lat, ok := DecodeScore(s)
		if !ok {
			return
		}
		if !ValidLonLat(lon, lat) {
			t.Fatalf("DecodeScore(%v) = (%v,%v) outside the area", s, lon, lat)
		}
		if _, ok := String11(lon, lat); !ok {
			t.Fatalf("String11(%v,%v) failed", lon, lat)
		}
	})
}

func FuzzEncodeDecode(f *testing.F) {
	f.Add(13.361389, 38.115556)
	f.Add(180.0, LatMax)
	f.Add(-180.0, -LatMax)
	f.Fuzz(func(t *testing.T, lon, lat float64) {
		s, ok := Score(lon, lat)
		if !ok {
			if ValidLonLat(lon, lat) {
				t.Fatalf("valid (%v,%v) rejected", lon, lat)
			}
			return
		}
		// At the top and east edges Redis's hash overflows its 52 bits
		// by one bit per axis (and the sorted set rounds it, as Redis's
		// does), but never further.
		if s >= 1<<54 {
			t.Fatalf("score %d too big", s)
		}
		dlon, dlat, _ := DecodeScore(float64(s))
		if math.Abs(dlon-lon) > 1e-5 || math.Abs(dlat-lat) > 1e-5 {
			t.Fatalf("(%v,%v) decoded as (%v,%v)", lon, lat, dlon, dlat)
		}
	})
}

func BenchmarkScore(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Score(13.361389+float64(i%1000)*1e-4, 38.115556)
	}
}

func BenchmarkDistance(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Distance(15, 37, 13.361389+float64(i%1000)*1e-4, 38.115556)
	}
}

// In decides exactly as Contains, also for points on the boundary, where
// its bounds cannot decide and it falls back to the exact distance.
func TestInMatchesContains(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	check := func(sh *Shape, lon, lat float64) {
		t.Helper()
		_, want := sh.Contains(lon, lat)
		if got := sh.In(lon, lat); got != want {
			t.Fatalf("shape %+v, point (%v,%v): In %v, Contains %v", *sh, lon, lat, got, want)
		}
	}
	for i := 0; i < 20000; i++ {
		s, _ := Score(r.Float64()*360-180, r.Float64()*2*LatMax-LatMax)
		lon, lat, _ := DecodeScore(float64(s))
		sh := Shape{Lon: r.Float64()*360 - 180, Lat: r.Float64()*2*LatMax - LatMax, Conv: 1}
		if i%4 == 0 {
			// Near the point, at every scale.
			sh.Lon = min(max(lon+(r.Float64()*2-1)*math.Pow(10, -float64(r.IntN(8))), LonMin), LonMax)
			sh.Lat = min(max(lat+(r.Float64()*2-1)*math.Pow(10, -float64(r.IntN(8))), LatMin), LatMax)
		}
		if i%2 == 0 {
			d := Distance(sh.Lon, sh.Lat, lon, lat)
			// Exactly on the circle, just inside and outside it, and
			// anywhere.
			for _, rad := range []float64{d, math.Nextafter(d, 0), math.Nextafter(d, math.Inf(1)), d * (1 + 1e-10), d * (1 - 1e-10), r.Float64() * 2e7, 3e7} {
				sh.Radius = rad
				check(&sh, lon, lat)
			}
			continue
		}
		sh.Box = true
		w := 2 * Distance(sh.Lon, lat, lon, lat)
		h := 2 * latDistance(lat, sh.Lat)
		for _, wh := range [][2]float64{{w, h}, {math.Nextafter(w, 0), h}, {w, math.Nextafter(h, 0)}, {w * (1 + 1e-10), h * (1 + 1e-10)}, {r.Float64() * 4e7, r.Float64() * 4e7}} {
			sh.Width, sh.Height = wh[0], wh[1]
			check(&sh, lon, lat)
		}
	}
}

// The cells found with the platform's cosine are the exact cosine's
// whenever the fast pass is sure, including shapes whose longitude bound
// falls right on a cell edge.
func TestSearchAreasFastMatchesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	unsure := 0
	for i := 0; i < 20000; i++ {
		sh := Shape{Lon: r.Float64()*360 - 180, Lat: r.Float64()*2*LatMax - LatMax, Conv: 1}
		if i%2 == 0 {
			sh.Radius = math.Pow(10, r.Float64()*8)
		} else {
			sh.Box, sh.Width, sh.Height = true, math.Pow(10, r.Float64()*8), math.Pow(10, r.Float64()*8)
		}
		if i%3 == 0 {
			// Move the centre so that a longitude bound meets an edge of
			// the cells of the estimated step (or the one below).
			radius := sh.Radius
			if sh.Box {
				radius = math.Sqrt((sh.Width/2)*(sh.Width/2) + (sh.Height/2)*(sh.Height/2))
			}
			step := estimateStep(radius, sh.Lat) - uint(r.IntN(2))
			cell := 360 / float64(uint64(1)<<step)
			b := sh.bounds(cos)
			bound := b.maxLon
			if r.IntN(2) == 0 {
				bound = b.minLon
			}
			edge := math.Round((bound+180)/cell)*cell - 180
			sh.Lon += edge - bound
			if !ValidLonLat(sh.Lon, sh.Lat) {
				continue
			}
		}
		exact, _ := sh.searchAreas(false)
		fast, sure := sh.searchAreas(true)
		if !sure {
			unsure++
			continue
		}
		if fast != exact {
			t.Fatalf("shape %+v: fast cells %v, exact %v", sh, fast, exact)
		}
		if got := SearchAreas(&sh); got != exact {
			t.Fatalf("shape %+v: SearchAreas %v, exact %v", sh, got, exact)
		}
	}
	if unsure == 0 {
		t.Error("no shape needed the exact cosine: the edge cases were not reached")
	}
	t.Logf("%d of 20000 shapes fell back to the exact cosine", unsure)
}
