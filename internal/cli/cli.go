// Package cli is the reconcile command: flags, subcommands and exit codes.
// main only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/polyfleet/polyfleet/internal/action"
	"github.com/polyfleet/polyfleet/internal/cloud"
	"github.com/polyfleet/polyfleet/internal/iampolicy"
	"github.com/polyfleet/polyfleet/internal/plan"
	"github.com/polyfleet/polyfleet/internal/reconcile"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // with --detailed-exitcode: the plan has changes
)

// Env is what Run needs from the process, injected so tests run it in-process.
type Env struct {
	Stdout, Stderr io.Writer
	// Clients overrides the AWS clients made from the standard SDK
	// settings; tests use it to count or fail calls.
	Clients func(ctx context.Context, region string) (cloud.Clients, error)
}

const usage = `Usage: reconcile <command> [flags]

Commands:
  validate   check fleet.yml and the environment files; no AWS call
  plan       show what apply would change
  apply      change AWS to match the environment files, then verify
  action     run as the GitHub Action (reads GITHUB_EVENT_NAME, inputs, ...)
  iam-policy print the least-privilege IAM policy of the plan or the apply
             role for fleet.yml: reconcile iam-policy plan|apply [--config]
  schema     print the JSON Schema of fleet.yml or of environment files:
             reconcile schema fleet|environment
  help       show this text

Flags (all commands):
  --config PATH        fleet config (default fleet.yml)
  --environments DIR   environment files (default environments)
Flags of plan:
  --format text|json   output format (default text)
  --detailed-exitcode  exit 2 when there are changes
Flags of apply:
  --concurrency N      environments applied at once (default 4)
  --allow-destroy      destroy more environments than max_destroy in fleet.yml

AWS region comes from fleet.yml; credentials and endpoint from the standard
AWS SDK settings (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, ...).
`

// Run runs one reconcile command and returns its exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Clients == nil {
		env.Clients = func(ctx context.Context, region string) (cloud.Clients, error) {
			cfg, err := cloud.LoadConfig(ctx, region)
			if err != nil {
				return cloud.Clients{}, err
			}
			return cloud.NewClients(cfg), nil
		}
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitError
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("reconcile "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	configPath := fs.String("config", "fleet.yml", "fleet config file")
	envDir := fs.String("environments", "environments", "directory of environment files")
	format := fs.String("format", "text", "plan output: text or json")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when the plan has changes")
	concurrency := fs.Int("concurrency", 4, "environments applied at once")
	allowDestroy := fs.Bool("allow-destroy", false, "destroy more environments than max_destroy allows")
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	case "action":
		return action.Run(ctx, action.Options{Getenv: os.Getenv, Stdout: env.Stdout, Stderr: env.Stderr, Clients: env.Clients})
	case "iam-policy":
		if len(args) == 0 || (args[0] != "plan" && args[0] != "apply") {
			fmt.Fprintln(env.Stderr, "usage: reconcile iam-policy plan|apply [--config fleet.yml]")
			return ExitError
		}
		role := args[0]
		if err := fs.Parse(args[1:]); err != nil {
			return ExitError
		}
		fleet, err := spec.LoadFleet(*configPath)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitError
		}
		doc := iampolicy.Plan(fleet)
		if role == "apply" {
			doc = iampolicy.Apply(fleet)
		}
		fmt.Fprint(env.Stdout, doc.JSON())
		return ExitOK
	case "schema":
		if len(args) != 1 || (args[0] != "fleet" && args[0] != "environment") {
			fmt.Fprintln(env.Stderr, "usage: reconcile schema fleet|environment")
			return ExitError
		}
		b, err := spec.Schema(args[0])
		if err != nil {
			fmt.Fprintf(env.Stderr, "reconcile schema: %v\n", err)
			return ExitError
		}
		env.Stdout.Write(b)
		return ExitOK
	case "validate", "plan", "apply":
	default:
		fmt.Fprintf(env.Stderr, "reconcile: unknown command %q\n\n%s", cmd, usage)
		return ExitError
	}
	if err := fs.Parse(args); err != nil {
		return ExitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "reconcile %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return ExitError
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(env.Stderr, "reconcile %s: --format must be text or json, not %q\n", cmd, *format)
		return ExitError
	}

	cfg, err := spec.Load(*configPath, *envDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%v\n", err)
		var errs spec.Errors
		if errors.As(err, &errs) {
			fmt.Fprintf(env.Stderr, "\n%d error(s); nothing was planned or changed.\n", len(errs))
		}
		return ExitError
	}
	if cmd == "validate" {
		fmt.Fprintf(env.Stdout, "Valid: fleet %s with %d environment(s).\n", cfg.Fleet.Name, len(cfg.Environments))
		return ExitOK
	}

	clients, err := env.Clients(ctx, cfg.Fleet.Region)
	if err != nil {
		fmt.Fprintf(env.Stderr, "reconcile: AWS configuration: %v\n", err)
		return ExitError
	}
	r := &reconcile.Reconciler{Clients: clients, Config: cfg}
	p, err := r.Plan(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "reconcile %s: %v\n", cmd, err)
		return ExitError
	}
	if cmd == "plan" {
		if err := writePlan(env.Stdout, p, *format); err != nil {
			fmt.Fprintf(env.Stderr, "reconcile plan: %v\n", err)
			return ExitError
		}
		if *detailed && p.HasChanges() {
			return ExitChanges
		}
		return ExitOK
	}

	if err := plan.WriteText(env.Stdout, p); err != nil {
		return ExitError
	}
	if p.HasChanges() {
		fmt.Fprintln(env.Stdout, "\nApplying...")
	}
	res, err := r.Apply(ctx, p, reconcile.ApplyOptions{Concurrency: *concurrency, AllowDestroy: *allowDestroy, Progress: env.Stdout})
	if errors.Is(err, plan.ErrDestroyGuard) || errors.Is(err, reconcile.ErrTooManyRules) {
		fmt.Fprintf(env.Stderr, "reconcile apply: %v\nNothing was changed.\n", err)
		return ExitError
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "reconcile apply: %v\n", err)
		return ExitError
	}
	if res.Err != nil {
		fmt.Fprintf(env.Stderr, "reconcile apply: %v\n", res.Err)
	}
	if res.Remaining.HasChanges() {
		fmt.Fprintf(env.Stderr, "\nreconcile apply: AWS still differs from the environment files after apply:\n")
		_ = plan.WriteText(env.Stderr, res.Remaining)
	}
	if !res.OK() {
		return ExitError
	}
	if p.HasChanges() {
		fmt.Fprintf(env.Stdout, "\nApply complete: %d added, %d changed, %d destroyed. A fresh plan shows no changes.\n",
			p.Summary.Add, p.Summary.Change, p.Summary.Destroy)
	}
	writeAccess(env.Stdout, r.Access())
	return ExitOK
}

func writePlan(w io.Writer, p plan.Plan, format string) error {
	if format == "json" {
		return plan.WriteJSON(w, p)
	}
	return plan.WriteText(w, p)
}

func writeAccess(w io.Writer, envs []reconcile.Access) {
	if len(envs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nEnvironments:")
	for _, e := range envs {
		state := ""
		if e.Stopped {
			state = " (stopped)"
		}
		fmt.Fprintf(w, "  %-20s %s%s  user %s, password in secret %s\n", e.Name, e.URL, state, e.Username, e.Secret)
	}
	fmt.Fprintf(w, "Read a password with:\n  %s\n", envs[0].ReadPassword)
}
