package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
		wantOut  string
	}{
		{"no command", nil, 1, "Usage: reconcile <command>", ""},
		{"unknown command", []string{"deploy"}, 1, `unknown command "deploy"`, ""},
		{"help", []string{"help"}, 0, "", "Usage: reconcile <command>"},
		{"bad format", []string{"plan", "--format", "yaml"}, 1, "--format must be text or json", ""},
		{"stray argument", []string{"plan", "extra"}, 1, `unexpected argument "extra"`, ""},
		{"unknown flag", []string{"apply", "--force"}, 1, "flag provided but not defined: -force", ""},
		{"missing config", []string{"validate", "--config", "/nonexistent/fleet.yml"}, 1, "/nonexistent/fleet.yml: cannot read fleet config", ""},
		{"schema", []string{"schema", "environment"}, 0, "", `"title": "Polyfleet environment"`},
		{"schema usage", []string{"schema"}, 1, "usage: reconcile schema fleet|environment", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Run(context.Background(), tt.args, Env{Stdout: &out, Stderr: &errOut})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.wantErr) || !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
			}
		})
	}
}

func TestSchemaIsJSON(t *testing.T) {
	for _, name := range []string{"fleet", "environment"} {
		var out bytes.Buffer
		if code := Run(context.Background(), []string{"schema", name}, Env{Stdout: &out, Stderr: &out}); code != 0 {
			t.Fatalf("schema %s exited %d", name, code)
		}
		var v map[string]any
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}
