package server_test

import (
	"testing"

	"github.com/vectorbucket/vectorbucket/api/server/servertest"
)

func TestSDKLifecycleSigned(t *testing.T) {
	ts := newTestServer(t, true, nil)
	servertest.Lifecycle(t, servertest.NewSDK(ts.URL, testAccessKey, testSecret), "media")
}

func TestSDKLifecycleOpen(t *testing.T) {
	ts := newTestServer(t, false, nil)
	servertest.Lifecycle(t, servertest.NewSDK(ts.URL, "", ""), "media")
}
