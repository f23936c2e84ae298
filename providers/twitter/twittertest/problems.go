package twittertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The error bodies below are the ones X sends, field for field: generic
// problems of type "about:blank" carry title, type, status and detail;
// typed problems (invalid-request, resource-not-found, client-forbidden,
// usage-capped) carry their type URL and their own fields and, like X's,
// no "status" member unless X sends one.

// problem is an RFC 7807 problem document as X writes it. Fields are
// ordered like X's bodies; empty ones are left out.
type problem map[string]any

// rejection is a refusal decided away from the ResponseWriter (in the
// post-creation core shared by the API and the acting-user helpers): the
// status and the problem body to answer with.
type rejection struct {
	status int
	body   problem
}

func (r *rejection) Error() string {
	if d, ok := r.body["detail"].(string); ok && r.body["type"] == "about:blank" {
		return fmt.Sprintf("%d: %s", r.status, d)
	}
	if errs, ok := r.body["errors"].([]fieldError); ok && len(errs) > 0 {
		return fmt.Sprintf("%d: %s", r.status, errs[0].Message)
	}
	return fmt.Sprintf("%d: %v", r.status, r.body["detail"])
}

func (r *rejection) write(w http.ResponseWriter) { writeProblemJSON(w, r.status, r.body) }

func rejectForbidden(detail string) *rejection {
	return &rejection{http.StatusForbidden, problem{"detail": detail, "type": "about:blank", "title": "Forbidden", "status": http.StatusForbidden}}
}

func (s *Server) rejectInvalid(errs ...fieldError) *rejection {
	for i := range errs {
		if errs[i].Parameters == nil {
			errs[i].Parameters = map[string][]string{}
		}
	}
	return &rejection{http.StatusBadRequest, problem{
		"errors": errs,
		"title":  "Invalid Request",
		"detail": "One or more parameters to your request was invalid.",
		"type":   s.problemType("invalid-request"),
	}}
}

func (s *Server) rejectParam(name, value, msg string) *rejection {
	return s.rejectInvalid(fieldError{Parameters: map[string][]string{name: {value}}, Message: msg})
}

// fieldError is one entry of an invalid-request problem's "errors".
type fieldError struct {
	Parameters map[string][]string `json:"parameters"`
	Message    string              `json:"message"`
}

// problemType returns the type URL of a typed problem, on the host the
// server is set to emit.
func (s *Server) problemType(name string) string {
	host := "api.twitter.com"
	if s.opt.XProblemHost {
		host = "api.x.com"
	}
	return "https://" + host + "/2/problems/" + name
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types reach here; a failure is a bug in the fake.
		panic(fmt.Sprintf("twittertest: encoding answer: %v", err))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeProblemJSON answers with a problem document. X labels its problems
// application/problem+json.
func writeProblemJSON(w http.ResponseWriter, status int, p problem) {
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("twittertest: encoding problem: %v", err))
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// generic answers one of X's about:blank problems, e.g.
// {"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}.
func generic(w http.ResponseWriter, status int, title, detail string) {
	writeProblemJSON(w, status, problem{"title": title, "type": "about:blank", "status": status, "detail": detail})
}

func unauthorized(w http.ResponseWriter) {
	generic(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
}

func forbidden(w http.ResponseWriter, detail string) {
	generic(w, http.StatusForbidden, "Forbidden", detail)
}

func tooManyRequests(w http.ResponseWriter) {
	generic(w, http.StatusTooManyRequests, "Too Many Requests", "Too Many Requests")
}

// invalidRequest answers 400 with X's invalid-request problem: one entry per
// bad parameter, e.g.
// {"errors":[{"parameters":{"max_results":["3"]},"message":"The `max_results` query parameter value [3] is not between 5 and 100"}],
// "title":"Invalid Request","detail":"One or more parameters to your request was invalid.",
// "type":"https://api.twitter.com/2/problems/invalid-request"}
func (s *Server) invalidRequest(w http.ResponseWriter, errs ...fieldError) {
	s.rejectInvalid(errs...).write(w)
}

// invalidParam is an invalidRequest about one parameter.
func (s *Server) invalidParam(w http.ResponseWriter, name, value, msg string) {
	s.invalidRequest(w, fieldError{Parameters: map[string][]string{name: {value}}, Message: msg})
}

// notFoundProblem is X's resource-not-found problem, as it appears in the
// "errors" of a 200 answer for a post that does not exist (or no longer).
func (s *Server) notFoundProblem(param, id, kind string) problem {
	title := "Not Found Error"
	detail := fmt.Sprintf("Could not find %s with %s: [%s].", kind, param, id)
	return problem{
		"value":         id,
		"detail":        detail,
		"title":         title,
		"resource_type": kind,
		"parameter":     param,
		"resource_id":   id,
		"type":          s.problemType("resource-not-found"),
	}
}

// usageCapped answers X's usage-capped problem (HTTP 429).
func (s *Server) writeUsageCapped(w http.ResponseWriter) {
	writeProblemJSON(w, http.StatusTooManyRequests, problem{
		"title":  "UsageCapExceeded",
		"type":   s.problemType("usage-capped"),
		"detail": "Usage cap exceeded: Monthly product cap",
		"period": "Monthly",
		"scope":  "Product",
	})
}

// clientNotEnrolled answers 403 as X does for an app whose access level has
// no timeline or post reads: a client-forbidden problem with reason
// client-not-enrolled.
func (s *Server) clientNotEnrolled(w http.ResponseWriter) {
	writeProblemJSON(w, http.StatusForbidden, problem{
		"client_id":           s.clientID,
		"detail":              "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.",
		"registration_url":    "https://developer.twitter.com/en/docs/projects/overview",
		"title":               "Client Forbidden",
		"required_enrollment": "Appropriate Level of API Access",
		"reason":              "client-not-enrolled",
		"type":                s.problemType("client-forbidden"),
	})
}

// failWith answers an injected failure with the body X sends for status.
func (s *Server) failWith(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusUnauthorized:
		unauthorized(w)
	case http.StatusForbidden:
		forbidden(w, "You are not permitted to perform this action.")
	case http.StatusNotFound:
		generic(w, status, "Not Found", "Not Found")
	case http.StatusBadRequest:
		s.invalidRequest(w, fieldError{Message: "One or more parameters to your request was invalid."})
	case http.StatusTooManyRequests:
		tooManyRequests(w)
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		// X's edge answers these itself, in HTML, not as a problem.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", status, http.StatusText(status))
	default:
		title := http.StatusText(status)
		if title == "" {
			title = "Error"
		}
		generic(w, status, title, title)
	}
}

// pageNotFound answers a path X does not serve, with its v1.1-style body.
func pageNotFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{"errors": []map[string]any{{"message": "Sorry, that page does not exist", "code": 34}}})
}

// oauthError answers an error of the /oauth endpoints, which X writes as
// plain text in the style of its v1.1 API.
func oauthError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(strings.TrimSpace(msg)))
}
