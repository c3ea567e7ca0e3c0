package plan

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDestroyGuard is returned when a plan deletes more environments than
// the fleet allows in one run.
var ErrDestroyGuard = errors.New("destroy guard")

// Destroyed lists the environments the plan deletes whole.
func (p Plan) Destroyed() []string {
	var names []string
	for _, e := range p.Environments {
		if e.Action == Delete {
			names = append(names, e.Name)
		}
	}
	return names
}

// GuardDestroy is a policy applied after the diff: it refuses a plan that
// deletes more than max environments, the mark of an emptied or renamed
// directory rather than of people removing their notebooks.
func GuardDestroy(p Plan, max int) error {
	d := p.Destroyed()
	if len(d) <= max {
		return nil
	}
	return fmt.Errorf("%w: the plan destroys %d environments (%s), more than max_destroy (%d) in fleet.yml allows; if that is intended, apply with --allow-destroy",
		ErrDestroyGuard, len(d), strings.Join(d, ", "), max)
}
