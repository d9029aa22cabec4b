package api

import (
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// CSRFHeader must accompany a call other than GET, HEAD or OPTIONS that is
// authenticated by the session cookie: a browser sends cookies with
// requests another site makes it send, but no custom header without the
// hub's consent (CORS, which the hub does not grant).
const CSRFHeader = "X-Flotilla-CSRF"

// cookieAuth makes the session cookie (the browser's SSO login) the call's
// bearer token when the request has no Authorization header, refusing a
// state-changing call without CSRFHeader. The Cookie header is not passed
// on to the gRPC call.
func cookieAuth(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(name)
		r.Header.Del("Cookie")
		if err != nil || c.Value == "" || r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if !safeMethod(r.Method) && r.Header.Get(CSRFHeader) == "" {
			writeError(w, http.StatusForbidden, status.Newf(codes.PermissionDenied,
				"%s %s with the %s cookie needs the header %s (any value), which a page of another site cannot send; or pass Authorization: Bearer TOKEN",
				r.Method, r.URL.Path, name, CSRFHeader))
			return
		}
		r.Header.Set("Authorization", "Bearer "+c.Value)
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
