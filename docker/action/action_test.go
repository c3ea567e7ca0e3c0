// Package action_test checks the action's packaging: the binary the image
// builds is static and runs, and action.yml declares exactly the inputs the
// code reads and the outputs it writes.
package action_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func TestImageBuildsAStaticBinaryThatRuns(t *testing.T) {
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	build := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/reconcile ./cmd/reconcile)$`).FindSubmatch(dockerfile)
	if build == nil {
		t.Fatal("Dockerfile does not build ./cmd/reconcile the way this test does")
	}
	out := filepath.Join(t.TempDir(), "reconcile")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd/reconcile")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked; distroless/static has no libc")
		}
	}
	help, err := exec.Command(out, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "action     run as the GitHub Action") {
		t.Errorf("reconcile help: %v\n%s", err, help)
	}
	// The image's default command is "action": outside a workflow it must
	// say what is missing, not crash.
	run := exec.Command(out, "action")
	run.Env = []string{}
	msg, err := run.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || !strings.Contains(string(msg), `event "": nothing to do`) {
		t.Errorf("reconcile action outside a workflow: %v\n%s", err, msg)
	}
}

func TestActionYAMLMatchesTheCode(t *testing.T) {
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs  map[string]struct{ Default string }
		Outputs map[string]struct{ Description string }
		Runs    struct {
			Using, Image string
			Args         []string
		}
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	code, err := os.ReadFile("../../internal/action/action.go")
	if err != nil {
		t.Fatal(err)
	}
	found := func(re string) []string {
		set := map[string]bool{}
		for _, m := range regexp.MustCompile(re).FindAllSubmatch(code, -1) {
			set[string(m[1])] = true
		}
		var out []string
		for k := range set {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	keys := func(m any) []string {
		var out []string
		switch m := m.(type) {
		case map[string]struct{ Default string }:
			for k := range m {
				out = append(out, k)
			}
		case map[string]struct{ Description string }:
			for k := range m {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	if diff := cmp.Diff(keys(action.Inputs), found(`r\.input\("([a-z-]+)"`)); diff != "" {
		t.Errorf("inputs (-action.yml +code):\n%s", diff)
	}
	if diff := cmp.Diff(keys(action.Outputs), found(`SetOutput\("([a-z-]+)"`)); diff != "" {
		t.Errorf("outputs (-action.yml +code):\n%s", diff)
	}
	if action.Runs.Using != "docker" || !strings.HasPrefix(action.Runs.Image, "docker://") || !cmp.Equal(action.Runs.Args, []string{"action"}) {
		t.Errorf("runs = %+v; want a prebuilt image running reconcile action", action.Runs)
	}
}
