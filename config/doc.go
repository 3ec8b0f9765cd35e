// Package config holds hush's one configuration struct: defaults, loading
// from the environment (HUSH_...) and flags, and validation with errors that
// name the offending setting. It is passed down explicitly, never global.
package config
