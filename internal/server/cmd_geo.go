package server

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/geohash"
	"github.com/taconite/taconite/internal/rerr"
)

// Commands of geospatial indexes: GEOADD GEODIST GEOHASH GEOPOS GEOSEARCH
// GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO
// GEORADIUSBYMEMBER_RO. A geo index is a sorted set whose scores are the
// members' 52-bit geohashes (internal/ds/geohash), so every zset command
// works on it and ZRANGE WITHSCORES shows the same scores as Redis.

func geoHandlers() []handler {
	return []handler{
		{name: "geoadd", fn: cmdGeoAdd},
		{name: "geodist", fn: cmdGeoDist},
		{name: "geohash", fn: cmdGeoHash},
		{name: "geopos", fn: cmdGeoPos},
		{name: "georadius", fn: cmdGeoRadius},
		{name: "georadius_ro", fn: cmdGeoRadiusRO},
		{name: "georadiusbymember", fn: cmdGeoRadiusByMember},
		{name: "georadiusbymember_ro", fn: cmdGeoRadiusByMemberRO},
		{name: "geosearch", fn: cmdGeoSearch},
		{name: "geosearchstore", fn: cmdGeoSearchStore},
	}
}

// geoUnit returns the metres in one unit (m, km, ft, mi, any case).
func geoUnit(b []byte) (float64, bool) {
	switch {
	case eq(b, "m"):
		return 1, true
	case eq(b, "km"):
		return 1000, true
	case eq(b, "ft"):
		return 0.3048, true
	case eq(b, "mi"):
		return 1609.34, true
	}
	return 0, false
}

// argGeoUnit parses a unit or replies the error; ok is false when it
// replied.
func (c *client) argGeoUnit(b []byte) (float64, bool) {
	u, ok := geoUnit(b)
	if !ok {
		c.replyError(rerr.GeoUnit)
	}
	return u, ok
}

// argLonLat parses a longitude and a latitude (as Redis's
// getDoubleFromObject, strtod syntax: parseScore) and checks they can be
// indexed; ok is false when it replied.
func (c *client) argLonLat(lonb, latb []byte) (lon, lat float64, ok bool) {
	if lon, ok = parseScore(lonb); !ok {
		c.replyError(rerr.NotFloat)
		return 0, 0, false
	}
	if lat, ok = parseScore(latb); !ok {
		c.replyError(rerr.NotFloat)
		return 0, 0, false
	}
	if !geohash.ValidLonLat(lon, lat) {
		c.replyError(rerr.GeoInvalidPair(lon, lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoDistText formats a distance as Redis does ("%.4f").
func geoDistText(d float64) string { return strconv.FormatFloat(d, 'f', 4, 64) }

// geoCoordText formats a coordinate as Redis's "human" long double: 17
// decimals with the trailing zeros (and a bare point) removed.
func geoCoordText(f float64) string {
	s := strconv.FormatFloat(f, 'f', 17, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// replyGeoCoord sends a coordinate: a bulk string in RESP2, a double in
// RESP3, with the same digits.
func (c *client) replyGeoCoord(f float64) {
	s := geoCoordText(f)
	if c.proto == 3 {
		c.replyRaw([]byte("," + s + "\r\n"))
		return
	}
	c.replyBulkString(s)
}

// memberLonLat returns the position of a member of a geo index.
func (z *zsetObj) memberLonLat(m []byte) (lon, lat float64, ok bool) {
	s, ok := z.score(string(m))
	if !ok {
		return 0, 0, false
	}
	return geohash.DecodeScore(s)
}

// GEOADD key [NX|XX] [CH] longitude latitude member [...]
func cmdGeoAdd(c *client, argv [][]byte) {
	flags := 0
	i := 2
	for ; i < len(argv); i++ {
		switch a := argv[i]; {
		case eq(a, "nx"):
			flags |= zaddNX
		case eq(a, "xx"):
			flags |= zaddXX
		case eq(a, "ch"):
			flags |= zaddCH
		default:
			goto done
		}
	}
done:
	rest := len(argv) - i
	// Redis checks the triples and NX+XX with one syntax error, then
	// hands ZADD its arguments, which rejects an empty list the same way.
	if rest%3 != 0 || rest == 0 || (flags&zaddNX != 0 && flags&zaddXX != 0) {
		c.replyError(rerr.Syntax)
		return
	}
	n := rest / 3
	scores := make([]float64, n)
	elems := make([][]byte, 2*n)
	for j := 0; j < n; j++ {
		t := argv[i+3*j:]
		lon, lat, ok := c.argLonLat(t[0], t[1])
		if !ok {
			return
		}
		s, _ := geohash.Score(lon, lat)
		scores[j] = float64(s)
		elems[2*j+1] = t[2]
	}
	c.zaddGeneric(argv[1], flags, scores, elems)
}

// GEODIST key member1 member2 [unit]
func cmdGeoDist(c *client, argv [][]byte) {
	conv := 1.0
	if len(argv) == 5 {
		var ok bool
		if conv, ok = c.argGeoUnit(argv[4]); !ok {
			return
		}
	} else if len(argv) > 5 {
		c.replyError(rerr.Syntax)
		return
	}
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.replyNull()
		return
	}
	lon1, lat1, ok1 := z.memberLonLat(argv[2])
	lon2, lat2, ok2 := z.memberLonLat(argv[3])
	if !ok1 || !ok2 {
		c.replyNull()
		return
	}
	c.replyBulkString(geoDistText(geohash.Distance(lon1, lat1, lon2, lat2) / conv))
}

// GEOHASH key [member ...]
func cmdGeoHash(c *client, argv [][]byte) {
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	c.replyArrayLen(len(argv) - 2)
	for _, m := range argv[2:] {
		if z == nil {
			c.replyNull()
			continue
		}
		lon, lat, ok := z.memberLonLat(m)
		if !ok {
			c.replyNull()
			continue
		}
		s, ok := geohash.String11(lon, lat)
		if !ok {
			c.replyNull()
			continue
		}
		c.replyBulkString(s)
	}
}

// GEOPOS key [member ...]
func cmdGeoPos(c *client, argv [][]byte) {
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	c.replyArrayLen(len(argv) - 2)
	for _, m := range argv[2:] {
		if z == nil {
			c.replyNullArray()
			continue
		}
		lon, lat, ok := z.memberLonLat(m)
		if !ok {
			c.replyNullArray()
			continue
		}
		c.replyArrayLen(2)
		c.replyGeoCoord(lon)
		c.replyGeoCoord(lat)
	}
}

// Variants of the search commands, as flags of geoSearch.
const (
	geoFromCoords   = 1 << iota // GEORADIUS: centre given as lon lat
	geoFromMember               // GEORADIUSBYMEMBER: centre given as a member
	geoNoStore                  // the _RO forms: no STORE / STOREDIST
	geoSyntaxSearch             // GEOSEARCH syntax (FROM… BY…)
	geoSearchStore              // GEOSEARCHSTORE: destination is argv[1]
)

func cmdGeoRadius(c *client, argv [][]byte) { c.geoSearch(argv, 1, geoFromCoords) }
func cmdGeoRadiusRO(c *client, argv [][]byte) {
	c.geoSearch(argv, 1, geoFromCoords|geoNoStore)
}
func cmdGeoRadiusByMember(c *client, argv [][]byte) { c.geoSearch(argv, 1, geoFromMember) }
func cmdGeoRadiusByMemberRO(c *client, argv [][]byte) {
	c.geoSearch(argv, 1, geoFromMember|geoNoStore)
}
func cmdGeoSearch(c *client, argv [][]byte) { c.geoSearch(argv, 1, geoSyntaxSearch) }
func cmdGeoSearchStore(c *client, argv [][]byte) {
	c.geoSearch(argv, 2, geoSyntaxSearch|geoSearchStore)
}

// Sort orders of a search.
const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// geoPoint is one search result.
type geoPoint struct {
	member   string
	score    float64
	lon, lat float64
	dist     float64 // metres from the centre
}

// argGeoRadius parses "radius unit" into the shape; ok is false when it
// replied.
func (c *client) argGeoRadius(args [][]byte, sh *geohash.Shape) bool {
	r, ok := parseScore(args[0])
	if !ok {
		c.replyError(rerr.GeoNeedRadius)
		return false
	}
	if r < 0 {
		c.replyError(rerr.GeoRadiusNegative)
		return false
	}
	conv, ok := c.argGeoUnit(args[1])
	if !ok {
		return false
	}
	sh.Box, sh.Radius, sh.Conv = false, r, conv
	return true
}

// argGeoBox parses "width height unit" into the shape; ok is false when it
// replied.
func (c *client) argGeoBox(args [][]byte, sh *geohash.Shape) bool {
	w, ok := parseScore(args[0])
	if !ok {
		c.replyError(rerr.GeoNeedWidth)
		return false
	}
	h, ok := parseScore(args[1])
	if !ok {
		c.replyError(rerr.GeoNeedHeight)
		return false
	}
	if h < 0 || w < 0 {
		c.replyError(rerr.GeoBoxNegative)
		return false
	}
	conv, ok := c.argGeoUnit(args[2])
	if !ok {
		return false
	}
	sh.Box, sh.Width, sh.Height, sh.Conv = true, w, h, conv
	return true
}

// geoSearch is every search command. The order of its checks is Redis's:
// the source's type first, then the centre and size of the fixed-position
// forms, then the options left to right, then the combinations.
func (c *client) geoSearch(argv [][]byte, srcIdx int, flags int) {
	z, ok := c.zsetLookup(argv[srcIdx], false)
	if !ok {
		return
	}
	var sh geohash.Shape
	var store []byte
	storeDist := false
	base := 0
	switch {
	case flags&geoFromCoords != 0:
		base = 6
		var ok bool
		if sh.Lon, sh.Lat, ok = c.argLonLat(argv[2], argv[3]); !ok {
			return
		}
		if !c.argGeoRadius(argv[4:6], &sh) {
			return
		}
	case flags&geoFromMember != 0:
		base = 5
		// A missing source still has its options parsed, so that the
		// reply's type follows STORE.
		if z != nil {
			var ok bool
			if sh.Lon, sh.Lat, ok = z.memberLonLat(argv[2]); !ok {
				c.replyError(rerr.GeoDecodeMember)
				return
			}
			if !c.argGeoRadius(argv[3:5], &sh) {
				return
			}
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			store = argv[1]
		}
	}

	withDist, withHash, withCoord, anyOpt := false, false, false, false
	fromMember, fromLonLat, byRadius, byBox := false, false, false, false
	order := geoSortNone
	var count int64
	search := flags&geoSyntaxSearch != 0
	args := argv[base:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		left := len(args) - i - 1 // arguments after this one
		switch {
		case eq(a, "withdist"):
			withDist = true
		case eq(a, "withhash"):
			withHash = true
		case eq(a, "withcoord"):
			withCoord = true
		case eq(a, "any"):
			anyOpt = true
		case eq(a, "asc"):
			order = geoSortAsc
		case eq(a, "desc"):
			order = geoSortDesc
		case eq(a, "count") && left >= 1:
			n, ok := c.argInt(args[i+1])
			if !ok {
				return
			}
			if n <= 0 {
				c.replyError(rerr.GeoCountPositive)
				return
			}
			count = n
			i++
		case (eq(a, "store") || eq(a, "storedist")) && left >= 1 && flags&(geoNoStore|geoSyntaxSearch) == 0:
			store = args[i+1]
			storeDist = eq(a, "storedist")
			i++
		case eq(a, "storedist") && flags&geoSearchStore != 0:
			storeDist = true
		case eq(a, "frommember") && left >= 1 && search && !fromLonLat:
			if z != nil {
				var ok bool
				if sh.Lon, sh.Lat, ok = z.memberLonLat(args[i+1]); !ok {
					c.replyError(rerr.GeoDecodeMember)
					return
				}
			}
			fromMember = true
			i++
		case eq(a, "fromlonlat") && left >= 2 && search && !fromMember:
			var ok bool
			if sh.Lon, sh.Lat, ok = c.argLonLat(args[i+1], args[i+2]); !ok {
				return
			}
			fromLonLat = true
			i += 2
		case eq(a, "byradius") && left >= 2 && search && !byBox:
			if !c.argGeoRadius(args[i+1:i+3], &sh) {
				return
			}
			byRadius = true
			i += 2
		case eq(a, "bybox") && left >= 3 && search && !byRadius:
			if !c.argGeoBox(args[i+1:i+4], &sh) {
				return
			}
			byBox = true
			i += 3
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}

	if store != nil && (withDist || withHash || withCoord) {
		if flags&geoSearchStore != 0 {
			c.replyError(rerr.GeoStoreWithSearch)
		} else {
			c.replyError(rerr.GeoStoreWithRadius)
		}
		return
	}
	if search && !fromMember && !fromLonLat {
		c.replyError(rerr.GeoNeedFrom(string(argv[0])))
		return
	}
	if search && !byRadius && !byBox {
		c.replyError(rerr.GeoNeedBy(string(argv[0])))
		return
	}
	if anyOpt && count == 0 {
		c.replyError(rerr.GeoAnyNeedsCount)
		return
	}

	if store != nil && !c.geoKeyLocked(store) {
		// The key specs name the first STORE and the first STOREDIST
		// key; Redis writes the last one given, which the gate did not
		// lock when the same option is repeated with another key.
		c.replyError(rerr.GeoStoreRepeated)
		return
	}
	if z == nil {
		if store != nil {
			if c.tx.Delete(store) {
				c.dirty()
				c.notify(config.NotifyGeneric, "del", store)
			}
			c.replyInt(0)
			return
		}
		c.replyArrayLen(0)
		return
	}

	// Without an order COUNT keeps the nearest ones, which needs sorting;
	// ANY keeps whichever were found first.
	if count != 0 && order == geoSortNone && !anyOpt {
		order = geoSortAsc
	}
	limit := 0
	if anyOpt {
		limit = int(min(count, math.MaxInt32))
	}
	// COUNT n ANY with a small n, the usual form, collects on the stack.
	var buf [16]geoPoint
	pts := geoCollect(z, &geoScan{sh: &sh, limit: limit, dist: order != geoSortNone || withDist}, buf[:0])
	if len(pts) == 0 && store == nil {
		c.replyArrayLen(0)
		return
	}
	n := len(pts)
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	switch order {
	case geoSortAsc:
		slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmp.Compare(a.dist, b.dist) })
	case geoSortDesc:
		slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmp.Compare(b.dist, a.dist) })
	}
	pts = pts[:n]

	if store != nil {
		event := "georadiusstore"
		if flags&geoSearchStore != 0 {
			event = "geosearchstore"
		}
		c.geoStore(store, pts, storeDist, &sh, event)
		return
	}
	opts := 0
	for _, on := range []bool{withDist, withHash, withCoord} {
		if on {
			opts++
		}
	}
	c.replyArrayLen(n)
	for _, p := range pts {
		if opts > 0 {
			c.replyArrayLen(opts + 1)
		}
		c.replyBulkString(p.member)
		if withDist {
			c.replyBulkString(geoDistText(p.printDist(&sh) / sh.Conv))
		}
		if withHash {
			c.replyInt(int64(p.score))
		}
		if withCoord {
			c.replyArrayLen(2)
			c.replyGeoCoord(p.lon)
			c.replyGeoCoord(p.lat)
		}
	}
}

// geoKeyLocked reports whether the gate locked key's shard.
func (c *client) geoKeyLocked(key []byte) bool {
	return c.tx.Locked()&(1<<uint(c.tx.Keyspace().ShardOf(key))) != 0
}

// geoStore writes a search result to dst: scores are the geohashes, or
// with STOREDIST the distances in the search's unit. A result that is not
// empty fires event on dst; an empty one deletes dst ("del").
func (c *client) geoStore(dst []byte, pts []geoPoint, storeDist bool, sh *geohash.Shape, event string) {
	es := make([]zent, 0, len(pts))
	seen := make(map[string]bool, len(pts))
	for _, p := range pts {
		// Very large radii can scan one cell twice; a member is stored
		// once.
		if seen[p.member] {
			continue
		}
		seen[p.member] = true
		s := p.score
		if storeDist {
			// Printed with 17 digits: the exact distance.
			s = geohash.Distance(sh.Lon, sh.Lat, p.lon, p.lat) / sh.Conv
		}
		es = append(es, zent{p.member, s})
	}
	c.zstore(dst, es, false)
	if len(es) > 0 {
		c.notify(config.NotifyZset, event, dst)
	}
}

// printDist is the point's distance fit for printing with 4 decimals: the
// fast distance, unless a last-bit error could change the printed digits,
// then the exact one.
func (p *geoPoint) printDist(sh *geohash.Shape) float64 {
	d := p.dist / sh.Conv
	if geoDistText(d*(1-1e-12)) == geoDistText(d*(1+1e-12)) {
		return p.dist
	}
	return geohash.Distance(sh.Lon, sh.Lat, p.lon, p.lat)
}

// geoScan is what a scan of the search cells looks for.
type geoScan struct {
	sh    *geohash.Shape
	limit int  // stop at this many points (ANY), when > 0
	dist  bool // the points' distances are needed (to sort or print)

	// The last score decoded and its outcome: members added at one
	// position share a score and sit next to each other in the set. (No
	// pointers here, so that the scan state can stay on the stack.)
	last   geoPos
	lastIn bool
	seen   bool
}

// geoPos is a decoded score and its distance from the centre.
type geoPos struct{ score, lon, lat, dist float64 }

// geoCollect scans the search cells of a shape in Redis's order and
// appends the members inside it to pts.
func geoCollect(z *zsetObj, q *geoScan, pts []geoPoint) []geoPoint {
	areas := geohash.SearchAreas(q.sh)
	last := -1
	for i, h := range areas {
		if h.IsZero() {
			continue
		}
		// Huge radii make neighbouring cells coincide; a cell equal to
		// the one just scanned is skipped.
		if last >= 0 && h == areas[last] {
			continue
		}
		if q.limit > 0 && len(pts) >= q.limit {
			break
		}
		pts = geoScanCell(z, h, q, pts)
		last = i
	}
	return pts
}

// geoScanCell appends the members of cell h that lie in the shape, in
// score order, stopping at the limit. It walks from the cell's first
// score on without computing ranks: one descent of the tree per cell.
func geoScanCell(z *zsetObj, h geohash.Hash, q *geoScan, pts []geoPoint) []geoPoint {
	lo, hi := h.ScoreRange()
	min, max := float64(lo), float64(hi)
	if z.tr == nil {
		for off := 0; off < len(z.pk); {
			m, s, next := z.lpAt(off)
			off = next
			if s < min {
				continue
			}
			if s >= max {
				break
			}
			if p, in := q.match(unsafeString(m), s); in {
				pts = append(pts, p)
				if q.limit > 0 && len(pts) >= q.limit {
					break
				}
			}
		}
		return pts
	}
	for x := z.tr.FirstFrom(min); x.Valid() && x.Score() < max; x = x.Next() {
		if p, in := q.match(x.Member(), x.Score()); in {
			pts = append(pts, p)
			if q.limit > 0 && len(pts) >= q.limit {
				break
			}
		}
	}
	return pts
}

// match decodes a member's position and reports whether it lies in the
// shape.
func (q *geoScan) match(m string, s float64) (geoPoint, bool) {
	if q.seen && s == q.last.score {
		l := &q.last
		return geoPoint{member: m, score: s, lon: l.lon, lat: l.lat, dist: l.dist}, q.lastIn
	}
	lon, lat, ok := geohash.DecodeScore(s)
	if !ok {
		return geoPoint{}, false
	}
	pos := geoPos{score: s, lon: lon, lat: lat}
	var in bool
	if q.dist {
		pos.dist, in = q.sh.Contains(lon, lat)
	} else {
		in = q.sh.In(lon, lat)
	}
	q.last, q.lastIn, q.seen = pos, in, true
	return geoPoint{member: m, score: s, lon: lon, lat: lat, dist: pos.dist}, in
}
