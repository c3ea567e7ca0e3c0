package spec

import "embed"

// Schemas are the JSON Schemas of fleet.yml and of environment files, for
// editors (yaml-language-server) to validate as people type.
//
//go:embed schema/*.schema.json
var Schemas embed.FS

// Schema returns the JSON Schema of "fleet" or "environment".
func Schema(name string) ([]byte, error) {
	return Schemas.ReadFile("schema/" + name + ".schema.json")
}
