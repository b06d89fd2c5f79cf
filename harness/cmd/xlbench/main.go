// Command xlbench benchmarks training strategies for multilingual dense
// retrievers. See README.md.
package main

import (
	"os"

	"github.com/xlbench/xlbench/builtin"
	"github.com/xlbench/xlbench/harness/cli"
)

func main() {
	app := &cli.App{
		Builtins: cli.Builtins{
			Kinds: builtin.Kinds(),
			Serve: func(name string) bool {
				p, ok := builtin.Lookup(name)
				if ok {
					p.Serve()
				}
				return ok
			},
		},
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}
	os.Exit(app.Main(os.Args[1:]))
}
