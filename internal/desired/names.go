// Package desired holds what each declared environment should look like in
// AWS: every name, setting and tag of its nine resources, complete before
// the first AWS call.
package desired

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"strings"
)

// Names are the deterministic AWS names of one environment's resources.
type Names struct {
	Role          string
	RolePath      string
	Secret        string
	LogGroup      string
	Family        string
	TargetGroup   string
	SecurityGroup string
	Service       string
	Host          string // E.<domain>
	OwnershipTXT  string // _polyfleet.E.<domain>
}

// AWS name limits that the derived names must respect.
const (
	maxRoleName        = 64
	maxTargetGroupName = 32
	maxFamily          = 255
	maxSGName          = 255
	maxServiceName     = 255
)

// NamesFor derives the names of environment env in fleet fleet. Names too
// long for a service are truncated and given a short hash of the full name,
// so they stay unique.
func NamesFor(fleet, env, domain string) Names {
	base := "polyfleet-" + fleet + "-" + env
	return Names{
		Role:          Fit(base, maxRoleName),
		RolePath:      RolePath(fleet),
		Secret:        "polyfleet/" + fleet + "/" + env,
		LogGroup:      "/polyfleet/" + fleet + "/" + env,
		Family:        Fit(base, maxFamily),
		TargetGroup:   Fit("pf-"+fleet+"-"+env, maxTargetGroupName),
		SecurityGroup: Fit(base, maxSGName),
		Service:       Fit(base, maxServiceName),
		Host:          env + "." + domain,
		OwnershipTXT:  "_polyfleet." + env + "." + domain,
	}
}

// RolePath is the IAM path that holds every role of a fleet; discovery lists
// roles by it.
func RolePath(fleet string) string { return "/polyfleet/" + fleet + "/" }

// LogGroupPrefix is the prefix of every log group of a fleet.
func LogGroupPrefix(fleet string) string { return "/polyfleet/" + fleet + "/" }

// Fit returns name if it has at most max characters, and otherwise a
// prefix of it joined to six hex digits of its SHA-256, max characters in all.
func Fit(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := hex.EncodeToString(sum[:])[:6]
	return strings.TrimRight(name[:max-len(suffix)-1], "-") + "-" + suffix
}

// Listener rule priorities AWS accepts.
const (
	MinPriority = 1
	MaxPriority = 50000
)

// PreferredPriority picks a listener rule priority for an environment: the
// same slot every time for the same (fleet, env), so a re-created
// environment usually gets its old priority back, moving on to the next
// free one when taken reports it in use. It returns 0 when every slot is taken.
func PreferredPriority(fleet, env string, taken func(int) bool) int {
	h := fnv.New32a()
	h.Write([]byte(fleet + "/" + env))
	span := MaxPriority - MinPriority + 1
	start := int(h.Sum32() % uint32(span))
	for i := 0; i < span; i++ {
		p := MinPriority + (start+i)%span
		if !taken(p) {
			return p
		}
	}
	return 0
}
