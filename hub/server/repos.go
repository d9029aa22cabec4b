package server

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/pkg/rbac"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Repos serves RepositoryService: credentials are write-only; a CA
// certificate is not a secret, and reads return it.
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
	if ca := repo.GetCaCert(); len(ca) > 0 {
		if strings.HasPrefix(u, "ssh://") || !strings.Contains(u, "://") {
			return nil, invalid("repository %s: ca_cert: a CA is for HTTPS, not SSH (known hosts verify an SSH server)", u)
		}
		if err := checkCA(ca); err != nil {
			return nil, invalid("repository %s: ca_cert: %v", u, err)
		}
	}
	if err := s.Core.Store.PutRepository(repo, r.GetUpsert()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.AddRepositoryResponse{Repository: redact(repo)}, nil
}

// checkCA accepts PEM certificates only, at least one.
func checkCA(b []byte) error {
	n := 0
	for rest := b; ; n++ {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("PEM block %d is a %s, want CERTIFICATE", n+1, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d: %w", n+1, err)
		}
	}
	if n == 0 {
		return errors.New("no PEM certificate")
	}
	return nil
}

// ListRepositories lists repositories without their secrets.
func (s *Repos) ListRepositories(ctx context.Context, _ *pb.ListRepositoriesRequest) (*pb.ListRepositoriesResponse, error) {
	rs, err := s.Core.Store.ListRepositories()
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.ListRepositoriesResponse{}
	for _, r := range rs {
		if canGet(ctx, "repositories", rbac.RepoObject(r.GetUrl())) {
			out.Repositories = append(out.Repositories, redact(r))
		}
	}
	return out, nil
}

// RemoveRepository forgets a repository's credentials.
func (s *Repos) RemoveRepository(_ context.Context, r *pb.RemoveRepositoryRequest) (*pb.RemoveRepositoryResponse, error) {
	return &pb.RemoveRepositoryResponse{}, grpcErr(s.Core.Store.RemoveRepository(r.GetUrl()))
}
