package agent

import (
	"flag"
	"fmt"
	"strings"
)

// EnvPrefix starts the environment variable of every spoke flag:
// --allowed-namespaces is FLOTILLA_SPOKE_ALLOWED_NAMESPACES. The install
// manifests set the spoke's flags this way, from a ConfigMap.
const EnvPrefix = "FLOTILLA_SPOKE_"

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// setFromEnv sets every flag the command line did not set from its
// FLOTILLA_SPOKE_* variable in environ. A variable that names no flag, or
// holds a value its flag refuses, is an error naming the variable: a
// misspelt setting never passes unnoticed.
func setFromEnv(fs *flag.FlagSet, environ []string) error {
	byEnv := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { byEnv[EnvName(f.Name)] = f.Name })
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(key, EnvPrefix) {
			continue
		}
		name, ok := byEnv[key]
		if !ok {
			return fmt.Errorf("environment variable %s: no such flag (every FLOTILLA_SPOKE_* variable is a flag, as --%s)",
				key, strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(key, EnvPrefix), "_", "-")))
		}
		if flagSet(fs, name) {
			continue // the command line wins
		}
		if err := fs.Set(name, value); err != nil {
			return fmt.Errorf("environment variable %s (--%s): %w", key, name, err)
		}
	}
	return nil
}
