// Package clients tests vectorbucket end to end with clients other than
// the AWS SDK for Go (whose suite is api/server/servertest): the AWS SDK for
// JavaScript v3 (js/e2e.mjs, run by TestJSSDK) and the AWS CLI
// (TestAWSCLI). Both start the real vectorbucket binary on a free loopback
// port with SigV4 credentials and stop it by its PID. The package holds no
// code of its own; README.md says how to run the suites, what they cover and
// which client versions they use.
package clients
