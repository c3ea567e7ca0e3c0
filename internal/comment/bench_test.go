package comment

import (
	"fmt"
	"testing"
)

// BenchmarkPlanComment300 renders the comment of a 300-environment plan,
// which must be cut to GitHub's limit.
func BenchmarkPlanComment300(b *testing.B) {
	var names []string
	for i := range 300 {
		names = append(names, fmt.Sprintf("env-%03d", i))
	}
	p := planFor(names)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if len(Plan(PlanData{Fleet: "acme", Plan: p, SummaryURL: "https://run"}, 0)) > MaxLen {
			b.Fatal("over the limit")
		}
	}
}
