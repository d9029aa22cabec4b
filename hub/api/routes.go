package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// OpenAPI is the JSON API's OpenAPI v2 document, generated with the
// routes (make proto).
//
//go:embed openapi.swagger.json
var OpenAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(OpenAPI); err != nil {
		return // the client went away
	}
}

// StreamPrefix holds the routes of server streams, served as events.
const StreamPrefix = Prefix + "stream/"

// Route is one route of the OpenAPI document.
type Route struct {
	Method, Path string // GET, /api/v1/applications/{name}
	Operation    string // ApplicationService_GetApplication
	// Query says that the route reads query parameters (fields that
	// neither the path nor the body sets).
	Query bool
}

// Routes lists the OpenAPI document's routes.
func Routes() ([]Route, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct {
				In string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("OpenAPI document: %w", err)
	}
	var rs []Route
	for path, ops := range doc.Paths {
		for method, op := range ops {
			r := Route{Method: strings.ToUpper(method), Path: path, Operation: op.OperationID}
			for _, p := range op.Parameters {
				r.Query = r.Query || p.In == "query"
			}
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// readsQuery says, by "METHOD PATH", which routes read their query.
func readsQuery() (map[string]bool, error) {
	rs, err := Routes()
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(rs))
	for _, r := range rs {
		m[r.Method+" "+r.Path] = r.Query
	}
	return m, nil
}

// captures are the path variables of a gateway pattern ({name=*}).
var captures = regexp.MustCompile(`\{([^}=]+)=[^}]*\}`)

// routeMiddleware runs once the gateway chose a route: it refuses a query
// string on a route that reads none (the gateway would ignore it), and
// serves server streams as events.
func routeMiddleware(hub context.Context, queryRoutes map[string]bool) runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			pattern, _ := runtime.HTTPPattern(r.Context())
			path := captures.ReplaceAllString(pattern.String(), "{$1}")
			if reads, known := queryRoutes[r.Method+" "+path]; known && !reads && r.URL.RawQuery != "" {
				writeError(w, http.StatusBadRequest, status.Newf(codes.InvalidArgument,
					"%s %s takes no query parameters (got %q): the path or the JSON body sets every field", r.Method, path, r.URL.RawQuery))
				return
			}
			if !strings.HasPrefix(path, StreamPrefix) {
				next(w, r, params)
				return
			}
			serveEvents(hub, w, r, func(w http.ResponseWriter, r *http.Request) { next(w, r, params) })
		}
	}
}

// strictQuery is grpc-gateway's query parser refusing a parameter that
// names no field, or a field that the path or the body sets.
type strictQuery struct{ runtime.DefaultQueryParser }

func (q strictQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	for key := range values {
		path, err := fieldPath(msg.ProtoReflect().Descriptor(), key)
		if err != nil {
			return err
		}
		if filter.HasCommonPrefix(path) {
			return fmt.Errorf("query parameter %q: the path or the body sets it", key)
		}
	}
	return q.DefaultQueryParser.Parse(msg, values, filter)
}

// fieldPath resolves a query parameter (a.b, a.b[key] for maps; proto or
// JSON names) to proto field names.
func fieldPath(md protoreflect.MessageDescriptor, key string) ([]string, error) {
	name := key
	if i := strings.IndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		name = key[:i]
	}
	parts := strings.Split(name, ".")
	path := make([]string, 0, len(parts))
	for i, part := range parts {
		f := md.Fields().ByTextName(part)
		if f == nil {
			f = md.Fields().ByJSONName(part)
		}
		if f == nil {
			return nil, fmt.Errorf("unknown query parameter %q: %s has no field %q", key, md.Name(), part)
		}
		path = append(path, string(f.Name()))
		if i == len(parts)-1 {
			break
		}
		if f.Message() == nil || f.IsList() || f.IsMap() {
			return nil, fmt.Errorf("query parameter %q: %s is not a message", key, f.Name())
		}
		md = f.Message()
	}
	return path, nil
}
