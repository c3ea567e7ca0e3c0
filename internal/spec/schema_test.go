package spec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type schemaDoc struct {
	Required   []string              `json:"required"`
	Properties map[string]schemaProp `json:"properties"`
}

type schemaProp struct {
	Enum       []int                 `json:"enum"`
	Required   []string              `json:"required"`
	Properties map[string]schemaProp `json:"properties"`
}

func loadSchema(t *testing.T, name string) schemaDoc {
	t.Helper()
	b, err := Schema(name)
	if err != nil {
		t.Fatal(err)
	}
	var s schemaDoc
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s schema is not JSON: %v", name, err)
	}
	return s
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The schemas must list exactly the keys the parser accepts.
func TestSchemasMatchTheParser(t *testing.T) {
	env := loadSchema(t, "environment")
	_, err := ParseEnvironment("e/x.yml", []byte("nope: 1\n"), mustFleet(t))
	if !strings.Contains(err.Error(), "allowed: "+strings.Join(keys(env.Properties), ", ")+")") {
		t.Errorf("environment schema properties %v differ from the parser's: %v", keys(env.Properties), err)
	}
	if diff := cmp.Diff(env.Required, []string{"owner"}); diff != "" {
		t.Errorf("required (-got +want):\n%s", diff)
	}
	var cpus []int
	for _, s := range fargateSizes {
		cpus = append(cpus, s.cpu)
	}
	if diff := cmp.Diff(env.Properties["cpu"].Enum, cpus); diff != "" {
		t.Errorf("cpu enum (-schema +fargate table):\n%s", diff)
	}

	fleet := loadSchema(t, "fleet")
	_, err = ParseFleet("fleet.yml", []byte(validFleet+"nope: 1\n"))
	if !strings.Contains(err.Error(), "allowed: "+strings.Join(keys(fleet.Properties), ", ")+")") {
		t.Errorf("fleet schema properties %v differ from the parser's: %v", keys(fleet.Properties), err)
	}
	if diff := cmp.Diff(fleet.Properties["log_retention_days"].Enum, retentions); diff != "" {
		t.Errorf("retention enum (-schema +parser):\n%s", diff)
	}
	_, err = ParseFleet("fleet.yml", []byte(strings.Replace(validFleet, "defaults:\n", "defaults:\n  nope: 1\n", 1)))
	if !strings.Contains(err.Error(), fmt.Sprintf("allowed: %s)", strings.Join(keys(fleet.Properties["defaults"].Properties), ", "))) {
		t.Errorf("defaults schema differs from the parser's: %v", err)
	}
}
