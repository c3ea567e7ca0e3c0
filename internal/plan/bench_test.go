package plan

import (
	"fmt"
	"testing"

	"github.com/polyfleet/polyfleet/internal/spec"
)

// BenchmarkCalculate plans a fleet of 100 environments (the most one load
// balancer holds), all up to date: the work of every plan on a big fleet.
func BenchmarkCalculate(b *testing.B) {
	var envs []spec.Environment
	for i := range 100 {
		envs = append(envs, env(fmt.Sprintf("env-%03d", i)))
	}
	w := want(envs...)
	h := exist(want(envs...))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if p := Calculate(w, h); p.HasChanges() {
			b.Fatal("changes in an up-to-date fleet")
		}
	}
}
