// Package geohash owns the arithmetic behind Taconite's geospatial indexes:
// the interleaved 52-bit geohash that a GEOADD stores as a sorted-set
// score, its decoding back to a cell and a point, the eight neighbouring
// cells, the choice of cells a radius or box search must scan, the
// haversine distance on Redis's spherical Earth, and the base32 text that
// GEOHASH prints. Everything is computed exactly as Redis 7.0 computes it,
// so scores, positions and search results match it digit for digit.
package geohash
