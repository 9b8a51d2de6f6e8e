module github.com/taconite/taconite

go 1.26.8
