package server

// Commands of HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.

func hllHandlers() []handler { return nil }
