package declare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// CheckDependencies rejects dependsOn cycles and self-dependencies, naming
// the cycle; apps is every application with a replaced by its new version.
// A child of an app of apps also waits for its siblings of the previous
// sync wave: those edges count too.
func CheckDependencies(a *pb.Application, apps []*pb.Application) error {
	byName := map[string]*pb.Application{}
	for _, x := range apps {
		byName[x.GetName()] = x
	}
	byName[a.GetName()] = a
	graph := map[string][]string{}
	waves := map[string]map[string]int{} // parent → child → wave
	for n, x := range byName {
		graph[n] = append([]string(nil), x.GetDependsOn()...)
		if m := x.GetManagedBy(); m.GetKind() == OwnerApplication {
			if waves[m.GetName()] == nil {
				waves[m.GetName()] = map[string]int{}
			}
			waves[m.GetName()][n] = Wave(x)
		}
	}
	for _, children := range waves {
		for n, w := range children {
			graph[n] = append(graph[n], rollout.PreviousWave(w, without(children, n))...)
		}
	}
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

func without(m map[string]int, k string) map[string]int {
	out := make(map[string]int, len(m))
	for n, w := range m {
		if n != k {
			out[n] = w
		}
	}
	return out
}

// Wave is a declared application's sync wave (argocd.argoproj.io/sync-wave;
// 0 when unset or not a number).
func Wave(a *pb.Application) int {
	w, err := strconv.Atoi(strings.TrimSpace(a.GetAnnotations()[plan.AnnotationSyncWave]))
	if err != nil {
		return 0
	}
	return w
}
