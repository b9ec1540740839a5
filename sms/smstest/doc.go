// Package smstest helps test code that sends SMS, in this module and in host
// applications.
//
// A [Recorder] is an [sms.Sender] that keeps every message in memory. Hand it
// to the code under test as its Sender, or install it as the sms package
// default for the length of one test with [Use]:
//
//	func TestShipTextsCustomer(t *testing.T) {
//		rec := smstest.Use(t) // not in a parallel test: it changes the sms default
//		// ... code that calls sms.Send ...
//		m, ok := rec.LastTo("09121234567")
//		if !ok {
//			t.Fatal("no SMS to the customer")
//		}
//		code := smstest.Code(m.Text) // the one-time code in "Your code: 01234567"
//	}
//
// Tests that run in parallel should give each component its own Recorder as
// an explicit sms.Sender instead of using Use.
//
// # Concurrency
//
// A Recorder is safe for concurrent use by multiple goroutines. [Use]
// changes process-wide state and must not be called from parallel tests.
package smstest
