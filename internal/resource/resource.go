// Package resource holds the comparable form of one AWS resource that
// Polyfleet manages: its kind, its environment, and its managed settings as
// canonical strings. The desired state, discovery and the plan all speak it.
package resource

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is which row of DESIGN §1 a resource is. The order is the order of
// creation: a resource may refer only to kinds before it.
type Kind int

const (
	Role Kind = iota
	Secret
	LogGroup
	TaskDefinition
	TargetGroup
	SecurityGroup
	ListenerRule
	Service
	DNSRecord
)

// Kinds lists every kind in creation order.
var Kinds = []Kind{Role, Secret, LogGroup, TaskDefinition, TargetGroup, SecurityGroup, ListenerRule, Service, DNSRecord}

var kindNames = []string{"role", "secret", "log-group", "task-definition", "target-group", "security-group", "listener-rule", "service", "dns-record"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// ParseKind is the inverse of String, for the polyfleet:resource tag.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// MarshalText makes kinds read as their names in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Tag keys. polyfleet:fleet is the only one discovery trusts for ownership.
const (
	TagFleet       = "polyfleet:fleet"
	TagEnvironment = "polyfleet:environment"
	TagResource    = "polyfleet:resource"
	TagOwner       = "polyfleet:owner"
)

// Resource is one managed AWS resource in comparable form.
type Resource struct {
	Kind Kind
	Env  string
	Name string
	// ID identifies the resource in AWS (an ARN, a group ID); set on actual
	// resources only. Ref is what other resources use to point at it.
	ID  string
	Ref string
	// IDs lists everything that deleting the resource must remove, such
	// as every revision of a task definition.
	IDs []string
	// Fields holds the managed settings as canonical strings. Values of a
	// desired resource may hold references such as RefTo(TargetGroup),
	// which the plan resolves against what exists.
	Fields map[string]string
	// Tags of an actual resource; ownership is checked on them again
	// right before any update or delete.
	Tags map[string]string
	// Foreign marks an actual resource at one of our names that lacks our
	// ownership proof: never changed, reported as a conflict.
	Foreign bool
}

// FieldNames returns the field names of r in sorted order.
func (r Resource) FieldNames() []string {
	names := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// RefTo is a placeholder for the Ref of the same environment's resource of
// kind k, known only once it exists.
func RefTo(k Kind) string { return "${" + k.String() + "}" }

// ResolveRefs replaces every RefTo placeholder in s using ref.
func ResolveRefs(s string, ref func(Kind) string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	for _, k := range Kinds {
		if p := RefTo(k); strings.Contains(s, p) {
			s = strings.ReplaceAll(s, p, ref(k))
		}
	}
	return s
}

// immutable lists the fields AWS cannot change in place; changing one
// replaces the resource.
var immutable = map[Kind]map[string]bool{
	Role:          {"path": true},
	TargetGroup:   {"port": true, "protocol": true, "target_type": true, "vpc": true},
	SecurityGroup: {"vpc": true, "description": true},
	Service:       {"cluster": true, "launch_type": true},
}

// Immutable reports whether changing field of a kind forces replacement.
func Immutable(k Kind, field string) bool { return immutable[k][field] }

// NewIdentityOnUpdate reports whether an in-place update still gives the
// resource a new Ref: a task definition update is a new revision.
func NewIdentityOnUpdate(k Kind) bool { return k == TaskDefinition }

// OwnerField is the plan field of the polyfleet:owner tag. Changing only
// it retags a resource and never makes a new task-definition revision.
const OwnerField = "owner_tag"

// sensitive fields are never printed.
var sensitive = map[string]bool{"secret_string": true}

// Sensitive reports whether a field's value must be shown as (sensitive).
func Sensitive(field string) bool { return sensitive[field] }

// OwnedBy reports whether tags prove that fleet owns the resource as part of env.
func OwnedBy(tags map[string]string, fleet, env string) bool {
	return tags[TagFleet] == fleet && tags[TagEnvironment] == env
}
