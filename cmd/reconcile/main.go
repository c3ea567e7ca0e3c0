// Command reconcile makes AWS match the notebook environments declared in
// environments/*.yml. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/polyfleet/polyfleet/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
