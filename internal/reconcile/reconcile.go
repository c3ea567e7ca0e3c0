// Package reconcile runs one reconciliation: discover what exists, plan
// against the declared environments, apply, and verify. The command line
// and the GitHub Action both drive it.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/polyfleet/polyfleet/internal/cloud"
	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/plan"
	"github.com/polyfleet/polyfleet/internal/resource"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// MaxRulesPerLoadBalancer is AWS's limit of listener rules per
// application load balancer (and of target groups per load balancer).
const MaxRulesPerLoadBalancer = 100

// Reconciler holds what one run has learnt.
type Reconciler struct {
	Clients cloud.Clients
	Config  spec.Config
	infra   desired.Infra
	envs    []desired.Environment
	// overLimit is why the plan cannot be applied, if it cannot.
	overLimit error
}

// ErrTooManyRules is returned when a fleet needs more listener rules than
// its load balancer can hold.
var ErrTooManyRules = errors.New("too many listener rules")

// Plan discovers what exists and compares it with the environment files.
func (r *Reconciler) Plan(ctx context.Context) (plan.Plan, error) {
	state, err := cloud.Discover(ctx, r.Clients, r.Config.Fleet)
	if err != nil {
		return plan.Plan{}, err
	}
	r.infra = state.Infra
	r.overLimit = nil
	if n := len(r.Config.Environments); n+state.OtherRules > MaxRulesPerLoadBalancer {
		r.overLimit = fmt.Errorf("%w: fleet %s declares %d environments and its listener has %d other rules, but a load balancer takes at most %d rules; split the fleet across load balancers",
			ErrTooManyRules, r.Config.Fleet.Name, n, state.OtherRules, MaxRulesPerLoadBalancer)
	}
	r.envs = desired.Build(r.Config, state.Infra)
	var want []resource.Resource
	for _, e := range r.envs {
		want = append(want, e.Resources()...)
	}
	p := plan.Calculate(want, state.Resources)
	p.Warnings = state.Warnings
	if err := plan.GuardDestroy(p, r.Config.Fleet.MaxDestroy); err != nil {
		p.Warnings = append(p.Warnings, "apply will refuse this plan: "+err.Error())
	}
	if r.overLimit != nil {
		p.Warnings = append(p.Warnings, "apply will refuse this plan: "+r.overLimit.Error())
	}
	return p, nil
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	Concurrency  int
	AllowDestroy bool
	// Progress receives a line per resource changed.
	Progress io.Writer
}

// Result is what Apply did and what is left.
type Result struct {
	// Err is the first failure of apply, if any; Remaining is a fresh
	// plan made after it, which must be empty for a successful apply.
	Err       error
	Remaining plan.Plan
}

// OK reports whether apply finished and AWS now matches the files.
func (r Result) OK() bool {
	return r.Err == nil && !r.Remaining.HasChanges() && !hasConflicts(r.Remaining)
}

// Apply carries out p (from Plan), then plans again to verify. It refuses
// a plan that trips the destroy guard before making any change. The
// returned error is for failures that left the verification undone.
func (r *Reconciler) Apply(ctx context.Context, p plan.Plan, opts ApplyOptions) (Result, error) {
	if err := plan.GuardDestroy(p, r.Config.Fleet.MaxDestroy); err != nil && !opts.AllowDestroy {
		return Result{}, err
	}
	if r.overLimit != nil {
		return Result{}, r.overLimit
	}
	var applyErr error
	if p.HasChanges() || hasConflicts(p) {
		want := cloud.Desired{Fleet: r.Config.Fleet, Infra: r.infra, Environments: r.envs}
		applyErr = cloud.Apply(ctx, r.Clients, want, p, cloud.ApplyOptions{Concurrency: opts.Concurrency, Progress: opts.Progress})
	}
	// Whatever happened, look again: what is left is what the next run
	// does. AWS's Tagging API can take a little while to list what was just
	// created, so a difference is looked at again a few times before it
	// counts.
	var after plan.Plan
	for attempt := 0; ; attempt++ {
		var err error
		if after, err = r.Plan(ctx); err != nil {
			return Result{Err: applyErr}, fmt.Errorf("verify: %w", err)
		}
		if !after.HasChanges() || applyErr != nil || attempt == len(verifyWaits) {
			break
		}
		select {
		case <-ctx.Done():
			return Result{Err: applyErr, Remaining: after}, ctx.Err()
		case <-time.After(verifyWaits[attempt]):
		}
	}
	return Result{Err: applyErr, Remaining: after}, nil
}

// verifyWaits are the pauses before looking again after an apply.
var verifyWaits = []time.Duration{2 * time.Second, 5 * time.Second, 10 * time.Second}

func hasConflicts(p plan.Plan) bool {
	for _, e := range p.Environments {
		if len(e.Conflicts) > 0 {
			return true
		}
	}
	return false
}

// Access tells a person how to reach one environment. It never holds the
// password, only where to read it.
type Access struct {
	Name, Owner, URL, Username, Secret, ReadPassword string
	Stopped                                          bool
}

// Access lists every declared environment's URL and credentials' place.
func (r *Reconciler) Access() []Access {
	var out []Access
	for _, e := range desired.Build(r.Config, r.infra) {
		out = append(out, Access{
			Name: e.Spec.Name, Owner: e.Spec.Owner, URL: "https://" + e.Names.Host,
			Username: desired.Username, Secret: e.Names.Secret, Stopped: e.Spec.Stopped,
			ReadPassword: fmt.Sprintf("aws secretsmanager get-secret-value --region %s --secret-id %s --query SecretString --output text", r.Config.Fleet.Region, e.Names.Secret),
		})
	}
	return out
}
