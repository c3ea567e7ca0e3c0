// Command demo runs reconcile end to end against a local moto server: it
// starts moto, creates the infrastructure a fleet expects (VPC, subnets,
// load balancer, ECS cluster, hosted zone), writes a fleet.yml for it, and
// runs validate, plan, apply and a second plan on examples/environments.
// No AWS account is needed.
//
//	go run ./examples/demo
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/polyfleet/polyfleet/internal/cli"
	"github.com/polyfleet/polyfleet/internal/mototest"
)

func main() {
	envDir := flag.String("environments", "examples/environments", "environment files to apply")
	flag.Parse()
	if err := run(*envDir); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(envDir string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "polyfleet-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	server, err := mototest.Start(ctx, filepath.Join(dir, "moto.log"))
	if err != nil {
		return err
	}
	defer server.Stop()
	fmt.Printf("moto server on %s\n", server.Endpoint)
	cfg, err := server.Config(ctx)
	if err != nil {
		return err
	}
	infra, err := mototest.CreateInfra(ctx, cfg, "demo", "notebooks.example.com")
	if err != nil {
		return err
	}
	fleetPath := filepath.Join(dir, "fleet.yml")
	if err := os.WriteFile(fleetPath, []byte(mototest.FleetYAML(infra.Fleet)), 0o644); err != nil {
		return err
	}
	// The standard SDK settings send reconcile to moto, as they would on a laptop.
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": server.Endpoint, "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	env := cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}
	for _, args := range [][]string{
		{"validate"}, {"plan"}, {"apply"}, {"plan", "--detailed-exitcode"},
	} {
		args = append(args, "--config", fleetPath, "--environments", envDir)
		fmt.Printf("\n$ reconcile %s\n", args[0])
		if code := cli.Run(ctx, args, env); code != cli.ExitOK {
			return fmt.Errorf("reconcile %s exited %d", args[0], code)
		}
	}
	return nil
}
