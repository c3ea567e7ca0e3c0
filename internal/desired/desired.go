package desired

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/polyfleet/polyfleet/internal/resource"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// The container contract shared with the images in docker/: names, ports,
// the variables the proxy reads its credentials from, and its health path.
const (
	PolynoteContainer = "polynote"
	PolynotePort      = 8192
	ProxyContainer    = "proxy"
	ProxyPort         = 8080
	ProxyUsernameVar  = "PROXY_USERNAME"
	ProxyPasswordVar  = "PROXY_PASSWORD"
	ProxyUpstreamVar  = "PROXY_UPSTREAM"
	HealthPath        = "/healthz"
	HealthMatcher     = "200"
	// SecretPolicyName is the inline policy that lets the execution role
	// read the environment's own secret.
	SecretPolicyName = "polyfleet-read-own-secret"
	// ExecutionPolicyARN is attached to every execution role (partition aws).
	ExecutionPolicyARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	// Username is the basic-auth user name in every secret.
	Username = "polynote"
)

// KnownAfterApply stands for a value AWS chooses when a resource is created.
const KnownAfterApply = "(known after apply)"

// Infra is what the fleet's shared infrastructure tells about itself, read
// from AWS once before planning.
type Infra struct {
	ListenerARN                string
	LoadBalancerDNS            string
	LoadBalancerZoneID         string
	LoadBalancerSecurityGroups []string
}

// Environment is the complete desired state of one environment.
type Environment struct {
	Fleet spec.Fleet
	Spec  spec.Environment
	Names Names
	Infra Infra
}

// Build derives the desired state of every declared environment.
func Build(cfg spec.Config, infra Infra) []Environment {
	envs := make([]Environment, len(cfg.Environments))
	for i, e := range cfg.Environments {
		envs[i] = Environment{Fleet: cfg.Fleet, Spec: e, Names: NamesFor(cfg.Fleet.Name, e.Name, cfg.Fleet.Domain), Infra: infra}
	}
	return envs
}

// Tags returns the tags of the environment's resource of kind k.
func (e Environment) Tags(k resource.Kind) map[string]string {
	return map[string]string{
		resource.TagFleet:       e.Fleet.Name,
		resource.TagEnvironment: e.Spec.Name,
		resource.TagResource:    k.String(),
		resource.TagOwner:       e.Spec.Owner,
	}
}

// DesiredCount is 1, or 0 for a stopped environment.
func (e Environment) DesiredCount() int {
	if e.Spec.Stopped {
		return 0
	}
	return 1
}

// TrustPolicy lets ECS tasks assume the execution role.
func TrustPolicy() string {
	return mustJSON(policy{Version: "2012-10-17", Statement: []statement{{
		Effect: "Allow", Principal: map[string]string{"Service": "ecs-tasks.amazonaws.com"}, Action: "sts:AssumeRole",
	}}})
}

// SecretPolicy allows reading this environment's secret and nothing else.
// Secrets Manager appends six random characters to a secret's name in its
// ARN, hence the pattern.
func (e Environment) SecretPolicy() string {
	arn := fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-??????", e.Fleet.Partition(), e.Fleet.Region, e.Fleet.Account(), e.Names.Secret)
	return mustJSON(policy{Version: "2012-10-17", Statement: []statement{{
		Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn,
	}}})
}

type policy struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    string            `json:"Action"`
	Resource  string            `json:"Resource,omitempty"`
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// CanonicalPolicy puts an IAM policy document, URL-encoded (RFC 3986, as
// IAM returns them) or not, in one form so that documents with the same
// meaning compare equal.
func CanonicalPolicy(doc string) string {
	if u, err := url.PathUnescape(doc); err == nil && strings.HasPrefix(strings.TrimSpace(u), "{") {
		doc = u
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return doc
	}
	return mustJSON(v)
}

// Container is one container of the task definition.
type Container struct {
	Name        string
	Image       string
	Port        int
	Environment map[string]string
	// Secrets maps a variable to the JSON key of the environment's secret.
	Secrets   map[string]string
	DependsOn string // container that must have started first
}

// Containers are the environment's two containers: Polynote, and the NGINX
// proxy that puts basic auth in front of it.
func (e Environment) Containers() []Container {
	return []Container{
		{Name: PolynoteContainer, Image: e.Spec.Image, Port: PolynotePort},
		{
			Name:        ProxyContainer,
			Image:       e.Fleet.Defaults.ProxyImage,
			Port:        ProxyPort,
			Environment: map[string]string{ProxyUpstreamVar: "127.0.0.1:" + strconv.Itoa(PolynotePort)},
			Secrets:     map[string]string{ProxyUsernameVar: "username", ProxyPasswordVar: "password"},
			DependsOn:   PolynoteContainer,
		},
	}
}

// SecretValueFrom is how a task definition points at one JSON key of a
// secret: <secret ARN>:<key>::.
func SecretValueFrom(secretARN, key string) string { return secretARN + ":" + key + "::" }

// ContainerFields renders a container's settings as plan fields, in a form
// discovery can reproduce from DescribeTaskDefinition. valueFrom turns a
// value of c.Secrets into the secret reference the task definition holds.
func ContainerFields(c Container, valueFrom func(string) string, logGroup, region string) map[string]string {
	p := c.Name + "."
	f := map[string]string{
		p + "image": c.Image,
		p + "port":  fmt.Sprintf("%d/tcp", c.Port),
		p + "log":   fmt.Sprintf("awslogs group=%s region=%s prefix=%s", logGroup, region, c.Name),
	}
	if len(c.Environment) > 0 {
		f[p+"environment"] = joinMap(c.Environment, func(v string) string { return v })
	}
	if len(c.Secrets) > 0 {
		f[p+"secrets"] = joinMap(c.Secrets, valueFrom)
	}
	if c.DependsOn != "" {
		f[p+"depends_on"] = c.DependsOn + ":START"
	}
	return f
}

func joinMap(m map[string]string, value func(string) string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + value(m[k])
	}
	return strings.Join(parts, ",")
}

// Health check settings of every target group.
const (
	HealthInterval  = 30
	HealthTimeout   = 5
	HealthyCount    = 2
	UnhealthyCount  = 3
	TargetGroupPort = ProxyPort
)

// OwnershipValue is the TXT record value that proves a DNS name is ours.
func (e Environment) OwnershipValue() string {
	return OwnershipValue(e.Fleet.Name, e.Spec.Name)
}

// OwnershipValue is the quoted TXT value for (fleet, env).
func OwnershipValue(fleet, env string) string {
	return fmt.Sprintf(`"heritage=polyfleet,fleet=%s,environment=%s"`, fleet, env)
}

// AliasTarget renders a Route53 alias the same way for desired and actual.
func AliasTarget(dnsName, zoneID string) string {
	return "ALIAS " + strings.TrimSuffix(strings.ToLower(dnsName), ".") + " zone=" + zoneID
}

// IngressRule renders one security-group ingress permission.
func IngressRule(port int, groups []string) string {
	g := append([]string(nil), groups...)
	sort.Strings(g)
	return fmt.Sprintf("tcp %d from %s", port, strings.Join(g, ","))
}

// EgressAll is the one egress permission every group has.
const EgressAll = "all to 0.0.0.0/0"

// Resources is the environment in comparable form, one per kind.
func (e Environment) Resources() []resource.Resource {
	n := e.Names
	res := func(k resource.Kind, name string, fields map[string]string) resource.Resource {
		if k != resource.DNSRecord {
			// Tags are managed too: a new owner shows in the plan.
			fields[resource.OwnerField] = e.Spec.Owner
		}
		return resource.Resource{Kind: k, Env: e.Spec.Name, Name: name, Fields: fields, Tags: e.Tags(k)}
	}
	td := map[string]string{
		"cpu":            strconv.Itoa(e.Spec.CPU),
		"memory":         strconv.Itoa(e.Spec.Memory),
		"network_mode":   "awsvpc",
		"compatibility":  "FARGATE",
		"execution_role": resource.RefTo(resource.Role),
		"status":         "ACTIVE",
	}
	for _, c := range e.Containers() {
		valueFrom := func(key string) string { return SecretValueFrom(resource.RefTo(resource.Secret), key) }
		for k, v := range ContainerFields(c, valueFrom, n.LogGroup, e.Fleet.Region) {
			td[k] = v
		}
	}
	subnets := append([]string(nil), e.Fleet.Subnets...)
	sort.Strings(subnets)
	return []resource.Resource{
		res(resource.Role, n.Role, map[string]string{
			"path":             n.RolePath,
			"trust_policy":     CanonicalPolicy(TrustPolicy()),
			"managed_policies": ExecutionPolicyARN,
			"inline_policies":  SecretPolicyName + "=" + CanonicalPolicy(e.SecretPolicy()),
		}),
		res(resource.Secret, n.Secret, map[string]string{
			"secret_string": "(generated)",
		}),
		res(resource.LogGroup, n.LogGroup, map[string]string{
			"retention_days": strconv.Itoa(e.Fleet.LogRetentionDays),
		}),
		res(resource.TaskDefinition, n.Family, td),
		res(resource.TargetGroup, n.TargetGroup, map[string]string{
			"port":                 strconv.Itoa(TargetGroupPort),
			"protocol":             "HTTP",
			"target_type":          "ip",
			"vpc":                  e.Fleet.VPCID,
			"health_check.path":    HealthPath,
			"health_check.matcher": HealthMatcher,
			"health_check.timing":  fmt.Sprintf("interval=%d timeout=%d healthy=%d unhealthy=%d", HealthInterval, HealthTimeout, HealthyCount, UnhealthyCount),
		}),
		res(resource.SecurityGroup, n.SecurityGroup, map[string]string{
			"vpc":         e.Fleet.VPCID,
			"description": SecurityGroupDescription(e.Fleet.Name, e.Spec.Name),
			"ingress":     IngressRule(ProxyPort, e.Infra.LoadBalancerSecurityGroups),
			"egress":      EgressAll,
		}),
		res(resource.ListenerRule, n.Host, map[string]string{
			"listener":     e.Infra.ListenerARN,
			"priority":     KnownAfterApply,
			"host":         n.Host,
			"target_group": resource.RefTo(resource.TargetGroup),
		}),
		res(resource.Service, n.Service, map[string]string{
			"cluster":          e.Fleet.Cluster,
			"launch_type":      "FARGATE",
			"desired_count":    strconv.Itoa(e.DesiredCount()),
			"task_definition":  resource.RefTo(resource.TaskDefinition),
			"subnets":          strings.Join(subnets, ","),
			"security_groups":  resource.RefTo(resource.SecurityGroup),
			"assign_public_ip": PublicIP(e.Fleet.AssignPublicIP),
			"load_balancer":    LoadBalancerField(resource.RefTo(resource.TargetGroup)),
		}),
		res(resource.DNSRecord, n.Host, map[string]string{
			"A":   AliasTarget(e.Infra.LoadBalancerDNS, e.Infra.LoadBalancerZoneID),
			"TXT": n.OwnershipTXT + " " + e.OwnershipValue(),
		}),
	}
}

// LoadBalancerField renders the service's load balancer setting.
func LoadBalancerField(targetGroupARN string) string {
	return fmt.Sprintf("%s -> %s:%d", targetGroupARN, ProxyContainer, ProxyPort)
}

// PublicIP is the ECS setting for a fleet's assign_public_ip.
func PublicIP(on bool) string {
	if on {
		return "ENABLED"
	}
	return "DISABLED"
}

// SecurityGroupDescription is fixed: AWS cannot change a description.
func SecurityGroupDescription(fleet, env string) string {
	return fmt.Sprintf("Polyfleet %s/%s: proxy port from the load balancer only", fleet, env)
}
