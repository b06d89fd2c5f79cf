// Package plugins is xlbench's plugin contract as Go sees it: the
// interfaces of the three plugin kinds (Sampler, Encoder, Reader), the types
// they exchange, and plugin parameters and their checks.
//
// A plugin is a separate executable. The host (the xlbench harness) starts
// it, checks the handshake, and talks to it over gRPC; texts cross the
// process boundary once, batches and vectors as compact arrays. Plugin
// authors use package sdk, which checks parameters, supplies refusals and
// serves a plugin from a definition; package transport is the host's and
// the SDK's plumbing (the go-plugin handshake and gRPC shims) and is not
// needed to write a plugin.
//
// The wire format lives in plugins/proto/xlbench/v1; the Go code generated
// from it is internal, so the Go types here are the API and the .proto files
// are the contract for plugins written in other languages (plugins/python
// is the Python SDK).
package plugins
