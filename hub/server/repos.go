package server

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Repos serves RepositoryService: credentials are write-only.
type Repos struct {
	pb.UnimplementedRepositoryServiceServer
	Core *Core
}

// redact returns r without its secrets, saying which are stored.
func redact(r *pb.Repository) *pb.Repository {
	out := proto.Clone(r).(*pb.Repository)
	out.HasPassword, out.HasSshPrivateKey = r.GetPassword() != "", len(r.GetSshPrivateKey()) > 0
	out.Password, out.SshPrivateKey = "", nil
	return out
}

// AddRepository stores a repository's credentials.
func (s *Repos) AddRepository(_ context.Context, r *pb.AddRepositoryRequest) (*pb.AddRepositoryResponse, error) {
	repo := r.GetRepository()
	u := repo.GetUrl()
	if !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "ssh://") || strings.HasPrefix(u, "oci://") || strings.Contains(u, "@")) {
		return nil, invalid("repository URL %q: want https://, http://, ssh://, oci:// or user@host:path", u)
	}
	switch repo.GetType() {
	case "", "git":
	case "helm", "oci":
		if want := map[string]string{"helm": "http", "oci": "oci://"}[repo.GetType()]; !strings.HasPrefix(u, want) {
			return nil, invalid("repository %s: type %s: want a %s URL", u, repo.GetType(), want)
		}
		if len(repo.GetSshPrivateKey()) > 0 || len(repo.GetKnownHosts()) > 0 {
			return nil, invalid("repository %s: type %s: SSH keys and known hosts are for Git repositories", u, repo.GetType())
		}
	default:
		return nil, invalid("repository %s: type %q: want git, helm or oci", u, repo.GetType())
	}
	if err := s.Core.Store.PutRepository(repo, r.GetUpsert()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.AddRepositoryResponse{Repository: redact(repo)}, nil
}

// ListRepositories lists repositories without their secrets.
func (s *Repos) ListRepositories(context.Context, *pb.ListRepositoriesRequest) (*pb.ListRepositoriesResponse, error) {
	rs, err := s.Core.Store.ListRepositories()
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.ListRepositoriesResponse{}
	for _, r := range rs {
		out.Repositories = append(out.Repositories, redact(r))
	}
	return out, nil
}

// RemoveRepository forgets a repository's credentials.
func (s *Repos) RemoveRepository(_ context.Context, r *pb.RemoveRepositoryRequest) (*pb.RemoveRepositoryResponse, error) {
	return &pb.RemoveRepositoryResponse{}, grpcErr(s.Core.Store.RemoveRepository(r.GetUrl()))
}
