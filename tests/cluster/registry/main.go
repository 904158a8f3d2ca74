// A real OCI registry for the tests: distribution/distribution's registry (the code behind the
// `registry` image and Docker Hub's open-source core) with only the filesystem storage driver,
// so it builds from Go modules in seconds instead of pulling every cloud storage SDK.
//
//	registry ADDR ROOTDIR   serve the registry API (plain HTTP) on ADDR, storing blobs under ROOTDIR
//	registry --version      print the distribution module version it was built from
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

const module = "github.com/distribution/distribution/v3"

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == module {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Printf("distribution %s\n", version())
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: registry ADDR ROOTDIR | registry --version")
		os.Exit(2)
	}
	config := &configuration.Configuration{}
	config.HTTP.Addr = os.Args[1]
	config.Storage = configuration.Storage{"filesystem": configuration.Parameters{"rootdirectory": os.Args[2]}}
	config.Log.Level = "info"
	r, err := registry.NewRegistry(context.Background(), config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := r.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
