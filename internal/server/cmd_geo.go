package server

// Commands of geospatial indexes: GEOADD GEODIST GEOHASH GEOPOS GEOSEARCH GEORADIUS….

func geoHandlers() []handler { return nil }
