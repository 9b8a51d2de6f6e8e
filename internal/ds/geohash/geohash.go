package geohash

import "math"

// Limits of the indexed area. Latitudes stop at ±85.05112878 because the
// Web Mercator projection (which the cell sizes assume) ends there.
const (
	LonMin = -180.0
	LonMax = 180.0
	LatMin = -85.05112878
	LatMax = 85.05112878

	// StepMax is the bits per axis of a stored score (2*26 = 52 bits, the
	// most a float64 score holds exactly).
	StepMax = 26

	// EarthRadius is Redis's Earth radius in metres; distances use it.
	EarthRadius = 6372797.560856

	// mercatorMax is half the Mercator world width in metres, the radius
	// that a one-bit step covers.
	mercatorMax = 20037726.37

	degToRad = math.Pi / 180.0
)

// Range is an interval of one coordinate.
type Range struct{ Min, Max float64 }

// WGS84 ranges used for the stored scores.
var (
	lonRange = Range{LonMin, LonMax}
	latRange = Range{LatMin, LatMax}
)

// Hash is a geohash of Step bits per axis: longitude bits in the odd
// positions, latitude bits in the even ones.
type Hash struct {
	Bits uint64
	Step uint
}

// IsZero reports whether h is the "no cell" marker of a pruned neighbour.
func (h Hash) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// Area is the cell a hash covers.
type Area struct {
	Hash Hash
	Lon  Range
	Lat  Range
}

// ValidLonLat reports whether a point may be indexed.
func ValidLonLat(lon, lat float64) bool {
	return lon >= LonMin && lon <= LonMax && lat >= LatMin && lat <= LatMax
}

// spread moves the low 32 bits of v to the even bit positions.
func spread(v uint64) uint64 {
	v &= 0xFFFFFFFF
	v = (v | v<<16) & 0x0000FFFF0000FFFF
	v = (v | v<<8) & 0x00FF00FF00FF00FF
	v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

// squash is spread's inverse: it gathers the even bits of v.
func squash(v uint64) uint64 {
	v &= 0x5555555555555555
	v = (v | v>>1) & 0x3333333333333333
	v = (v | v>>2) & 0x0F0F0F0F0F0F0F0F
	v = (v | v>>4) & 0x00FF00FF00FF00FF
	v = (v | v>>8) & 0x0000FFFF0000FFFF
	v = (v | v>>16) & 0x00000000FFFFFFFF
	return v
}

// interleave puts lat in the even bits and lon in the odd bits.
func interleave(lat, lon uint32) uint64 { return spread(uint64(lat)) | spread(uint64(lon))<<1 }

// deinterleave splits bits into its latitude and longitude parts.
func deinterleave(bits uint64) (lat, lon uint32) {
	return uint32(squash(bits)), uint32(squash(bits >> 1))
}

// EncodeRange hashes a point into cells of step bits per axis over the
// given ranges. It fails outside the indexable area or the ranges.
func EncodeRange(lonR, latR Range, lon, lat float64, step uint) (Hash, bool) {
	if step == 0 || step > 32 || lonR.Min == lonR.Max || latR.Min == latR.Max {
		return Hash{}, false
	}
	if !ValidLonLat(lon, lat) {
		return Hash{}, false
	}
	if lat < latR.Min || lat > latR.Max || lon < lonR.Min || lon > lonR.Max {
		return Hash{}, false
	}
	latOff := (lat - latR.Min) / (latR.Max - latR.Min)
	lonOff := (lon - lonR.Min) / (lonR.Max - lonR.Min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	// The offsets are truncated toward zero as a C double-to-uint32
	// conversion does; at the top edge the offset is 2^step, one bit past
	// the step, which Redis keeps as well.
	return Hash{Bits: interleave(uint32(latOff), uint32(lonOff)), Step: step}, true
}

// Encode hashes a point with the stored (WGS84, Mercator-limited) ranges.
func Encode(lon, lat float64, step uint) (Hash, bool) {
	return EncodeRange(lonRange, latRange, lon, lat, step)
}

// Align52 returns h's bits scaled to a 52-bit score.
func (h Hash) Align52() uint64 { return h.Bits << (52 - 2*h.Step) }

// Score returns the sorted-set score of a point, at full precision.
func Score(lon, lat float64) (uint64, bool) {
	h, ok := Encode(lon, lat, StepMax)
	if !ok {
		return 0, false
	}
	return h.Align52(), true
}

// DecodeRange returns the cell h covers over the given ranges.
func DecodeRange(lonR, latR Range, h Hash) (Area, bool) {
	if h.IsZero() || lonR.Min == lonR.Max || latR.Min == latR.Max {
		return Area{}, false
	}
	ilat, ilon := deinterleave(h.Bits)
	scale := float64(uint64(1) << h.Step)
	latScale := latR.Max - latR.Min
	lonScale := lonR.Max - lonR.Min
	return Area{
		Hash: h,
		Lat: Range{
			latR.Min + (float64(ilat)/scale)*latScale,
			latR.Min + ((float64(ilat)+1)/scale)*latScale,
		},
		Lon: Range{
			lonR.Min + (float64(ilon)/scale)*lonScale,
			lonR.Min + ((float64(ilon)+1)/scale)*lonScale,
		},
	}, true
}

// Decode returns the cell h covers over the stored ranges.
func Decode(h Hash) (Area, bool) { return DecodeRange(lonRange, latRange, h) }

// Center returns the middle of a cell, kept inside the indexable area.
func (a Area) Center() (lon, lat float64) {
	lon = (a.Lon.Min + a.Lon.Max) / 2
	lon = min(max(lon, LonMin), LonMax)
	lat = (a.Lat.Min + a.Lat.Max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return lon, lat
}

// DecodeScore returns the point a stored score stands for (the centre of
// its 52-bit cell). The float-to-integer conversion matches what C's cast
// gives for the scores GEOADD writes.
func DecodeScore(score float64) (lon, lat float64, ok bool) {
	a, ok := Decode(Hash{Bits: scoreBits(score), Step: StepMax})
	if !ok {
		return 0, 0, false
	}
	lon, lat = a.Center()
	return lon, lat, true
}

// scoreBits converts a score to hash bits as C's (uint64_t) cast does on
// x86-64, so that members added by ZADD with scores that are no geohash
// (negative, huge, infinite) decode to the same place as in Redis: values
// from 2^63 go through a signed conversion of x-2^63 with the top bit
// flipped, and a signed conversion out of range gives 1<<63.
func scoreBits(score float64) uint64 {
	const two63 = 9223372036854775808.0
	cvt := func(x float64) uint64 {
		if math.IsNaN(x) || x >= two63 || x < -two63 {
			return 1 << 63
		}
		return uint64(int64(x))
	}
	if !(score >= two63) {
		return cvt(score)
	}
	return cvt(score-two63) ^ 1<<63
}

// move shifts h by dx cells east and dy cells north, wrapping around at the
// edges of the hash space as Redis's neighbour arithmetic does.
func (h Hash) move(dx, dy int) Hash {
	lat, lon := deinterleave(h.Bits)
	mask := uint32(uint64(1)<<h.Step - 1)
	// Only the axis that moves is cut back to the step's bits: a centre on
	// the top or east edge keeps its overflow bit on the other axis.
	if dx != 0 {
		lon = (lon + uint32(dx)) & mask
	}
	if dy != 0 {
		lat = (lat + uint32(dy)) & mask
	}
	return Hash{Bits: interleave(lat, lon), Step: h.Step}
}

// Neighbors are the eight cells around one, by compass direction.
type Neighbors struct {
	North, South, East, West                   Hash
	NorthEast, NorthWest, SouthEast, SouthWest Hash
}

// NeighborsOf returns the eight cells around h.
func NeighborsOf(h Hash) Neighbors {
	return Neighbors{
		North:     h.move(0, 1),
		South:     h.move(0, -1),
		East:      h.move(1, 0),
		West:      h.move(-1, 0),
		NorthEast: h.move(1, 1),
		NorthWest: h.move(-1, 1),
		SouthEast: h.move(1, -1),
		SouthWest: h.move(-1, -1),
	}
}

// Distance is the haversine distance in metres between two points.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := lon1 * degToRad
	lon2r := lon2 * degToRad
	v := sin((lon2r - lon1r) / 2)
	if v == 0 {
		// Same meridian: the distance is along it alone.
		return latDistance(lat1, lat2)
	}
	lat1r := lat1 * degToRad
	lat2r := lat2 * degToRad
	u := sin((lat2r - lat1r) / 2)
	a := u*u + cos(lat1r)*cos(lat2r)*v*v
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

// FastDistance is Distance with the platform's sin, cos and asin, which
// may be an ulp or two away: about 30 times cheaper, and exact enough
// wherever a last-bit difference cannot change the outcome (see
// Shape.Contains).
func FastDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := lon1 * degToRad
	lon2r := lon2 * degToRad
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0 {
		return latDistance(lat1, lat2)
	}
	lat1r := lat1 * degToRad
	lat2r := lat2 * degToRad
	u := math.Sin((lat2r - lat1r) / 2)
	a := u*u + math.Cos(lat1r)*math.Cos(lat2r)*v*v
	return 2.0 * EarthRadius * math.Asin(math.Sqrt(a))
}

// fastSlack bounds how far FastDistance can be from Distance, relatively:
// a few ulps through four library calls, with a wide margin.
const fastSlack = 1e-12

// within reports d <= lim, computing the exact distance with exact()
// only when the fast one is too close to the limit to decide.
func within(d, lim float64, exact func() float64) (float64, bool) {
	if math.Abs(d-lim) > fastSlack*math.Max(d, lim) {
		return d, d <= lim
	}
	d = exact()
	return d, d <= lim
}

// latDistance is the distance in metres between two latitudes on one
// meridian.
func latDistance(lat1, lat2 float64) float64 {
	return EarthRadius * math.Abs(lat2*degToRad-lat1*degToRad)
}

// Shape is a search area centred on a point: a circle of Radius units,
// or (Box) a rectangle Width by Height units, where a unit is Conv metres.
// The sizes stay in the user's unit because Redis converts them at each
// use, and the rounding of those products decides boundary cases.
type Shape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conv          float64
}

// boundSlack is the relative margin by which a cheap bound must clear the
// limit to decide without trigonometry: the bounds and the exact distance
// are computed from the same radians, so only a few roundings separate
// them.
const boundSlack = 1e-9

// In reports whether a point lies in the shape, as Contains does, for
// callers that need no distance. Most points are decided by bounds on the
// great-circle distance without trigonometry: it is at least the
// latitude difference R·|Δφ| (the path cannot change latitude faster) and
// at most R·(|Δφ|+|Δλ|) (the path along the meridian, then along the
// parallel, which is no longer than R·|Δλ|).
func (s *Shape) In(lon, lat float64) bool {
	dlat := math.Abs(lat*degToRad - s.Lat*degToRad)
	if s.Box {
		// The shape's north-south extent is exactly latDistance.
		if EarthRadius*dlat > s.Height*s.Conv/2 {
			return false
		}
		// Both points of the width test share lat: the distance is at most
		// R·|Δλ|. Far from the antipode only: there rounding can push
		// the haversine out of asin's domain, and the exact test says no.
		if d := math.Abs(s.Lon*degToRad - lon*degToRad); d < 3 && EarthRadius*d < s.Width*s.Conv/2*(1-boundSlack) {
			return true
		}
		_, in := s.Contains(lon, lat)
		return in
	}
	lim := s.Radius * s.Conv
	if EarthRadius*dlat > lim*(1+boundSlack) {
		return false
	}
	// As for the box: far from the antipode only.
	sum := dlat + math.Abs(lon*degToRad-s.Lon*degToRad)
	if sum < 3 && EarthRadius*sum < lim*(1-boundSlack) {
		return true
	}
	_, in := s.Contains(lon, lat)
	return in
}

// Contains reports whether a point lies in the shape and returns its
// distance in metres from the centre.
//
// The distance returned may be FastDistance's: callers that print it at
// full precision recompute it with Distance. The decision itself is
// always the one the exact distance gives.
func (s *Shape) Contains(lon, lat float64) (float64, bool) {
	if !s.Box {
		return within(FastDistance(s.Lon, s.Lat, lon, lat), s.Radius*s.Conv,
			func() float64 { return Distance(s.Lon, s.Lat, lon, lat) })
	}
	// The latitude test is the cheaper one, so it goes first.
	if latDistance(lat, s.Lat) > s.Height*s.Conv/2 {
		return 0, false
	}
	if _, in := within(FastDistance(lon, lat, s.Lon, lat), s.Width*s.Conv/2,
		func() float64 { return Distance(lon, lat, s.Lon, lat) }); !in {
		return 0, false
	}
	return FastDistance(s.Lon, s.Lat, lon, lat), true
}

// Bounds returns the longitude/latitude rectangle that encloses the shape.
func (s *Shape) Bounds() (minLon, minLat, maxLon, maxLat float64) {
	b := s.bounds(cos)
	return b.minLon, b.minLat, b.maxLon, b.maxLat
}

// shapeBounds is the enclosing rectangle, with the half-width in longitude
// and the parallel (in degrees) whose cosine gave it.
type shapeBounds struct {
	minLon, minLat, maxLon, maxLat float64
	lonDelta, edgeLat              float64
}

// bounds computes the enclosing rectangle with the given cosine.
func (s *Shape) bounds(cosf func(float64) float64) shapeBounds {
	height, width := s.Conv*s.Radius, s.Conv*s.Radius
	if s.Box {
		height, width = s.Conv*(s.Height/2), s.Conv*(s.Width/2)
	}
	latDelta := height / EarthRadius / degToRad
	// The widest parallel of the box is the one nearer the equator.
	edge := s.Lat + latDelta
	if s.Lat < 0 {
		edge = s.Lat - latDelta
	}
	lonDelta := width / EarthRadius / cosf(edge*degToRad) / degToRad
	return shapeBounds{
		minLon: s.Lon - lonDelta, minLat: s.Lat - latDelta,
		maxLon: s.Lon + lonDelta, maxLat: s.Lat + latDelta,
		lonDelta: lonDelta, edgeLat: edge,
	}
}

// estimateStep picks the cell size whose 3x3 neighbourhood covers a
// radius at a latitude.
func estimateStep(meters, lat float64) uint {
	if meters == 0 {
		return StepMax
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2 // leave room so the radius fits the neighbourhood in most cases
	// Cells narrow towards the poles, so use bigger ones there.
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint(min(max(step, 1), StepMax))
}

// SearchAreas returns the cells to scan for a shape, in Redis's order:
// the centre cell, then N, S, E, W, NE, NW, SE, SW. Cells that cannot
// hold a match are zero Hashes.
//
// The longitude bounds need a cosine that must be Redis's to the last
// bit only when a bound falls next to a cell edge; the platform's cosine,
// about ten times cheaper, decides every other case.
func SearchAreas(s *Shape) [9]Hash {
	if areas, sure := s.searchAreas(true); sure {
		return areas
	}
	areas, _ := s.searchAreas(false)
	return areas
}

// searchAreas is SearchAreas with the platform's cosine (fast) or the
// exact one. With fast, sure is false when the answer could differ from
// the exact one's: a longitude comparison too close to call, or a
// parallel so near a pole that math.Cos loses its relative accuracy.
func (s *Shape) searchAreas(fast bool) (areas [9]Hash, sure bool) {
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	}
	radius *= s.Conv
	cosf := cos
	if fast {
		cosf = math.Cos
	}
	b := s.bounds(cosf)
	minLon, minLat, maxLon, maxLat := b.minLon, b.minLat, b.maxLon, b.maxLat
	sure = true
	margin := 0.0
	if fast {
		if !(math.Abs(b.edgeLat) < 89 && math.Abs(b.lonDelta) < 360) {
			return areas, false
		}
		// The platform's cosine is within a few ulps, so the fast bound is
		// within a few ulps of these magnitudes of the exact one.
		margin = 1e-12 * (math.Abs(s.Lon) + math.Abs(b.lonDelta))
	}
	// lonLess is a < b for a comparison with a longitude bound.
	lonLess := func(a, b float64) bool {
		if fast && math.Abs(a-b) <= margin {
			sure = false
		}
		return a < b
	}

	step := estimateStep(radius, s.Lat)
	h, _ := Encode(s.Lon, s.Lat, step)
	nb := NeighborsOf(h)
	area, _ := Decode(h)

	// Near a cell edge the estimate can be too coarse for a neighbour to
	// reach the whole shape; one step down fixes it.
	north, _ := Decode(nb.North)
	south, _ := Decode(nb.South)
	east, _ := Decode(nb.East)
	west, _ := Decode(nb.West)
	if step > 1 && (north.Lat.Max < maxLat || south.Lat.Min > minLat ||
		lonLess(east.Lon.Max, maxLon) || lonLess(minLon, west.Lon.Min)) {
		step--
		h, _ = Encode(s.Lon, s.Lat, step)
		nb = NeighborsOf(h)
		area, _ = Decode(h)
	}

	// Drop the neighbours on a side the shape does not reach.
	if step >= 2 {
		if area.Lat.Min < minLat {
			nb.South, nb.SouthWest, nb.SouthEast = Hash{}, Hash{}, Hash{}
		}
		if area.Lat.Max > maxLat {
			nb.North, nb.NorthEast, nb.NorthWest = Hash{}, Hash{}, Hash{}
		}
		if lonLess(area.Lon.Min, minLon) {
			nb.West, nb.SouthWest, nb.NorthWest = Hash{}, Hash{}, Hash{}
		}
		if lonLess(maxLon, area.Lon.Max) {
			nb.East, nb.SouthEast, nb.NorthEast = Hash{}, Hash{}, Hash{}
		}
	}
	return [9]Hash{h, nb.North, nb.South, nb.East, nb.West,
		nb.NorthEast, nb.NorthWest, nb.SouthEast, nb.SouthWest}, sure
}

// ScoreRange returns the half-open score interval [lo, hi) of the stored
// points inside cell h.
func (h Hash) ScoreRange() (lo, hi uint64) {
	lo = h.Align52()
	hi = Hash{Bits: h.Bits + 1, Step: h.Step}.Align52()
	return lo, hi
}

// base32 is the standard geohash alphabet.
const base32 = "0123456789bcdefghjkmnpqrstuvwxyz"

// String11 returns the standard 11-character geohash of a point: the
// point is re-hashed over latitudes -90..90 (the stored hash uses the
// Mercator limits) and the 55th bit the 52 bits cannot fill is a zero.
func String11(lon, lat float64) (string, bool) {
	h, ok := EncodeRange(Range{-180, 180}, Range{-90, 90}, lon, lat, StepMax)
	if !ok {
		return "", false
	}
	var buf [11]byte
	for i := 0; i < 10; i++ {
		buf[i] = base32[(h.Bits>>(52-uint((i+1)*5)))&0x1f]
	}
	buf[10] = base32[0]
	return string(buf[:]), true
}
