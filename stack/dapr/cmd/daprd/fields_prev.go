//go:build dapr_prev

package main

import (
	"github.com/dapr/dapr/cmd/daprd/options"
	"github.com/dapr/dapr/pkg/runtime"
)

// setNewerFields: Dapr's previous minor (go.prev.mod) has no runtime options beyond those main.go sets.
func setNewerFields(*runtime.Config, *options.Options) {}
