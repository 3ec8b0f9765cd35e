// Package access is who may do what: the roles an API key carries, the
// format of API keys, and the hash under which a key is stored (a key's
// secret is shown once and never kept).
package access
