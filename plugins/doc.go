// Package plugins is xlbench's plugin contract: the Go interfaces of the
// Sampler and Encoder plugin kinds, the go-plugin handshake that versions
// them, and the gRPC shims that carry them between processes.
//
// A plugin is a separate executable. The host (the xlbench harness) starts
// it, checks the handshake, and talks to it over gRPC; texts cross the
// process boundary once, batches and vectors as compact arrays. Plugin
// authors normally use package sdk, which builds a Sampler from a few dozen
// lines; this package is what both sides share.
//
// The wire format lives in plugins/proto/xlbench/v1; the Go code generated
// from it is internal, so the Go types here are the API and the .proto files
// are the contract for plugins written in other languages.
package plugins
