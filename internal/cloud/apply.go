package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/plan"
	"github.com/polyfleet/polyfleet/internal/resource"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// ErrNotOwned is returned when the second ownership check, right before an
// update or delete, finds that the resource is not the fleet's.
var ErrNotOwned = errors.New("not owned by this fleet")

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Concurrency bounds how many environments are applied at once.
	Concurrency int
	// Progress receives one line per resource changed; nil discards them.
	Progress io.Writer
	// Password generates a new environment's password; nil uses NewPassword.
	Password func() (string, error)
	// Wait bounds how long a delete waits for AWS to release a resource
	// (a service draining, a security group's network interfaces).
	Wait time.Duration
}

// Desired is what Apply makes AWS match: the fleet, its shared
// infrastructure as discovered, and every declared environment.
type Desired struct {
	Fleet        spec.Fleet
	Infra        desired.Infra
	Environments []desired.Environment
}

// Apply carries out a plan: per environment, deletes in reverse dependency
// order, then creates and updates in dependency order. Environments run
// concurrently, and one failing does not stop the others. Every step can be
// repeated: after a crash, a new plan picks up where this one stopped.
func Apply(ctx context.Context, c Clients, want Desired, p plan.Plan, opts ApplyOptions) error {
	if opts.Concurrency < 1 {
		opts.Concurrency = 4
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Password == nil {
		opts.Password = NewPassword
	}
	if opts.Wait == 0 {
		opts.Wait = 10 * time.Minute
	}
	a := &applier{c: c, fleet: want.Fleet, infra: want.Infra, opts: opts}
	byName := map[string]*desired.Environment{}
	for i := range want.Environments {
		byName[want.Environments[i].Spec.Name] = &want.Environments[i]
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, opts.Concurrency)
	)
	for _, ep := range p.Environments {
		if ep.Action == plan.NoOp && len(ep.Conflicts) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := a.environment(ctx, ep, byName[ep.Name]); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

type applier struct {
	c     Clients
	fleet spec.Fleet
	infra desired.Infra
	opts  ApplyOptions
	// ruleMu serialises the choice of listener rule priorities.
	ruleMu     sync.Mutex
	progressMu sync.Mutex
}

func (a *applier) progress(env string, verb string, k resource.Kind, name string) {
	a.progressMu.Lock()
	defer a.progressMu.Unlock()
	fmt.Fprintf(a.opts.Progress, "%s: %s %s %s\n", env, verb, k, name)
}

// step is one change being carried out, for error messages.
type step struct {
	env  string
	kind resource.Kind
	name string
}

func (s step) errorf(verb string, err error) error {
	return fmt.Errorf("environment %s: %s %s: %s: %w", s.env, s.kind, s.name, verb, err)
}

func (a *applier) environment(ctx context.Context, ep plan.Environment, env *desired.Environment) error {
	if len(ep.Conflicts) > 0 {
		return fmt.Errorf("environment %s: not applied: %s", ep.Name, strings.Join(ep.Conflicts, "; "))
	}
	for i := len(ep.Changes) - 1; i >= 0; i-- {
		c := ep.Changes[i]
		if c.Action != plan.Delete && c.Action != plan.Replace {
			continue
		}
		s := step{ep.Name, c.Kind, c.Actual.Name}
		if err := a.delete(ctx, s, *c.Actual); err != nil {
			return err
		}
		a.progress(ep.Name, "deleted", c.Kind, c.Actual.Name)
	}
	if env == nil {
		return nil
	}
	refs := maps.Clone(ep.Refs)
	for _, c := range ep.Changes {
		s := step{ep.Name, c.Kind, c.Name}
		var (
			ref string
			err error
		)
		switch c.Action {
		case plan.Create, plan.Replace:
			ref, err = a.create(ctx, s, env, refs)
			if err == nil {
				a.progress(ep.Name, "created", c.Kind, c.Name)
			}
		case plan.Update:
			ref, err = a.update(ctx, s, env, c, refs)
			if err == nil {
				a.progress(ep.Name, "updated", c.Kind, c.Name)
			}
		default:
			continue
		}
		if err != nil {
			return err
		}
		refs[c.Kind] = ref
	}
	return nil
}

// create makes the resource of kind s.kind and returns its Ref.
func (a *applier) create(ctx context.Context, s step, env *desired.Environment, refs map[resource.Kind]string) (string, error) {
	switch s.kind {
	case resource.Role:
		return a.createRole(ctx, s, env)
	case resource.Secret:
		return a.createSecret(ctx, s, env)
	case resource.LogGroup:
		return a.createLogGroup(ctx, s, env)
	case resource.TaskDefinition:
		return a.registerTaskDefinition(ctx, s, env, refs)
	case resource.TargetGroup:
		return a.createTargetGroup(ctx, s, env)
	case resource.SecurityGroup:
		return a.createSecurityGroup(ctx, s, env)
	case resource.ListenerRule:
		return a.createRule(ctx, s, env, refs)
	case resource.Service:
		return a.createService(ctx, s, env, refs)
	case resource.DNSRecord:
		return "", a.writeRecords(ctx, s, env, false)
	}
	return "", fmt.Errorf("environment %s: unknown resource kind %s", s.env, s.kind)
}

// update changes the resource in place, after checking again that the
// fleet owns it, and returns its Ref. A change of owner only retags.
func (a *applier) update(ctx context.Context, s step, env *desired.Environment, c plan.Change, refs map[resource.Kind]string) (string, error) {
	actual := *c.Actual
	if c.OnlyOwner() {
		return actual.Ref, a.retag(ctx, s, env, actual)
	}
	var (
		ref = actual.Ref
		err error
	)
	switch s.kind {
	case resource.Role:
		err = a.updateRole(ctx, s, env)
	case resource.Secret:
		// Nothing of a secret is updated: never rotated by a plan.
	case resource.LogGroup:
		err = a.updateLogGroup(ctx, s, env)
	case resource.TaskDefinition:
		// A new revision, registered with the current tags.
		if err := a.checkTaskDefinition(ctx, s, actual.ID); err != nil {
			return "", err
		}
		return a.registerTaskDefinition(ctx, s, env, refs)
	case resource.TargetGroup:
		err = a.updateTargetGroup(ctx, s, env, actual.ID)
	case resource.SecurityGroup:
		err = a.updateSecurityGroup(ctx, s, env, actual.ID)
	case resource.ListenerRule:
		err = a.updateRule(ctx, s, env, actual.ID, refs)
	case resource.Service:
		err = a.updateService(ctx, s, env, actual.ID, refs)
	case resource.DNSRecord:
		return "", a.writeRecords(ctx, s, env, true)
	default:
		return "", fmt.Errorf("environment %s: unknown resource kind %s", s.env, s.kind)
	}
	if err != nil {
		return "", err
	}
	if actual.Fields[resource.OwnerField] != env.Spec.Owner {
		err = a.retag(ctx, s, env, actual)
	}
	return ref, err
}

// delete removes the resource, after checking again that the fleet owns it.
// A resource already gone is not an error.
func (a *applier) delete(ctx context.Context, s step, actual resource.Resource) error {
	switch s.kind {
	case resource.Role:
		return a.deleteRole(ctx, s, actual.ID)
	case resource.Secret:
		return a.deleteSecret(ctx, s, actual.ID)
	case resource.LogGroup:
		return a.deleteLogGroup(ctx, s, actual.ID)
	case resource.TaskDefinition:
		return a.deleteTaskDefinition(ctx, s, actual)
	case resource.TargetGroup:
		return a.deleteTargetGroup(ctx, s, actual.ID)
	case resource.SecurityGroup:
		return a.deleteSecurityGroup(ctx, s, actual.ID)
	case resource.ListenerRule:
		return a.deleteRule(ctx, s, actual.ID)
	case resource.Service:
		return a.deleteService(ctx, s, actual.ID)
	case resource.DNSRecord:
		return a.deleteRecords(ctx, s)
	}
	return fmt.Errorf("environment %s: unknown resource kind %s", s.env, s.kind)
}

// owned is the second ownership check, on tags read right before a write.
func (a *applier) owned(s step, tags map[string]string) error {
	if !resource.OwnedBy(tags, a.fleet.Name, s.env) {
		return s.errorf("refusing to change it", fmt.Errorf("%w: its tags say fleet %q, environment %q", ErrNotOwned, tags[resource.TagFleet], tags[resource.TagEnvironment]))
	}
	return nil
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func hasCode(err error, codes ...string) bool {
	code := errorCode(err)
	for _, c := range codes {
		if code == c {
			return true
		}
	}
	return false
}

// codes is a retry condition: err has one of the AWS error codes.
func codes(cs ...string) func(error) bool {
	return func(err error) bool { return hasCode(err, cs...) }
}

// retryWhile repeats fn while retryable(err), for up to limit: for AWS
// resources that are released a while after their dependents go.
func retryWhile(ctx context.Context, limit time.Duration, retryable func(error) bool, fn func() error) error {
	deadline := time.Now().Add(limit)
	wait := 500 * time.Millisecond
	for {
		err := fn()
		if err == nil || !retryable(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 15*time.Second)
	}
}
