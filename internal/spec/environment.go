package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Environment is one environments/<name>.yml, with the fleet's defaults
// already filled in.
type Environment struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	Owner   string `json:"owner"`
	CPU     int    `json:"cpu"`
	Memory  int    `json:"memory"`
	Image   string `json:"image"`
	Stopped bool   `json:"stopped"`
}

// MaxEnvironmentName keeps every derived name readable and inside AWS's
// limits; longer names would all need hashing.
const MaxEnvironmentName = 40

var (
	envNameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	// GitHub logins: alphanumerics and single inner hyphens, at most 39 characters.
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)
)

// Config is everything the user declared: the fleet and its environments,
// sorted by name.
type Config struct {
	Fleet        Fleet
	Environments []Environment
}

// Load reads and validates fleet.yml and every environment file in dir. It
// returns all problems found as Errors.
func Load(configPath, dir string) (Config, error) {
	fleet, err := LoadFleet(configPath)
	if err != nil {
		return Config{}, err
	}
	envs, err := LoadEnvironments(dir, fleet)
	return Config{Fleet: fleet, Environments: envs}, err
}

// LoadEnvironments reads every *.yml and *.yaml file in dir. Other files
// (a README, say) are ignored.
func LoadEnvironments(dir string, fleet Fleet) ([]Environment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, Errors{{File: dir, Msg: fmt.Sprintf("cannot read environments directory: %v", err)}}
	}
	var errs Errors
	var envs []Environment
	byName := map[string]string{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yml" && ext != ".yaml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		name := strings.TrimSuffix(e.Name(), ext)
		src, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, Error{File: path, Msg: fmt.Sprintf("cannot read: %v", err)})
			continue
		}
		env, err := ParseEnvironment(path, src, fleet)
		if err != nil {
			errs = append(errs, err.(Errors)...)
		}
		if other, dup := byName[name]; dup {
			errs = append(errs, Error{File: path, Msg: fmt.Sprintf("environment %q is also declared in %s; keep one file per environment", name, other)})
			continue
		}
		byName[name] = path
		if err == nil {
			envs = append(envs, env)
		}
	}
	sort.Slice(envs, func(i, j int) bool { return envs[i].Name < envs[j].Name })
	return envs, errs.errOrNil()
}

// ParseEnvironment validates one environment file. The environment's name
// is the file name without its extension.
func ParseEnvironment(file string, src []byte, fleet Fleet) (Environment, error) {
	d := &decoder{file: file}
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	env := Environment{
		Name:   name,
		File:   file,
		CPU:    fleet.Defaults.CPU,
		Memory: fleet.Defaults.Memory,
		Image:  fleet.Defaults.Image,
	}
	switch {
	case !envNameRE.MatchString(name):
		d.add(nil, "", "environment name %q (the file name) must be a DNS label: lower-case letters, digits and inner hyphens, starting with a letter", name)
	case len(name) > MaxEnvironmentName:
		d.add(nil, "", "environment name %q (the file name) is %d characters; the limit is %d", name, len(name), MaxEnvironmentName)
	case len(name)+1+len(fleet.Domain) > 253:
		d.add(nil, "", "host name %s.%s is longer than DNS allows", name, fleet.Domain)
	}
	root := d.document(src)
	seen := d.mapping(root, "", []field{
		{"owner", d.str(&env.Owner)},
		{"cpu", d.integer(&env.CPU)},
		{"memory", d.integer(&env.Memory)},
		{"image", d.str(&env.Image)},
		{"stopped", d.boolean(&env.Stopped)},
	})
	if seen["owner"] == nil {
		at := root
		if at == nil {
			at = &yaml.Node{Line: 1, Column: 1}
		}
		d.add(at, "owner", "is required: the GitHub login of the person responsible for this environment")
	} else if !ownerRE.MatchString(env.Owner) {
		d.add(valueNode(root, "owner"), "owner", "%q is not a GitHub login", env.Owner)
	}
	if err := CheckFargateSize(env.CPU, env.Memory); err != nil {
		// Point at the field at fault, or at whichever of the two the file sets.
		at, path := valueNode(root, "memory"), "memory"
		if strings.HasPrefix(err.Error(), "cpu") || at == nil {
			at, path = valueNode(root, "cpu"), "cpu"
		}
		if at == nil {
			at, path = valueNode(root, "memory"), "memory"
		}
		d.add(at, path, "%v", err)
	}
	checkImage(d, valueNode(root, "image"), "image", env.Image)
	return env, d.errs.errOrNil()
}
