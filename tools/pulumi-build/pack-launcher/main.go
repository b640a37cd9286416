// pulumi-policy-pack starts this repository's Python policy pack as a binary analyzer plugin.
//
// Pulumi v3.274.1 launches an executable given to --policy-pack directly (NewPolicyAnalyzer,
// pkg/resource/plugin/analyzer_plugin.go:114-131) and loads the PulumiPolicy.yaml beside it. This program does
// for the pack what the Python language host's RunPlugin does for a pack directory: it serves the SDK's own
// PolicyProxy (sdk/v3 policy_proxy.go), waits for ConfigureStack, starts
// `<pack>/.venv/bin/python -u -m pulumi.policy <engine> <pack>` in the pack directory with the stack's
// context in PULUMI_ORGANIZATION, PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN and PULUMI_CONFIG, and proxies
// every other call to it. It exists because the language host module is not served by the Go module proxy
// here (see README, "The real engine").
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-policy-pack: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 2 {
		return fmt.Errorf("usage: %s ENGINE_ADDRESS", os.Args[0])
	}
	engine := os.Args[1]
	// The engine runs the path it was given, so a link to this program in a pack directory names that pack.
	packDir, err := filepath.Abs(filepath.Dir(os.Args[0]))
	if err != nil {
		return err
	}
	ctx := context.Background()
	proxy, stdout, err := sdk.NewPolicyProxy(ctx, os.Stdout)
	if err != nil {
		return err
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return err
	}
	python := filepath.Join(packDir, ".venv", "bin", "python")
	cmd := exec.Command(python, "-u", "-m", "pulumi.policy", engine, packDir)
	cmd.Dir = packDir
	cmd.Env = append(os.Environ(), stackEnv(stack)...)
	cmd.Stdout = stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		err = fmt.Errorf("problem executing plugin program (could not run language executor): %w", err)
		proxy.Abort(err)
		return err
	}
	return proxy.Attach(ctx, cmd)
}

func stackEnv(stack *pulumirpc.AnalyzerStackConfigureRequest) []string {
	if stack == nil {
		return nil
	}
	// A stack without config has a nil map, which would marshal to `null`: pulumi.policy's start-up
	// (pulumi/policy/__main__.py, `config_env.items()`) needs an object.
	values := stack.GetConfig()
	if values == nil {
		values = map[string]string{}
	}
	config, err := json.Marshal(values)
	if err != nil {
		return nil
	}
	return []string{
		"PULUMI_ORGANIZATION=" + stack.GetOrganization(),
		"PULUMI_PROJECT=" + stack.GetProject(),
		"PULUMI_STACK=" + stack.GetStack(),
		"PULUMI_DRY_RUN=" + strconv.FormatBool(stack.GetDryRun()),
		"PULUMI_CONFIG=" + string(config),
	}
}
