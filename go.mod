module github.com/taconite/taconite

go 1.26.8

require golang.org/x/sys v0.49.0

require github.com/yuin/gopher-lua v1.1.2
