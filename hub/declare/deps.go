package declare

import (
	"fmt"
	"strings"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// CheckDependencies rejects dependsOn cycles and self-dependencies, naming
// the cycle; apps is every application with a replaced by its new version.
func CheckDependencies(a *pb.Application, apps []*pb.Application) error {
	graph := map[string][]string{}
	for _, x := range apps {
		graph[x.GetName()] = x.GetDependsOn()
	}
	graph[a.GetName()] = a.GetDependsOn()
	var path []string
	state := map[string]int{} // 0 new, 1 on path, 2 done
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			i := 0
			for path[i] != n {
				i++
			}
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(append([]string{}, path[i:]...), n), " → "))
		case 2:
			return nil
		}
		state[n] = 1
		path = append(path, n)
		for _, d := range graph[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[n] = 2
		return nil
	}
	return visit(a.GetName())
}
