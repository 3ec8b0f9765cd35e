// Package httpapi is hush's HTTP surface: the only package that imports
// gin. Routes are listed in one file (routes.go) with the roles that may
// call them; handlers are thin over the engine, importer and scrub, the
// same code the CLI runs; domain errors become HTTP statuses in one place
// (errors.go).
package httpapi
