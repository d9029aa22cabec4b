package localcluster_test

import (
	"testing"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

func TestMain(m *testing.M) { localcluster.Main(m) }
