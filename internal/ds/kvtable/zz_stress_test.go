package kvtable

import (
	"fmt"
	"testing"
)

func TestStressSeeds(t *testing.T) {
	for seed := uint64(100); seed < 400; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runModel(t, seed, []phase{{ops: 3000, nkeys: 40, checkEvery: 1, bigKeys: true}, {ops: 3000, nkeys: 200, checkEvery: 1}})
		})
	}
}
